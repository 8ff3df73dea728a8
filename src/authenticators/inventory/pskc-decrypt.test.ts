import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import {
  type CipherSpec,
  cipherFromUri,
  decryptCipherValue,
  derivePbkdf2Key,
  PskcDecryptor,
  parseKeyHex,
} from './pskc-decrypt.js';
import { computeValueMac, hmacHashFromUri, verifyValueMac } from './pskc-mac.js';
import type { EncryptedBlob, HmacHash } from './pskc-types.js';

const VECTORS = new URL('../../../../shared/vectors/', import.meta.url);

/** The CipherValues (MACKey first, when present) and ValueMACs of a vector file, in order. */
function vectorValues(path: string): { cipherValues: Buffer[]; valueMacs: Buffer[] } {
  const xml = readFileSync(new URL(path, VECTORS), 'utf8');
  const grab = (re: RegExp) =>
    [...xml.matchAll(re)].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
  return {
    cipherValues: grab(/<xenc:CipherValue>([^<]+)<\/xenc:CipherValue>/g),
    valueMacs: grab(/<ValueMAC>([^<]+)<\/ValueMAC>/g),
  };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  throw new Error('expected an AppError, but nothing was thrown');
}

function cipher(uri: string): CipherSpec {
  const spec = cipherFromUri(uri);
  if (spec === undefined) throw new Error(`no cipher for ${uri}`);
  return spec;
}

const AES128_CBC = 'http://www.w3.org/2001/04/xmlenc#aes128-cbc';
const AES256_CBC = 'http://www.w3.org/2001/04/xmlenc#aes256-cbc';
const KW_AES128 = 'http://www.w3.org/2001/04/xmlenc#kw-aes128';
const RFC_KEY = Buffer.from('12345678901234567890123456789012', 'hex');

function at(list: Buffer[], i: number): Buffer {
  const value = list[i];
  if (value === undefined) throw new Error(`vector value ${i} missing`);
  return value;
}

describe('decryptCipherValue and ValueMAC against the sample containers', () => {
  it('encryption_aes128-cbc.xml: MAC key decrypts, HMAC-SHA224 ValueMAC verifies, secret decrypts', () => {
    const { cipherValues, valueMacs } = vectorValues('pskc-samples/encryption_aes128-cbc.xml');
    const macKey = decryptCipherValue(cipher(AES128_CBC), RFC_KEY, at(cipherValues, 0), 'MACKey');
    const hash = hmacHashFromUri('http://www.w3.org/2001/04/xmldsig-more#hmac-sha224');
    expect(hash).toBe('sha224');
    expect(computeValueMac(hash as HmacHash, macKey, at(cipherValues, 1))).toEqual(at(valueMacs, 0));
    const secret = decryptCipherValue(cipher(AES128_CBC), RFC_KEY, at(cipherValues, 1), 'Secret');
    expect(secret.toString('ascii')).toBe('12345678901234567890');
  });

  it('encryption_aes256-cbc.xml: AES-256-CBC with an HMAC-SHA384 ValueMAC', () => {
    const key = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'hex');
    const { cipherValues, valueMacs } = vectorValues('pskc-samples/encryption_aes256-cbc.xml');
    const macKey = decryptCipherValue(cipher(AES256_CBC), key, at(cipherValues, 0), 'MACKey');
    expect(() =>
      verifyValueMac('sha384', macKey, at(cipherValues, 1), at(valueMacs, 0), 'Secret'),
    ).not.toThrow();
    const secret = decryptCipherValue(cipher(AES256_CBC), key, at(cipherValues, 1), 'Secret');
    expect(secret.toString('ascii')).toBe('12345678901234567890');
  });

  it('encryption_kw-aes128.xml: RFC 3394 key unwrap gives the documented plaintext', () => {
    const key = Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex');
    const { cipherValues } = vectorValues('pskc-samples/encryption_kw-aes128.xml');
    const plaintext = decryptCipherValue(cipher(KW_AES128), key, at(cipherValues, 0), 'Secret');
    expect(plaintext.toString('hex')).toBe('00112233445566778899aabbccddeeff');
  });

  it('kw-aes128 with a wrong key fails the unwrap integrity check', () => {
    const { cipherValues } = vectorValues('pskc-samples/encryption_kw-aes128.xml');
    const wrong = Buffer.from('000102030405060708090A0B0C0D0E0E', 'hex');
    expect(codeOf(() => decryptCipherValue(cipher(KW_AES128), wrong, at(cipherValues, 0), 'Secret'))).toBe(
      'PSKC_DECRYPTION_FAILED',
    );
  });

  it('nagraid_file1.xml: real vendor ValueMAC verifies, and a one-byte change is a mismatch', () => {
    const key = Buffer.from('4A057F6AB6FCB57AB5408E46A9835E68', 'hex');
    const { cipherValues, valueMacs } = vectorValues('pskc-samples/nagraid_file1.xml');
    const macKey = decryptCipherValue(cipher(AES128_CBC), key, at(cipherValues, 0), 'MACKey');
    for (let i = 0; i < 3; i++) {
      expect(() =>
        verifyValueMac('sha1', macKey, at(cipherValues, i + 1), at(valueMacs, i), 'Secret'),
      ).not.toThrow();
    }
    const altered = Buffer.from(at(cipherValues, 1));
    altered[20] = (altered[20] ?? 0) ^ 0x01;
    expect(codeOf(() => verifyValueMac('sha1', macKey, altered, at(valueMacs, 0), 'Secret'))).toBe(
      'PSKC_MAC_MISMATCH',
    );
  });

  it('RFC 6030 figure 6 ciphertext under a wrong key has bad padding', () => {
    const { cipherValues } = vectorValues('pskc-rfc6030/figure6.xml');
    const wrong = Buffer.from('00000000000000000000000000000000', 'hex');
    expect(codeOf(() => decryptCipherValue(cipher(AES128_CBC), wrong, at(cipherValues, 1), 'Secret'))).toBe(
      'PSKC_DECRYPTION_FAILED',
    );
  });

  it('refuses a key of the wrong size for the cipher, and truncated ciphertexts', () => {
    const { cipherValues } = vectorValues('pskc-rfc6030/figure6.xml');
    const value = at(cipherValues, 1);
    expect(codeOf(() => decryptCipherValue(cipher(AES256_CBC), RFC_KEY, value, 'Secret'))).toBe(
      'PSKC_DECRYPTION_FAILED',
    );
    expect(
      codeOf(() => decryptCipherValue(cipher(AES128_CBC), RFC_KEY, value.subarray(0, 16), 'Secret')),
    ).toBe('PSKC_DECRYPTION_FAILED');
    expect(
      codeOf(() => decryptCipherValue(cipher(AES128_CBC), RFC_KEY, value.subarray(0, 40), 'Secret')),
    ).toBe('PSKC_DECRYPTION_FAILED');
  });

  it('knows exactly the xmlenc AES-CBC and key-wrap URIs', () => {
    for (const bits of [128, 192, 256]) {
      expect(cipherFromUri(`http://www.w3.org/2001/04/xmlenc#aes${bits}-cbc`)?.keyBytes).toBe(bits / 8);
      expect(cipherFromUri(`http://www.w3.org/2001/04/xmlenc#kw-aes${bits}`)?.mode).toBe('kw');
    }
    expect(cipherFromUri('http://www.w3.org/2001/04/xmlenc#rsa_1_5')).toBeUndefined();
    expect(cipherFromUri('http://www.w3.org/2001/04/xmlenc#tripledes-cbc')).toBeUndefined();
  });
});

describe('derivePbkdf2Key', () => {
  it('derives the RFC 6030 figure 7 key from "qwerty"', () => {
    const key = derivePbkdf2Key(
      'qwerty',
      { salt: Buffer.from('Ej7/PEpyEpw=', 'base64'), iterationCount: 1000, keyLength: 16, prf: 'sha1' },
      16,
    );
    expect(key.toString('hex')).toBe('651e63cd57008476af1ff6422cd02e41');
  });
});

describe('parseKeyHex', () => {
  it('accepts AES-128/192/256 keys in hex', () => {
    expect(parseKeyHex('12345678901234567890123456789012')).toEqual(RFC_KEY);
    expect(parseKeyHex('ab'.repeat(24))).toHaveLength(24);
    expect(parseKeyHex('AB'.repeat(32))).toHaveLength(32);
  });

  it.each(['1234', 'zz'.repeat(16), '12'.repeat(17), '0x' + '12'.repeat(15)])('refuses %s', (hex) => {
    expect(codeOf(() => parseKeyHex(hex))).toBe('PSKC_DECRYPTION_FAILED');
  });
});

describe('PskcDecryptor', () => {
  const { cipherValues, valueMacs } = vectorValues('pskc-rfc6030/figure6.xml');
  const macMethod = {
    hash: 'sha1' as const,
    macKey: { algorithm: AES128_CBC, cipherValue: at(cipherValues, 0), valueMac: undefined, where: 'MACKey' },
  };
  const secret: EncryptedBlob = {
    algorithm: AES128_CBC,
    cipherValue: at(cipherValues, 1),
    valueMac: at(valueMacs, 0),
    where: 'Secret',
  };
  const preShared = { kind: 'pre-shared' as const, keyName: 'Pre-shared-key' };

  it('checks the ValueMAC and decrypts with the pre-shared key', () => {
    const decryptor = new PskcDecryptor(preShared, macMethod, { key: RFC_KEY, password: undefined });
    expect(decryptor.decrypt(secret).toString('ascii')).toBe('12345678901234567890');
  });

  it('asks for a key when none is given', () => {
    const decryptor = new PskcDecryptor(preShared, macMethod, { key: undefined, password: undefined });
    expect(codeOf(() => decryptor.decrypt(secret))).toBe('PSKC_DECRYPTION_FAILED');
  });

  it('refuses a password for a pre-shared-key container', () => {
    const decryptor = new PskcDecryptor(preShared, macMethod, { key: undefined, password: 'qwerty' });
    expect(codeOf(() => decryptor.decrypt(secret))).toBe('PSKC_DECRYPTION_FAILED');
  });

  it('reports a MAC mismatch before decrypting a value whose MAC is wrong', () => {
    const decryptor = new PskcDecryptor(preShared, macMethod, { key: RFC_KEY, password: undefined });
    const forged = { ...secret, valueMac: Buffer.alloc(20) };
    expect(codeOf(() => decryptor.decrypt(forged))).toBe('PSKC_MAC_MISMATCH');
  });

  it('refuses unsupported algorithms and unsupported key transport', () => {
    const decryptor = new PskcDecryptor(preShared, macMethod, { key: RFC_KEY, password: undefined });
    const rsa = { ...secret, algorithm: 'http://www.w3.org/2001/04/xmlenc#rsa_1_5' };
    expect(codeOf(() => decryptor.decrypt(rsa))).toBe('PSKC_DECRYPTION_FAILED');
    const x509 = new PskcDecryptor({ kind: 'unsupported', description: 'X509Data' }, macMethod, {
      key: RFC_KEY,
      password: undefined,
    });
    expect(codeOf(() => x509.decrypt(secret))).toBe('PSKC_DECRYPTION_FAILED');
  });
});
