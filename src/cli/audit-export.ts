import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { withRuntime } from './with-runtime.js';

/** `audit export [--since ISO-TIME]`: the events as JSON lines on stdout, for a SIEM. */
export const auditExport: Command = async (io) => {
  const { values } = parseArgs({ args: io.args, options: { since: { type: 'string' } }, strict: true });
  let since: number | undefined;
  if (values.since !== undefined) {
    since = Date.parse(values.since);
    if (Number.isNaN(since)) throw new UsageError(`--since ${values.since} is not an ISO time`);
  }
  await withRuntime(io, async (rt) => {
    for await (const event of rt.services.audit.export(since)) io.out(JSON.stringify(event));
  });
  return 0;
};
