import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { withRuntime } from './with-runtime.js';

/**
 * `backup FILE`: an online, consistent copy of a SQLite database into FILE (which must not
 * exist) while servers keep serving; prints `{"path", "bytes", "pages"}`. PostgreSQL is refused
 * with a pointer to pg_dump. Migrations are not applied first: a backup taken before an upgrade
 * must hold the schema as it was.
 */
export const backup: Command = async (io) => {
  const { positionals } = parseArgs({ args: io.args, options: {}, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError('backup needs exactly one FILE');
  const summary = await withRuntime(
    io,
    (rt) => rt.services.backup.backup({ label: 'cli' }, positionals[0]!),
    { migrate: false },
  );
  io.out(JSON.stringify(summary));
  return 0;
};
