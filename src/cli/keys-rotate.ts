import { parseArgs } from 'node:util';
import type { Command } from './command.js';
import { withRuntime } from './with-runtime.js';

/**
 * `keys rotate`: a new data key becomes current and every stored secret is re-sealed under it,
 * while servers keep serving. Prints `{"keyId": …, "resealed": N}`.
 */
export const keysRotate: Command = async (io) => {
  parseArgs({ args: io.args, options: {}, strict: true }); // no options: anything given is a usage error
  const summary = await withRuntime(io, (rt) => rt.services.keys.rotate({ label: 'cli' }));
  io.out(JSON.stringify({ keyId: summary.keyId, resealed: summary.resealed }));
  return 0;
};
