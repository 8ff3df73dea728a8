import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { ImportReport } from '../lifecycle/import/import-people.js';
import { type Command, UsageError } from './command.js';
import { readInputFile } from './read-input-file.js';
import { withRuntime } from './with-runtime.js';

/** Largest file read (about a million people). */
const MAX_BYTES = 256 * 1024 * 1024;

/** A progress bar on stderr, redrawn in place: only when stderr is a terminal. */
function progressBar(): ((done: number, total: number) => void) | undefined {
  const err = process.stderr;
  if (!err.isTTY) return undefined;
  return (done, total) => {
    const width = 30;
    const filled = Math.round((done / Math.max(total, 1)) * width);
    err.write(
      `\rimporting [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${done === total ? '\n' : ''}`,
    );
  };
}

function summary(r: ImportReport): string {
  const { dryRun, created, updated, unchanged, requirementsOpened } = r;
  return JSON.stringify({ dryRun, created, updated, unchanged, requirementsOpened });
}

/**
 * `import users FILE.csv [--dry-run]`: creates or updates people from a CSV whose header row
 * names the columns (username, email, displayName, externalId, groups separated by `;`,
 * manager, department, employeeNumber). Prints a JSON summary; `--dry-run` first prints one
 * line per row that would change, and writes nothing. A bad row exits 1 naming its line.
 */
export const importUsers: Command = async (io) => {
  const { values, positionals } = parseArgs({
    args: io.args,
    options: { 'dry-run': { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('import users needs exactly one FILE.csv');
  const file = positionals[0]!;
  const text = await readInputFile(file, MAX_BYTES, 'VALIDATION_FAILED');
  const dryRun = values['dry-run'] === true;
  const report = await withRuntime(io, (rt) =>
    rt.services.lifecycle.importPeople({ label: `cli:import ${basename(file)}` }, text, {
      dryRun,
      onProgress: progressBar(),
    }),
  );
  for (const line of report.changes) io.out(line);
  io.out(summary(report));
  return 0;
};
