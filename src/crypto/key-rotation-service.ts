import type { Actor } from '../audit/audit-log.js';
import { secretAad } from '../authenticators/issue-authenticator.js';
import type { Context } from '../context.js';
import { encryptionKeysRepo } from '../store/repos/encryption-keys.js';
import { sealedSecretsRepo } from '../store/repos/sealed-secrets.js';
import { retryable, withConflictRetry } from '../store/retry.js';

/** Rows re-sealed per transaction: keeps each write lock short, so serving never stalls. */
const BATCH = 500;

/** What `keys rotate` did. */
export interface RotationSummary {
  /** The data key now current. */
  keyId: string;
  /** Stored secrets re-sealed under it. */
  resealed: number;
  /** Data keys no stored secret uses any more (kept, still loadable, never current). */
  retired: string[];
}

/**
 * `keys rotate`: a new data key becomes current, every stored secret is re-sealed under it, and
 * keys nothing references any more are marked retired. Run with a new PORTCULLIS_MASTER_KEY and
 * the old one in PORTCULLIS_PREVIOUS_MASTER_KEYS, it also moves every data key to the new master.
 * Other instances keep serving throughout: they reload the ring when they meet the new key id.
 */
export class KeyRotationService {
  constructor(private readonly ctx: Context) {}

  /** Rotates the data key and re-seals every stored secret; one audit event at the end. */
  async rotate(actor: Actor): Promise<RotationSummary> {
    const { keyring, store, clock } = this.ctx;
    const keyId = await keyring.rotate(clock.now());
    let resealed = 0;
    let after = '';
    for (;;) {
      const rows = await sealedSecretsRepo.notUnder(store.db, keyId, after, BATCH);
      // Crypto outside the transaction: the write lock is held only for the updates, and a
      // decrypt that must reload the ring never waits on the lock its own transaction holds.
      const next = await Promise.all(
        rows.map(async (row) => {
          const plain = await keyring.decrypt(row.secret_enc, secretAad(row.id));
          const sealed = keyring.encrypt(plain, secretAad(row.id));
          plain.fill(0);
          return { row, sealed };
        }),
      );
      resealed += await this.replaceAll(next);
      // Keyset paging by id: a row that lost its race is not fetched again, so this ends.
      const last = rows[rows.length - 1];
      if (!last || rows.length < BATCH) break;
      after = last.id;
    }
    const retired = await store.transaction(async (trx) => {
      const now = clock.now();
      const ids: string[] = [];
      for (const key of await encryptionKeysRepo.list(trx, 'data')) {
        if (key.is_current === 1 || key.retired_at !== null) continue;
        if (await sealedSecretsRepo.anyUnder(trx, key.id)) continue;
        // Retired, not deleted: an instance that has not reloaded may still seal with it.
        await encryptionKeysRepo.retire(trx, key.id, now);
        ids.push(key.id);
      }
      await this.ctx.audit.append(trx, actor, {
        action: 'keys.rotated',
        subject: keyId,
        details: { newKeyId: keyId, resealed, retired: ids },
      });
      return ids;
    });
    return { keyId, resealed, retired };
  }

  /**
   * Writes one batch of re-sealed values; returns how many rows still held what was read.
   * Validations lock the same rows in their own order, so on PostgreSQL either side may lose a
   * deadlock. The batch is tried twice; if it loses both times, each row goes in its own
   * transaction, which holds one lock and so cannot be part of a deadlock: the rotation always
   * finishes however heavy the load. Repeating is safe: each update is a compare-and-set.
   */
  private async replaceAll(next: ReadonlyArray<{ row: { id: string; secret_enc: string }; sealed: string }>) {
    const write = (items: typeof next) =>
      this.ctx.store.transaction(async (trx) => {
        let n = 0;
        for (const { row, sealed } of items) {
          // Compare-and-set: a change made meanwhile (re-enrolment, revocation) stands.
          if (await sealedSecretsRepo.replace(trx, row.id, row.secret_enc, sealed)) n += 1;
        }
        return n;
      });
    try {
      return await withConflictRetry(() => write(next), 2);
    } catch (err) {
      if (!retryable(err)) throw err;
      let n = 0;
      for (const item of next) n += await withConflictRetry(() => write([item]));
      return n;
    }
  }
}
