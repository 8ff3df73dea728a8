import { existsSync } from 'node:fs';
import { link, rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { newId } from '../crypto/random.js';
import { AppError } from '../shared/errors.js';

/** What `portcullis backup` wrote. */
export interface BackupSummary {
  /** The absolute path of the copy. */
  path: string;
  bytes: number;
  pages: number;
}

/** Where the operator is sent when the database is not SQLite. */
export const PG_BACKUP_HINT =
  'portcullis backup copies SQLite databases; back up PostgreSQL with pg_dump -Fc and restore with pg_restore (docs/operations.md)';

/**
 * Online backups of a SQLite database: a consistent copy taken while the servers keep writing.
 * The copy is written beside the target under a temporary name and linked into place only when
 * complete, so a crash or a full disk never leaves a half-written file under the name asked
 * for, and an existing file is never overwritten. The master key is not in the copy.
 */
export class BackupService {
  constructor(private readonly ctx: Context) {}

  /** Copies the database to `path` (which must not exist) and audits `backup.created`. */
  async backup(actor: Actor, path: string): Promise<BackupSummary> {
    const { store, audit } = this.ctx;
    if (!store.caps.onlineBackup) throw new AppError('PRECONDITION_FAILED', PG_BACKUP_HINT);
    const target = resolve(path);
    if (existsSync(target)) {
      throw new AppError('CONFLICT', `${target} exists; a backup never overwrites a file`);
    }
    const partial = `${target}.partial-${newId().slice(0, 8)}`;
    let pages: number;
    try {
      ({ pages } = await store.backup(partial));
      // link() fails if the target appeared meanwhile: still no overwrite.
      await link(partial, target);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EEXIST') {
        throw new AppError('CONFLICT', `${target} exists; a backup never overwrites a file`);
      }
      throw new Error(`cannot write the backup to ${target}: ${(err as Error).message}`);
    } finally {
      await rm(partial, { force: true });
    }
    const { size: bytes } = await stat(target);
    await store.transaction((trx) =>
      audit.append(trx, actor, { action: 'backup.created', details: { path: target, bytes, pages } }),
    );
    return { path: target, bytes, pages };
  }
}
