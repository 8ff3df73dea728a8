import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { readPskc } from '../authenticators/inventory/read-pskc.js';
import { MAX_PSKC_BYTES } from '../authenticators/inventory/pskc-parse.js';
import { type Command, UsageError } from './command.js';
import { readInputFile } from './read-input-file.js';
import { withRuntime } from './with-runtime.js';

/**
 * `import pskc FILE [--key-hex HEX | --password PW]`: imports hardware OTP tokens (RFC 6030)
 * into the inventory, all or nothing, and prints `{"imported": N, "serials": [...]}`. The file
 * is read and decrypted before the database is opened, so bad input changes nothing.
 */
export const importPskc: Command = async (io) => {
  const { values, positionals } = parseArgs({
    args: io.args,
    options: { 'key-hex': { type: 'string' }, password: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('import pskc needs exactly one FILE');
  if (values['key-hex'] !== undefined && values.password !== undefined) {
    throw new UsageError('give either --key-hex or --password, not both');
  }
  const file = positionals[0]!;
  const tokens = readPskc(await readInputFile(file, MAX_PSKC_BYTES, 'PSKC_INVALID'), {
    keyHex: values['key-hex'],
    password: values.password,
  });
  const result = await withRuntime(io, (rt) =>
    rt.services.inventory.importTokens({ label: 'cli' }, tokens, `pskc:${basename(file)}`),
  );
  for (const token of tokens) token.secret.fill(0);
  io.out(JSON.stringify({ imported: result.imported, serials: result.serials }));
  return 0;
};
