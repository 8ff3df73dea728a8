import { AppError } from '../shared/errors.js';

/** The weak ETag of a resource version (RFC 7644 §3.14): `W/"3"`. */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/** The entity tags of an If-Match / If-None-Match header (weak and strong compare alike here). */
function tags(header: string): string[] {
  return header.split(',').map((t) => t.trim().replace(/^W\//, ''));
}

/**
 * Refuses a write whose If-Match names another version: 412, and nothing is written. No header
 * means "whatever the version", as does `*`.
 */
export function checkIfMatch(header: string | undefined, version: number): void {
  if (header === undefined || header.trim() === '') return;
  const list = tags(header);
  if (list.includes('*') || list.includes(`"${version}"`)) return;
  throw new AppError(
    'PRECONDITION_FAILED',
    `the resource has changed; its version is now ${etagOf(version)}`,
  );
}

/** Whether a GET's If-None-Match names the current version (answer 304). */
export function noneMatchHits(header: string | undefined, version: number): boolean {
  if (header === undefined) return false;
  const list = tags(header);
  return list.includes('*') || list.includes(`"${version}"`);
}
