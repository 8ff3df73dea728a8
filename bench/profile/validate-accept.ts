import type { HotpPeople } from '../portcullis.js';

/**
 * One validate accept on the server `people` were issued on: the next person's next HOTP code,
 * POST /api/v1/validate, the answer read. Anything but `accept` goes to `onRefused` (by default
 * it throws, with the answer).
 */
export function validateAcceptOp(
  people: HotpPeople,
  onRefused: (outcome: string, body: string) => void = (outcome, body) => {
    throw new Error(`validate: ${outcome} ${body}`);
  },
): () => Promise<void> {
  const spec = people.acceptSpec('validate accept', 1);
  return async () => {
    const { body, tag } = spec.next!();
    const res = await fetch(`${spec.url}${spec.path}`, { method: 'POST', headers: spec.headers, body });
    const text = await res.text();
    const outcome = spec.onResponse!(res.status, text, tag, {});
    if (outcome !== 'accept') onRefused(outcome, text);
  };
}
