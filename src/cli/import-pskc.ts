import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { readPskc } from '../authenticators/inventory/read-pskc.js';
import { MAX_PSKC_BYTES } from '../authenticators/inventory/pskc-parse.js';
import { AppError } from '../shared/errors.js';
import { type Command, UsageError } from './command.js';
import { withRuntime } from './with-runtime.js';

/** Reads the file; an oversize one is refused before it is loaded (the reader's 5 MiB limit). */
async function readContainer(file: string): Promise<string> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (size > MAX_PSKC_BYTES) {
    throw new AppError(
      'PSKC_INVALID',
      `${file} is ${size} bytes; the limit is ${MAX_PSKC_BYTES} bytes (5 MiB)`,
    );
  }
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
}

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
  const tokens = readPskc(await readContainer(file), {
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
