import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { createSlots } from '../shared/slots.js';

/** OWASP's argon2id parameters: m=19456 KiB, t=2, p=1. argon2 runs on libuv's pool, off the event loop. */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * At most one argon2id computation per core at a time. More would only share the cores (no
 * faster in all), while each holds its own 19 MiB block: bounded this way, the blocks the
 * allocator keeps for reuse stay few (see docs/operations.md, Memory), and the rest of libuv's
 * pool (file system, WAL flushes) is never all taken by password hashing.
 */
const argon2Slots = createSlots(availableParallelism());

/** Hashes a password with argon2id. */
export function hashPassword(password: string): Promise<string> {
  return argon2Slots.run(() => argon2.hash(password, OPTIONS));
}

/** Verifies a password against its argon2id hash; false (never a throw) on a malformed hash. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2Slots.run(() => argon2.verify(hash, password));
  } catch {
    return false;
  }
}
