import { availableParallelism } from 'node:os';
import { type Algorithm, hash, verify } from '@node-rs/argon2';
import { createSlots } from '../shared/slots.js';

/** argon2id in @node-rs/argon2's enumeration (a const enum: not importable as a value here). */
const ARGON2ID = 2 as Algorithm;

/**
 * OWASP's argon2id parameters: m=19456 KiB, t=2, p=1. @node-rs/argon2 (the RustCrypto
 * implementation, SIMD chosen at run time) computes on libuv's pool, off the event loop, about
 * twice as fast per core as the portable reference build; the hashes are standard PHC strings.
 */
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * At most one argon2id computation per core at a time. More would only share the cores (no
 * faster in all), while each holds its own 19 MiB block: bounded this way, at most that many
 * blocks exist at once (see docs/operations.md, Memory), and the rest of libuv's pool (file
 * system, WAL flushes) is never all taken by password hashing.
 */
const argon2Slots = createSlots(availableParallelism());

/** argon2id computations this process has started (the `portcullis_password_hashing_total` counter). */
const work = { hash: 0, verify: 0 };

/** How many hashes and verifies this process has started: the dominant CPU cost of sign-ins. */
export function passwordHashing(): Readonly<typeof work> {
  return { ...work };
}

/** Hashes a password with argon2id. */
export function hashPassword(password: string): Promise<string> {
  return argon2Slots.run(() => {
    work.hash += 1;
    return hash(password, OPTIONS);
  });
}

/** Verifies a password against its argon2id hash; false (never a throw) on a malformed hash. */
export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await argon2Slots.run(() => {
      work.verify += 1;
      return verify(hashed, password);
    });
  } catch {
    return false;
  }
}
