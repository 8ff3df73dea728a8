/** A promise and the function that resolves it: one side of a test waits for what the other says. */
export function signal(): { promise: Promise<void>; send: () => void } {
  let send!: () => void;
  const promise = new Promise<void>((resolve) => {
    send = resolve;
  });
  return { promise, send };
}
