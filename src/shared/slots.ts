/** Runs work at most `n` at a time; the rest waits, first come first served. */
export interface Slots {
  run<T>(work: () => Promise<T>): Promise<T>;
}

export function createSlots(n: number): Slots {
  const size = Math.max(1, n);
  let busy = 0;
  const waiting: Array<() => void> = [];
  return {
    async run(work) {
      if (busy >= size) await new Promise<void>((r) => waiting.push(r));
      else busy++;
      try {
        return await work();
      } finally {
        // A freed slot passes straight to the next in line, so `busy` never drops between them.
        const next = waiting.shift();
        if (next) next();
        else busy--;
      }
    },
  };
}
