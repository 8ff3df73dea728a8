import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // 32 symbols: no 0/O, 1/I confusion

/** CSPRNG bytes (every random value in Portcullis comes from here). */
export function secureRandomBytes(n: number): Buffer {
  return randomBytes(n);
}

/** An opaque, URL-safe identifier with 128 bits of entropy. */
export function newId(): string {
  return randomBytes(16).toString('base64url');
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
