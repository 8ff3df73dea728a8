/**
 * The intermediate model of an RFC 6030 PSKC key container: what `parsePskc` extracts from the XML
 * (structure checked, nothing decrypted yet) and what `readPskc` turns into inventory tokens.
 */

/** An OTP token read from a PSKC file, ready for the inventory. */
export interface PskcToken {
  serial: string;
  type: 'totp' | 'hotp';
  secret: Buffer;
  algorithm: PskcHashAlgorithm;
  digits: number;
  /** TOTP only: time step in seconds (default 30). */
  period?: number;
  /** HOTP only: moving factor (default 0). */
  counter?: number;
  manufacturer?: string;
  model?: string;
  issuer?: string;
  friendlyName?: string;
}

export type PskcHashAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

/** HMAC hash functions accepted for MACMethod and the PBKDF2 PRF (node:crypto names). */
export type HmacHash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** An xenc EncryptedValue (or the MACKey): not decrypted, not MAC-checked yet. */
export interface EncryptedBlob {
  /** The xenc EncryptionMethod Algorithm URI, as written. */
  algorithm: string;
  /** The decoded CipherValue (for CBC: IV followed by the ciphertext). */
  cipherValue: Buffer;
  /** The decoded ValueMAC, when present. */
  valueMac: Buffer | undefined;
  /** Where the value sits, for error messages, e.g. "key package 1 (serial 123) Secret". */
  where: string;
}

export type DataValue<T> = { kind: 'plain'; value: T } | { kind: 'encrypted'; blob: EncryptedBlob };

export interface Pbkdf2Params {
  salt: Buffer;
  iterationCount: number;
  /** Derived key length in bytes; when absent, the key size of the cipher that uses it. */
  keyLength: number | undefined;
  prf: HmacHash;
}

export type EncryptionKeySpec =
  | { kind: 'none' }
  | { kind: 'pre-shared'; keyName: string | undefined }
  | { kind: 'pbkdf2'; params: Pbkdf2Params }
  | { kind: 'unsupported'; description: string };

export interface MacMethodSpec {
  hash: HmacHash;
  macKey: EncryptedBlob;
}

export interface ParsedKeyPackage {
  /** 1-based position in the file. */
  index: number;
  /** "key package N (serial S)", for error messages. */
  label: string;
  serial: string;
  type: 'totp' | 'hotp';
  algorithm: PskcHashAlgorithm;
  digits: number;
  secret: DataValue<Buffer>;
  counter: DataValue<number> | undefined;
  timeInterval: DataValue<number> | undefined;
  manufacturer: string | undefined;
  model: string | undefined;
  issuer: string | undefined;
  friendlyName: string | undefined;
}

export interface ParsedContainer {
  encryptionKey: EncryptionKeySpec;
  macMethod: MacMethodSpec | undefined;
  packages: ParsedKeyPackage[];
}
