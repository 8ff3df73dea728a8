import type { Actor } from '../../audit/audit-log.js';
import type { Context } from '../../context.js';
import { newId } from '../../crypto/random.js';
import { AppError, isAppError } from '../../shared/errors.js';
import type { LifecycleEvents } from '../lifecycle-events.js';
import { parseCsv } from './csv.js';
import { loadDirectory } from './load-directory.js';
import { readPeopleCsv } from './people-csv.js';
import { describeEntry, type PlanEntry, planImport } from './plan-import.js';
import { type ImportState, writeBatch } from './write-batch.js';

/** Rows per transaction: each batch is written whole or not at all. */
export const IMPORT_BATCH = 1000;

export interface ImportOptions {
  dryRun: boolean;
  /** Told after each batch (rows done, rows to do); the CLI draws its progress bar with it. */
  onProgress?: (done: number, total: number) => void;
}

/** What an import did (or, in a dry run, would do). */
export interface ImportReport {
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  /** Enrolment requirements opened for joiners (each with its invitation when they have an address). */
  requirementsOpened: number;
  /** One line per row that changes something (dry run only). */
  changes: string[];
}

/**
 * `import users`: people from a CSV (header row names the columns). The whole file is read,
 * checked and planned before anything is written, so a bad row fails the import naming its
 * line with nothing written. Then rows that change something are written in batches of 1000,
 * each in one transaction (all or nothing); a batch that fails (someone changed those people
 * meanwhile) stops the import, the batches before it stay. A dry run plans and writes nothing.
 */
export async function importPeople(
  deps: { ctx: Context; events: LifecycleEvents },
  actor: Actor,
  csvText: string,
  opts: ImportOptions,
): Promise<ImportReport> {
  const { store } = deps.ctx;
  const records = readPeopleCsv(parseCsv(csvText));
  const plan = planImport(records, await loadDirectory(store.reader, records), newId);
  const count = (kind: PlanEntry['kind']) => plan.filter((e) => e.kind === kind).length;
  const work = plan.filter((e) => e.kind !== 'unchanged');
  const report: ImportReport = {
    dryRun: opts.dryRun,
    created: count('create'),
    updated: count('update'),
    unchanged: count('unchanged'),
    requirementsOpened: 0,
    changes: opts.dryRun ? work.map(describeEntry) : [],
  };
  if (opts.dryRun) return report;
  const state: ImportState = {
    toCreate: new Set(work.filter((e) => e.kind === 'create').map((e) => e.id)),
    created: new Set(),
    waiting: new Map(),
  };
  let done = 0;
  for (let i = 0; i < work.length; i += IMPORT_BATCH) {
    const batch = work.slice(i, i + IMPORT_BATCH);
    try {
      const out = await store.transaction((trx) => writeBatch(trx, deps, actor, batch, state));
      report.requirementsOpened += out.requirementsOpened;
    } catch (err) {
      throw batchFailed(err, batch, i / IMPORT_BATCH + 1, done);
    }
    for (const e of batch) if (e.kind === 'create') state.created.add(e.id);
    done += batch.length;
    opts.onProgress?.(done, work.length);
  }
  return report;
}

/** Why a batch was not written, naming its lines and what was written before it. */
function batchFailed(err: unknown, batch: readonly PlanEntry[], n: number, written: number): AppError {
  const lines = `lines ${batch[0]!.record.line}-${batch[batch.length - 1]!.record.line}`;
  const why = isAppError(err) ? err.message : `the database refused it (${(err as Error).message})`;
  return new AppError(
    isAppError(err) ? err.code : 'CONFLICT',
    `batch ${n} (${lines}) was not written: ${why}; ${written} earlier rows were written`,
    { written },
  );
}
