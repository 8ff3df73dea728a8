import { parseArgs } from 'node:util';
import type { Command } from './command.js';
import { withRuntime } from './with-runtime.js';

/**
 * `keys rotate`: a new data key becomes current and every stored secret is re-sealed under it;
 * a new ID-token signing key is published (it signs once relying parties have had time to fetch
 * it; the old one stays published until its tokens expire). Servers keep serving throughout.
 * Prints `{"keyId": …, "resealed": N, "signingKeys": […], "signsFrom": ISO}`.
 */
export const keysRotate: Command = async (io) => {
  parseArgs({ args: io.args, options: {}, strict: true }); // no options: anything given is a usage error
  const summary = await withRuntime(io, async (rt) => {
    const data = await rt.services.keys.rotate({ label: 'cli' });
    const signing = await rt.services.sso.signingKeys.rotate({ label: 'cli' });
    return {
      keyId: data.keyId,
      resealed: data.resealed,
      signingKeys: signing.kids,
      signsFrom: signing.signsFrom,
    };
  });
  io.out(JSON.stringify(summary));
  return 0;
};
