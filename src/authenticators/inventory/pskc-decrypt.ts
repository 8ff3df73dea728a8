import { createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import { verifyValueMac } from './pskc-mac.js';
import type { EncryptedBlob, EncryptionKeySpec, MacMethodSpec, Pbkdf2Params } from './pskc-types.js';

export interface CipherSpec {
  /** Short name for messages, e.g. "aes128-cbc". */
  name: string;
  mode: 'cbc' | 'kw';
  keyBytes: 16 | 24 | 32;
  /** node:crypto cipher name. */
  nodeName: string;
}

const XMLENC = 'http://www.w3.org/2001/04/xmlenc#';

const CIPHERS: Readonly<Record<string, CipherSpec>> = {
  [`${XMLENC}aes128-cbc`]: { name: 'aes128-cbc', mode: 'cbc', keyBytes: 16, nodeName: 'aes-128-cbc' },
  [`${XMLENC}aes192-cbc`]: { name: 'aes192-cbc', mode: 'cbc', keyBytes: 24, nodeName: 'aes-192-cbc' },
  [`${XMLENC}aes256-cbc`]: { name: 'aes256-cbc', mode: 'cbc', keyBytes: 32, nodeName: 'aes-256-cbc' },
  [`${XMLENC}kw-aes128`]: { name: 'kw-aes128', mode: 'kw', keyBytes: 16, nodeName: 'id-aes128-wrap' },
  [`${XMLENC}kw-aes192`]: { name: 'kw-aes192', mode: 'kw', keyBytes: 24, nodeName: 'id-aes192-wrap' },
  [`${XMLENC}kw-aes256`]: { name: 'kw-aes256', mode: 'kw', keyBytes: 32, nodeName: 'id-aes256-wrap' },
};

/** RFC 3394 §2.2.3.1 default initial value. */
const KEY_WRAP_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

/** Upper bound on PBKDF2 iterations, so a hostile file cannot pin a CPU for minutes. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;

/** The supported cipher named by an xmlenc EncryptionMethod URI, or undefined. */
export function cipherFromUri(uri: string): CipherSpec | undefined {
  return Object.hasOwn(CIPHERS, uri) ? CIPHERS[uri] : undefined;
}

/**
 * Decrypts one CipherValue. CBC: the first 16 bytes are the IV (xmlenc), PKCS#7 padding.
 * Key wrap: RFC 3394 with the default IV, whose integrity check rejects a wrong key.
 */
export function decryptCipherValue(
  cipher: CipherSpec,
  key: Buffer,
  cipherValue: Buffer,
  where: string,
): Buffer {
  if (key.length !== cipher.keyBytes) {
    throw new AppError(
      'PSKC_DECRYPTION_FAILED',
      `${where}: ${cipher.name} needs a ${cipher.keyBytes}-byte key but the key given is ${key.length} bytes`,
    );
  }
  if (cipher.mode === 'cbc') {
    if (cipherValue.length < 32 || cipherValue.length % 16 !== 0) {
      throw new AppError(
        'PSKC_DECRYPTION_FAILED',
        `${where}: ${cipher.name} CipherValue must be a 16-byte IV plus whole 16-byte blocks, got ${cipherValue.length} bytes`,
      );
    }
    try {
      const decipher = createDecipheriv(cipher.nodeName, key, cipherValue.subarray(0, 16));
      return Buffer.concat([decipher.update(cipherValue.subarray(16)), decipher.final()]);
    } catch {
      throw new AppError(
        'PSKC_DECRYPTION_FAILED',
        `${where}: ${cipher.name} decryption failed (bad padding); the key or password is probably wrong`,
      );
    }
  }
  if (cipherValue.length < 24 || cipherValue.length % 8 !== 0) {
    throw new AppError(
      'PSKC_DECRYPTION_FAILED',
      `${where}: ${cipher.name} CipherValue must be whole 8-byte blocks of at least 24 bytes, got ${cipherValue.length}`,
    );
  }
  try {
    const decipher = createDecipheriv(cipher.nodeName, key, KEY_WRAP_IV);
    return Buffer.concat([decipher.update(cipherValue), decipher.final()]);
  } catch {
    throw new AppError(
      'PSKC_DECRYPTION_FAILED',
      `${where}: ${cipher.name} key unwrap failed its integrity check; the key or password is probably wrong`,
    );
  }
}

/** RFC 6030 §6.2 / PKCS #5 v2.0: the encryption key derived from a password. */
export function derivePbkdf2Key(password: string, params: Pbkdf2Params, keyLength: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), params.salt, params.iterationCount, keyLength, params.prf);
}

/** Decodes the pre-shared key given as hex (AES-128/192/256). */
export function parseKeyHex(keyHex: string): Buffer {
  const clean = keyHex.trim();
  if (!/^[0-9a-fA-F]*$/.test(clean) || ![32, 48, 64].includes(clean.length)) {
    throw new AppError(
      'PSKC_DECRYPTION_FAILED',
      '--key-hex must be 32, 48 or 64 hexadecimal digits (an AES-128, AES-192 or AES-256 key)',
    );
  }
  return Buffer.from(clean, 'hex');
}

export interface DecryptorSecrets {
  /** Pre-shared key (already decoded from --key-hex). */
  key: Buffer | undefined;
  /** Password for a PBKDF2 DerivedKey (--password). */
  password: string | undefined;
}

/**
 * Decrypts the EncryptedValues of one container: resolves the encryption key (pre-shared or
 * PBKDF2-derived) and the MAC key only when first needed, and checks each ValueMAC before
 * decrypting (encrypt-then-MAC; no padding oracle).
 */
export class PskcDecryptor {
  readonly #encryptionKey: EncryptionKeySpec;
  readonly #macMethod: MacMethodSpec | undefined;
  readonly #secrets: DecryptorSecrets;
  readonly #derived = new Map<number, Buffer>();
  #macKey: Buffer | undefined;

  constructor(
    encryptionKey: EncryptionKeySpec,
    macMethod: MacMethodSpec | undefined,
    secrets: DecryptorSecrets,
  ) {
    this.#encryptionKey = encryptionKey;
    this.#macMethod = macMethod;
    this.#secrets = secrets;
  }

  /** The plaintext of `blob`, after its ValueMAC (if any) has been verified. */
  decrypt(blob: EncryptedBlob): Buffer {
    const cipher = this.#cipher(blob);
    const key = this.#keyFor(cipher, blob.where);
    if (blob.valueMac !== undefined) {
      if (this.#macMethod === undefined) {
        // The parser refuses this already; kept so the decryptor is safe on its own.
        throw new AppError(
          'PSKC_INVALID',
          `${blob.where}: has a ValueMAC but the container has no MACMethod`,
        );
      }
      verifyValueMac(this.#macMethod.hash, this.#getMacKey(), blob.cipherValue, blob.valueMac, blob.where);
    }
    return decryptCipherValue(cipher, key, blob.cipherValue, blob.where);
  }

  #cipher(blob: EncryptedBlob): CipherSpec {
    const cipher = cipherFromUri(blob.algorithm);
    if (cipher === undefined) {
      throw new AppError(
        'PSKC_DECRYPTION_FAILED',
        `${blob.where}: unsupported encryption algorithm ${blob.algorithm} (supported: AES-CBC and AES key wrap)`,
      );
    }
    return cipher;
  }

  #getMacKey(): Buffer {
    if (this.#macKey === undefined) {
      const blob = (this.#macMethod as MacMethodSpec).macKey;
      const cipher = this.#cipher(blob);
      const macKey = decryptCipherValue(
        cipher,
        this.#keyFor(cipher, blob.where),
        blob.cipherValue,
        blob.where,
      );
      if (macKey.length === 0) {
        throw new AppError('PSKC_INVALID', `${blob.where}: the MAC key is empty`);
      }
      this.#macKey = macKey;
    }
    return this.#macKey;
  }

  #keyFor(cipher: CipherSpec, where: string): Buffer {
    const { key, password } = this.#secrets;
    const spec = this.#encryptionKey;
    if (spec.kind === 'unsupported') {
      throw new AppError('PSKC_DECRYPTION_FAILED', `${where}: cannot decrypt: ${spec.description}`);
    }
    if (spec.kind === 'pbkdf2' && password !== undefined) {
      const length = spec.params.keyLength ?? cipher.keyBytes;
      let derived = this.#derived.get(length);
      if (derived === undefined) {
        derived = derivePbkdf2Key(password, spec.params, length);
        this.#derived.set(length, derived);
      }
      return derived;
    }
    if (key !== undefined) return key;
    if (password !== undefined) {
      throw new AppError(
        'PSKC_DECRYPTION_FAILED',
        `${where}: the container uses a pre-shared key, not a password-derived one; it needs --key-hex`,
      );
    }
    throw new AppError('PSKC_DECRYPTION_FAILED', `${where} is encrypted; it needs --key-hex or --password`);
  }
}
