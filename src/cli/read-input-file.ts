import { readFile, stat } from 'node:fs/promises';
import { AppError, type ErrorCode } from '../shared/errors.js';

/**
 * Reads a file named on the command line as UTF-8. An oversize file is refused (with
 * `tooLarge`) before it is loaded; a missing or unreadable one fails with "cannot read FILE".
 */
export async function readInputFile(file: string, maxBytes: number, tooLarge: ErrorCode): Promise<string> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (size > maxBytes)
    throw new AppError(tooLarge, `${file} is ${size} bytes; the limit is ${maxBytes} bytes`);
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
}
