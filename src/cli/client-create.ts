import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { withRuntime } from './with-runtime.js';

/**
 * `client create --name NAME --redirect-uri URI [--redirect-uri URI …] [--public]`: registers
 * an OIDC client (first-party) and prints `{"client_id", "client_secret"}` (no secret when public).
 */
export const clientCreate: Command = async (io) => {
  const { values } = parseArgs({
    args: io.args,
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      public: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const redirectUris = values['redirect-uri'] ?? [];
  if (!values.name || redirectUris.length === 0) {
    throw new UsageError('client create needs --name NAME and --redirect-uri URI');
  }
  const created = await withRuntime(io, (rt) =>
    rt.services.sso.clients.create(
      { label: 'cli' },
      { name: values.name, redirectUris, public: values.public },
    ),
  );
  io.out(
    JSON.stringify(
      created.clientSecret
        ? { client_id: created.clientId, client_secret: created.clientSecret }
        : { client_id: created.clientId },
    ),
  );
  return 0;
};
