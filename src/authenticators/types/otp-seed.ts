import { secureRandomBytes } from '../../crypto/random.js';
import { AppError } from '../../shared/errors.js';
import { decodeBase32, MIN_IMPORTED_SEED_BYTES, NEW_SEED_BYTES } from '../otp/index.js';

/** Longest seed we accept: a SHA-512 block; longer keys are hashed down by HMAC anyway. */
const MAX_SEED_BYTES = 128;

/**
 * The seed for a new OTP authenticator: the brought one (base32) when given, else 20 fresh
 * random bytes. Throws INVALID_SECRET for bad base32 or a seed under 16 bytes (SECURITY.md).
 */
export function resolveSeed(brought: string | undefined): Buffer {
  if (brought === undefined) return secureRandomBytes(NEW_SEED_BYTES);
  const seed = decodeBase32(brought);
  if (seed.length < MIN_IMPORTED_SEED_BYTES) {
    throw new AppError(
      'INVALID_SECRET',
      `The secret is ${seed.length} bytes; at least ${MIN_IMPORTED_SEED_BYTES} are required.`,
    );
  }
  if (seed.length > MAX_SEED_BYTES) {
    throw new AppError('INVALID_SECRET', `The secret is longer than ${MAX_SEED_BYTES} bytes.`);
  }
  return seed;
}
