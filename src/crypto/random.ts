import { randomBytes, randomFillSync } from 'node:crypto';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // 32 symbols: no 0/O, 1/I confusion

/** CSPRNG bytes (every random value in Portcullis comes from here). */
export function secureRandomBytes(n: number): Buffer {
  return randomBytes(n);
}

/** Ids are cut from a pooled CSPRNG buffer: one fill per 256 ids (Node's randomUUID caches alike). */
const ID_POOL = Buffer.alloc(16 * 256);
let idOffset = ID_POOL.length;

/** An opaque, URL-safe identifier with 128 bits of entropy. */
export function newId(): string {
  if (idOffset === ID_POOL.length) {
    randomFillSync(ID_POOL);
    idOffset = 0;
  }
  const id = ID_POOL.toString('base64url', idOffset, idOffset + 16);
  idOffset += 16;
  return id;
}

/** A human-typeable code of `length` symbols from a 32-symbol alphabet (5 bits each). */
export function humanCode(length: number): string {
  // 256 is a multiple of 32, so `byte % 32` is unbiased.
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 32];
  return out;
}

/** Normalises a typed human code: upper-case, separators and spaces removed. */
export function normaliseHumanCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}
