import { AppError } from '../../shared/errors.js';
import { MIN_IMPORTED_SEED_BYTES } from '../otp/params.js';
import { PskcDecryptor, parseKeyHex } from './pskc-decrypt.js';
import { parsePskc } from './pskc-parse.js';
import type { DataValue, ParsedKeyPackage, PskcToken } from './pskc-types.js';

export type { PskcHashAlgorithm, PskcToken } from './pskc-types.js';

export interface PskcReadOptions {
  /** Pre-shared AES key as hex (--key-hex). */
  keyHex?: string;
  /** Password for a PBKDF2-derived key (--password). */
  password?: string;
}

const DEFAULT_PERIOD = 30;
const DEFAULT_COUNTER = 0;

/** An encrypted integer's plaintext is its big-endian unsigned representation. */
function bigEndianInteger(bytes: Buffer, where: string): number {
  if (bytes.length === 0 || bytes.length > 8) {
    throw new AppError(
      'PSKC_INVALID',
      `${where}: decrypted integer is ${bytes.length} bytes (expected 1 to 8)`,
    );
  }
  const value = bytes.reduce((acc, byte) => acc * 256n + BigInt(byte), 0n);
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new AppError('PSKC_INVALID', `${where}: ${value} is out of range`);
  return Number(value);
}

function resolveInteger(value: DataValue<number>, decryptor: PskcDecryptor): number {
  return value.kind === 'plain'
    ? value.value
    : bigEndianInteger(decryptor.decrypt(value.blob), value.blob.where);
}

function toToken(pkg: ParsedKeyPackage, decryptor: PskcDecryptor): PskcToken {
  const secret = pkg.secret.kind === 'plain' ? pkg.secret.value : decryptor.decrypt(pkg.secret.blob);
  if (secret.length < MIN_IMPORTED_SEED_BYTES) {
    throw new AppError(
      'PSKC_INVALID',
      `${pkg.label}: secret is ${secret.length} bytes; imported seeds must be at least ${MIN_IMPORTED_SEED_BYTES} bytes`,
    );
  }
  const token: PskcToken = {
    serial: pkg.serial,
    type: pkg.type,
    secret,
    algorithm: pkg.algorithm,
    digits: pkg.digits,
  };
  if (pkg.type === 'totp') {
    const period =
      pkg.timeInterval === undefined ? DEFAULT_PERIOD : resolveInteger(pkg.timeInterval, decryptor);
    if (period < 1)
      throw new AppError('PSKC_INVALID', `${pkg.label}: TimeInterval ${period} must be positive`);
    token.period = period;
  } else {
    const counter = pkg.counter === undefined ? DEFAULT_COUNTER : resolveInteger(pkg.counter, decryptor);
    if (counter < 0)
      throw new AppError('PSKC_INVALID', `${pkg.label}: Counter ${counter} must not be negative`);
    token.counter = counter;
  }
  if (pkg.manufacturer !== undefined) token.manufacturer = pkg.manufacturer;
  if (pkg.model !== undefined) token.model = pkg.model;
  if (pkg.issuer !== undefined) token.issuer = pkg.issuer;
  if (pkg.friendlyName !== undefined) token.friendlyName = pkg.friendlyName;
  return token;
}

/**
 * Reads the OTP tokens of an RFC 6030 PSKC key container. All or nothing: any invalid,
 * undecryptable or tampered key package, or a repeated serial, makes the whole call throw an
 * AppError (PSKC_INVALID, PSKC_DECRYPTION_FAILED, PSKC_MAC_MISMATCH or PSKC_DUPLICATE_SERIAL).
 * Pure: no I/O. XML signatures (ds:Signature) are not verified.
 */
export function readPskc(xml: string, opts: PskcReadOptions = {}): PskcToken[] {
  const key = opts.keyHex === undefined || opts.keyHex === '' ? undefined : parseKeyHex(opts.keyHex);
  const password = opts.password === undefined || opts.password === '' ? undefined : opts.password;
  const container = parsePskc(xml);
  const decryptor = new PskcDecryptor(container.encryptionKey, container.macMethod, { key, password });
  return container.packages.map((pkg) => toToken(pkg, decryptor));
}
