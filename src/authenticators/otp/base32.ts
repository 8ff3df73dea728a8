import { AppError } from '../../shared/errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

// Reverse lookup built once so decoding is a table read per character, not an indexOf scan.
const LOOKUP: ReadonlyMap<string, number> = new Map([...ALPHABET].map((ch, i) => [ch, i]));

// A final quantum can only end after 2, 4, 5 or 7 characters (RFC 4648 §6); 1, 3 and 6 cannot
// carry a whole number of bytes, so they betray truncated or mistyped input.
const IMPOSSIBLE_REMAINDERS = new Set([1, 3, 6]);

/** Encodes bytes as RFC 4648 base32, uppercase and unpadded, as authenticator apps expect. */
export function encodeBase32(buf: Buffer): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of buf) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) {
    out += ALPHABET[(value << (5 - bits)) & 31];
  }
  return out;
}

/** Decodes a user-typed base32 secret, tolerating case, spaces, hyphens and padding; throws INVALID_SECRET. */
export function decodeBase32(text: string): Buffer {
  // People copy secrets grouped ("JBSW Y3DP-…") and in lowercase; neither changes the key.
  const compact = text.replace(/[\s-]/g, '').toUpperCase();
  const body = compact.replace(/=+$/, '');
  const padding = compact.length - body.length;

  if (body.length === 0) {
    throw new AppError('INVALID_SECRET', 'The secret is empty.');
  }
  if (padding > 0 && compact.length % 8 !== 0) {
    throw new AppError('INVALID_SECRET', 'The secret has the wrong amount of "=" padding.');
  }
  if (IMPOSSIBLE_REMAINDERS.has(body.length % 8)) {
    throw new AppError(
      'INVALID_SECRET',
      'The secret has an impossible length for base32; it may be truncated.',
    );
  }

  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of body) {
    const digit = LOOKUP.get(ch);
    if (digit === undefined) {
      // Only the character class is reported, never the secret itself, so the message is safe to show.
      throw new AppError(
        'INVALID_SECRET',
        'The secret contains a character that is not valid base32 (A-Z, 2-7).',
      );
    }
    value = ((value << 5) | digit) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}
