import { isUniqueViolation } from '../store/unique-violation.js';
import { scimError } from './scim-errors.js';

/**
 * Runs a write guarded by a unique index. The read-time checks name the clash precisely; this
 * catches the race they cannot see (a concurrent create or rename committed in between) and
 * makes it 409 uniqueness rather than a 500.
 */
export async function uniquely<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw scimError('uniqueness', 'userName, displayName or externalId is already taken');
    }
    throw err;
  }
}
