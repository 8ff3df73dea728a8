import { parseArgs } from 'node:util';
import { ROLES } from '../tokens/roles.js';
import { type Command, UsageError } from './command.js';
import { withRuntime } from './with-runtime.js';

/** `token create --role ROLE --name NAME`: prints the new token alone on stdout. */
export const tokenCreate: Command = async (io) => {
  const { values } = parseArgs({
    args: io.args,
    options: { role: { type: 'string' }, name: { type: 'string' } },
    strict: true,
  });
  if (!values.role || !values.name) throw new UsageError('token create needs --role ROLE and --name NAME');
  if (!(ROLES as readonly string[]).includes(values.role)) {
    throw new UsageError(`unknown role ${values.role}; one of ${ROLES.join(', ')}`);
  }
  const { token } = await withRuntime(io, (rt) =>
    rt.services.tokens.create({ label: 'cli' }, values.role!, values.name!),
  );
  io.out(token);
  return 0;
};
