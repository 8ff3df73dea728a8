import { openRuntime, type Runtime } from '../runtime.js';
import type { CommandIo } from './command.js';

/**
 * Runs `fn` with the services open (migrations applied first unless `migrate: false`), closing
 * them afterwards.
 */
export async function withRuntime<T>(
  io: CommandIo,
  fn: (rt: Runtime) => Promise<T>,
  opts: { migrate?: boolean } = {},
): Promise<T> {
  const rt = await openRuntime(io.config, { logger: io.logger, migrate: opts.migrate ?? true, poolSize: 2 });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}
