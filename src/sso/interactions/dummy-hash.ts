import { hashPassword } from '../../crypto/passwords.js';
import { newId } from '../../crypto/random.js';

let dummy: Promise<string> | undefined;

/**
 * An argon2id hash of a random password nobody knows, made once per process with the same
 * parameters as real ones. Unknown people's passwords are verified against it, so they cost the
 * same time as a wrong password for a real person and the answer shows nothing.
 */
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword(newId());
  return dummy;
}
