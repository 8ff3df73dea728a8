import { createCipheriv, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, type ErrorCode } from '../../shared/errors.js';
import { type PskcReadOptions, type PskcToken, readPskc } from './read-pskc.js';

// ---------------------------------------------------------------------------------------------
// Helpers

const VECTORS = new URL('../../../../shared/vectors/', import.meta.url);
const RFC_KEY_HEX = '12345678901234567890123456789012';
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

function vector(path: string): string {
  return readFileSync(new URL(path, VECTORS), 'utf8');
}

/** The AppError code `fn` throws; fails the test when it throws nothing or something else. */
function codeOf(fn: () => unknown): ErrorCode {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  throw new Error('expected readPskc to throw an AppError, but it returned');
}

function only(tokens: PskcToken[]): PskcToken {
  expect(tokens).toHaveLength(1);
  return tokens[0] as PskcToken;
}

const XMLENC = 'http://www.w3.org/2001/04/xmlenc#';
const HOTP = 'urn:ietf:params:xml:ns:keyprov:pskc:hotp';
const TOTP = 'urn:ietf:params:xml:ns:keyprov:pskc:totp';
const MAC_URIS = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
  sha256: 'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256',
} as const;
const NAMESPACES = [
  'xmlns="urn:ietf:params:xml:ns:keyprov:pskc"',
  'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"',
  'xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"',
  'xmlns:xenc11="http://www.w3.org/2009/xmlenc11#"',
  'xmlns:pkcs5="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#"',
].join(' ');
const PRE_SHARED = '<EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></EncryptionKey>';

/** A 20-byte seed, different from the RFC one so fixtures cannot pass by accident. */
const SEED = Buffer.from('c0ffee00112233445566778899aabbccddeeff01', 'hex');

function doc(inner: string, rootAttributes = `Version="1.0" ${NAMESPACES}`): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<KeyContainer ${rootAttributes}>\n${inner}\n</KeyContainer>\n`;
}

interface PackageSpec {
  serial?: string;
  keyId?: string;
  algorithm?: string;
  deviceExtra?: string;
  keyExtra?: string;
  params?: string;
  /** Content of Data/Secret; default: SEED as PlainValue. */
  secretXml?: string;
  dataExtra?: string;
}

function keyPackage(spec: PackageSpec = {}): string {
  const device =
    spec.serial !== undefined || spec.deviceExtra !== undefined
      ? `<DeviceInfo>${spec.deviceExtra ?? ''}${spec.serial === undefined ? '' : `<SerialNo>${spec.serial}</SerialNo>`}</DeviceInfo>`
      : '';
  const id = spec.keyId === undefined ? '' : ` Id="${spec.keyId}"`;
  const params = spec.params === undefined ? '' : `<AlgorithmParameters>${spec.params}</AlgorithmParameters>`;
  const secret = spec.secretXml ?? plain(SEED);
  return (
    `<KeyPackage>${device}<Key${id} Algorithm="${spec.algorithm ?? HOTP}">${spec.keyExtra ?? ''}${params}` +
    `<Data><Secret>${secret}</Secret>${spec.dataExtra ?? ''}</Data></Key></KeyPackage>`
  );
}

function plain(bytes: Buffer): string {
  return `<PlainValue>${bytes.toString('base64')}</PlainValue>`;
}

function encryptedValue(algorithmUri: string, cipherValue: Buffer, mac?: Buffer): string {
  return (
    `<EncryptedValue><xenc:EncryptionMethod Algorithm="${algorithmUri}"/>` +
    `<xenc:CipherData><xenc:CipherValue>${cipherValue.toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
    `</EncryptedValue>${mac === undefined ? '' : `<ValueMAC>${mac.toString('base64')}</ValueMAC>`}`
  );
}

function cbcEncrypt(key: Buffer, plaintext: Buffer): Buffer {
  const iv = randomBytes(16);
  const cipher = createCipheriv(`aes-${key.length * 8}-cbc`, key, iv);
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final()]);
}

/** An AES-CBC + HMAC container per RFC 6030 §6.1 (the MAC key is encrypted with the same key). */
function cbcContainer(key: Buffer, macHash: keyof typeof MAC_URIS = 'sha1', encryptionKey = PRE_SHARED) {
  const cbcUri = `${XMLENC}aes${key.length * 8}-cbc`;
  const macKey = randomBytes(20);
  const head =
    `${encryptionKey}<MACMethod Algorithm="${MAC_URIS[macHash]}"><MACKey>` +
    `<xenc:EncryptionMethod Algorithm="${cbcUri}"/><xenc:CipherData><xenc:CipherValue>` +
    `${cbcEncrypt(key, macKey).toString('base64')}</xenc:CipherValue></xenc:CipherData></MACKey></MACMethod>`;
  /** EncryptedValue + ValueMAC; `tamper` alters the CipherValue after the MAC was computed. */
  const value = (plaintext: Buffer, tamper?: (cipherValue: Buffer) => void): string => {
    const cipherValue = cbcEncrypt(key, plaintext);
    const mac = createHmac(macHash, macKey).update(cipherValue).digest();
    tamper?.(cipherValue);
    return encryptedValue(cbcUri, cipherValue, mac);
  };
  return { head, value };
}

function keyWrap(key: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv(`id-aes${key.length * 8}-wrap`, key, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

function bigEndian(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(value));
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Vector files: every file in both folders has exactly one expected outcome here.

type Outcome = { tokens: (tokens: PskcToken[]) => void } | { code: ErrorCode };
interface VectorCase {
  file: string;
  opts?: PskcReadOptions;
  outcome: Outcome;
  why: string;
}

const FIGURE_TOKEN = {
  serial: '987654321',
  type: 'hotp',
  secret: RFC_SECRET,
  algorithm: 'SHA1',
  digits: 8,
  counter: 0,
} as const;

const VECTOR_CASES: VectorCase[] = [
  // RFC 6030 figures
  {
    file: 'pskc-rfc6030/figure2.xml',
    outcome: { code: 'PSKC_INVALID' },
    why: 'secret "1234" is 4 bytes (< 16); serial falls back to Key Id',
  },
  {
    file: 'pskc-rfc6030/figure3.xml',
    outcome: {
      tokens: (t) => expect(t).toEqual([{ ...FIGURE_TOKEN, manufacturer: 'Manufacturer', issuer: 'Issuer' }]),
    },
    why: 'plain HOTP, 8 digits',
  },
  {
    file: 'pskc-rfc6030/figure4.xml',
    outcome: { code: 'PSKC_INVALID' },
    why: 'no Secret (KeyReference only)',
  },
  {
    file: 'pskc-rfc6030/figure5.xml',
    outcome: { code: 'PSKC_INVALID' },
    why: 'second KeyPackage is a pskc:pin key, not OTP',
  },
  {
    file: 'pskc-rfc6030/figure6.xml',
    opts: { keyHex: RFC_KEY_HEX },
    outcome: {
      tokens: (t) => expect(t).toEqual([{ ...FIGURE_TOKEN, manufacturer: 'Manufacturer', issuer: 'Issuer' }]),
    },
    why: 'AES-128-CBC + HMAC-SHA1 with the pre-shared key',
  },
  {
    file: 'pskc-rfc6030/figure6.xml',
    outcome: { code: 'PSKC_DECRYPTION_FAILED' },
    why: 'encrypted, but no --key-hex/--password',
  },
  {
    file: 'pskc-rfc6030/figure7.xml',
    opts: { password: 'qwerty' },
    outcome: {
      tokens: (t) =>
        expect(t).toEqual([{ ...FIGURE_TOKEN, manufacturer: 'TokenVendorAcme', issuer: 'Example-Issuer' }]),
    },
    why: 'PBKDF2 (1000 iterations, HMAC-SHA1) + AES-128-CBC; no Counter, so 0',
  },
  {
    file: 'pskc-rfc6030/figure7.xml',
    outcome: { code: 'PSKC_DECRYPTION_FAILED' },
    why: 'encrypted, but no --key-hex/--password',
  },
  {
    file: 'pskc-rfc6030/figure8.xml',
    opts: { keyHex: RFC_KEY_HEX },
    outcome: { code: 'PSKC_DECRYPTION_FAILED' },
    why: 'rsa_1_5 / X.509 key transport is not supported',
  },
  {
    file: 'pskc-rfc6030/figure9.xml',
    outcome: {
      tokens: (t) =>
        expect(t).toEqual([
          {
            ...FIGURE_TOKEN,
            serial: '0755225266',
            digits: 6,
            manufacturer: 'TokenVendorAcme',
            issuer: 'Example-Issuer',
          },
        ]),
    },
    why: 'plain HOTP; ds:Signature is ignored (not verified); leading zero of serial kept',
  },
  {
    file: 'pskc-rfc6030/figure10.xml',
    outcome: { code: 'PSKC_DUPLICATE_SERIAL' },
    why: 'serial 9999999 is in two KeyPackages',
  },
  // Vendor and malformed samples
  {
    file: 'pskc-samples/actividentity_test.xml',
    outcome: { code: 'PSKC_INVALID' },
    why: 'pre-RFC draft format (container:1.0 namespace, no Version)',
  },
  {
    file: 'pskc-samples/draft-hoyer-keyprov-pskc-algorithm-profiles-01_totp.xml',
    outcome: { code: 'PSKC_INVALID' },
    why: 'pre-RFC draft format (pskc:1.0 namespace, Device instead of KeyPackage)',
  },
  {
    file: 'pskc-samples/encryption_aes128-cbc.xml',
    opts: { keyHex: RFC_KEY_HEX },
    outcome: { code: 'PSKC_INVALID' },
    why: 'decryptable, but the Key has no serial/Id and no Algorithm',
  },
  {
    file: 'pskc-samples/encryption_aes256-cbc.xml',
    opts: { keyHex: '1234567890123456789012345678901234567890123456789012345678901234' },
    outcome: { code: 'PSKC_INVALID' },
    why: 'decryptable, but the Key has no serial/Id and no Algorithm',
  },
  {
    file: 'pskc-samples/encryption_kw-aes128.xml',
    opts: { keyHex: '000102030405060708090A0B0C0D0E0F' },
    outcome: { code: 'PSKC_INVALID' },
    why: 'decryptable, but the Key has no serial/Id and no Algorithm',
  },
  {
    file: 'pskc-samples/feitian_20120919.xml',
    outcome: {
      tokens: (t) =>
        expect(t).toEqual([
          {
            serial: '2600215704919',
            type: 'totp',
            secret: Buffer.from('zSK3gP/9LVNpaAfs039ATa45MnA=', 'base64'),
            algorithm: 'SHA1',
            digits: 6,
            period: 60,
            manufacturer: 'FeiTian Technology Co.,Ltd',
          },
          {
            serial: '1000117803294',
            type: 'hotp',
            secret: Buffer.from('TfpfT+8Jn9s6FYNIySi+uzXkIi0=', 'base64'),
            algorithm: 'SHA1',
            digits: 6,
            counter: 0,
            manufacturer: 'FeiTian Technology Co.,Ltd',
          },
        ]),
    },
    why: 'one TOTP (60 s) and one HOTP',
  },
  {
    file: 'pskc-samples/feitian_file1.xml',
    outcome: {
      tokens: (t) => {
        expect(t.map((x) => [x.serial, x.type, x.period ?? x.counter])).toEqual([
          ['1000133508267', 'hotp', 0],
          ['1000133508255', 'hotp', 0],
          ['2600124809778', 'totp', 60],
          ['2600124809787', 'totp', 60],
          ['2600135004012', 'totp', 60],
          ['2600135004013', 'totp', 60],
        ]);
        expect(t[0]?.secret.toString('base64')).toBe('PuMnCivln/14Ii3DNhR4/1zGN5A=');
        expect(t[5]?.secret.toString('base64')).toBe('NSLuCF/qeQPsqY7Sod4anJMjIBg=');
        expect(t.every((x) => x.manufacturer === 'Feitian Technology Co.,Ltd' && x.digits === 6)).toBe(true);
      },
    },
    why: 'two HOTP and four TOTP tokens',
  },
  {
    file: 'pskc-samples/invalid_mac-value.xml',
    opts: { keyHex: RFC_KEY_HEX },
    outcome: { code: 'PSKC_MAC_MISMATCH' },
    why: 'ValueMAC altered',
  },
  {
    file: 'pskc-samples/invalid_mac-value.xml',
    outcome: { code: 'PSKC_DECRYPTION_FAILED' },
    why: 'encrypted, but no --key-hex/--password',
  },
  {
    file: 'pskc-samples/invalid_missing-encryption.xml',
    opts: { keyHex: RFC_KEY_HEX },
    outcome: { code: 'PSKC_INVALID' },
    why: 'EncryptionMethod without Algorithm',
  },
  {
    file: 'pskc-samples/invalid_not-integer.xml',
    outcome: { code: 'PSKC_INVALID' },
    why: 'NumberOfTransactions "TWELVE"',
  },
  { file: 'pskc-samples/invalid_notxml.xml', outcome: { code: 'PSKC_INVALID' }, why: 'not well-formed XML' },
  { file: 'pskc-samples/invalid_wrongversion.xml', outcome: { code: 'PSKC_INVALID' }, why: 'Version "1.2"' },
  {
    file: 'pskc-samples/misc_checkdigits.xml',
    outcome: { code: 'PSKC_INVALID' },
    why: 'Keys without serial/Id and Algorithm (and 9- and 3-digit responses)',
  },
  {
    file: 'pskc-samples/nagraid_file1.xml',
    opts: { keyHex: '4A057F6AB6FCB57AB5408E46A9835E68' },
    outcome: { code: 'PSKC_INVALID' },
    why: 'OCRA keys, not HOTP/TOTP',
  },
  {
    file: 'pskc-samples/yubico_example1.xml',
    outcome: { code: 'PSKC_INVALID' },
    why: 'yubikey-aes key, not HOTP/TOTP',
  },
];

describe('readPskc on the vector files', () => {
  it.each(VECTOR_CASES.map((c) => [`${c.file}${c.opts ? ' (with key)' : ''}: ${c.why}`, c] as const))(
    '%s',
    (_name, c) => {
      const xml = vector(c.file);
      if ('code' in c.outcome) {
        expect(codeOf(() => readPskc(xml, c.opts ?? {}))).toBe(c.outcome.code);
      } else {
        c.outcome.tokens(readPskc(xml, c.opts ?? {}));
      }
    },
  );

  it('has an expected outcome for every vector file, and every invalid_ file is refused', () => {
    const files = ['pskc-rfc6030', 'pskc-samples'].flatMap((dir) =>
      readdirSync(new URL(`${dir}/`, VECTORS)).map((f) => `${dir}/${f}`),
    );
    const covered = new Set(VECTOR_CASES.map((c) => c.file));
    expect(files.filter((f) => !covered.has(f))).toEqual([]);
    for (const c of VECTOR_CASES.filter((x) => x.file.includes('/invalid_'))) {
      expect('code' in c.outcome).toBe(true);
    }
  });

  it('figure 2 fails only on its short secret: with a 16-byte secret it reads, serial from Key Id', () => {
    const xml = vector('pskc-rfc6030/figure2.xml').replace(
      'MTIzNA==',
      SEED.subarray(0, 16).toString('base64'),
    );
    expect(only(readPskc(xml, {}))).toEqual({
      serial: '12345678',
      type: 'hotp',
      secret: SEED.subarray(0, 16),
      algorithm: 'SHA1',
      digits: 6,
      counter: 0,
      issuer: 'Issuer-A',
    });
  });

  it('figure 5 fails because of its PIN key package: without it the HOTP package reads', () => {
    const xml = vector('pskc-rfc6030/figure5.xml');
    const second = xml.indexOf('<KeyPackage>', xml.indexOf('</KeyPackage>'));
    const withoutPin =
      xml.slice(0, second) + xml.slice(xml.indexOf('</KeyPackage>', second) + '</KeyPackage>'.length);
    expect(only(readPskc(withoutPin, {})).serial).toBe('987654321');
  });

  it('figure 10 fails only on the duplicate: with the last serial changed all four read', () => {
    const xml = vector('pskc-rfc6030/figure10.xml');
    const last = xml.lastIndexOf('<SerialNo>9999999</SerialNo>');
    const fixed = `${xml.slice(0, last)}<SerialNo>9999998</SerialNo>${xml.slice(last + 28)}`;
    expect(readPskc(fixed, {}).map((t) => t.serial)).toEqual(['654321', '123456', '9999999', '9999998']);
  });

  it('invalid_wrongversion.xml fails on its Version: with a long secret it still fails, with 1.0 it reads', () => {
    const xml = vector('pskc-samples/invalid_wrongversion.xml').replace('MTIzNA==', SEED.toString('base64'));
    expect(codeOf(() => readPskc(xml, {}))).toBe('PSKC_INVALID');
    expect(only(readPskc(xml.replace('Version="1.2"', 'Version="1.0"'), {})).serial).toBe('12345678');
  });

  it('invalid_not-integer.xml fails on "TWELVE" even once the Key is otherwise complete', () => {
    const xml = vector('pskc-samples/invalid_not-integer.xml').replace(
      '<Key>',
      `<Key Id="NI-1" Algorithm="${HOTP}"><Data><Secret>${plain(SEED)}</Secret></Data>`,
    );
    expect(codeOf(() => readPskc(xml, {}))).toBe('PSKC_INVALID');
    expect(only(readPskc(xml.replace('TWELVE', '12'), {})).serial).toBe('NI-1');
  });

  it('nagraid_file1.xml fails on OCRA: relabelled as HOTP, its three MAC-checked secrets decrypt', () => {
    const xml = vector('pskc-samples/nagraid_file1.xml')
      .replaceAll('urn:ietf:params:xml:ns:keyprov:pskc:ocra', HOTP)
      .replace(/<Suite>[^<]*<\/Suite>/g, '');
    const tokens = readPskc(xml, { keyHex: '4A057F6AB6FCB57AB5408E46A9835E68' });
    expect(tokens.map((t) => [t.serial, t.model, t.secret.length])).toEqual([
      ['306EUO4-00960', '306E', 20],
      ['306EUO4-00954', '306E', 20],
      ['306EUO4-00958', '306E', 20],
    ]);
    expect(tokens[0]?.secret.toString('hex')).toBe('ec63936268e7e86637e72c81d0a54e3b649754c8');
  });

  it('the encryption_* samples decrypt end to end once a serial and Algorithm are added', () => {
    const withKey = (file: string) => vector(file).replace('<Key>', `<Key Id="S-1" Algorithm="${HOTP}">`);
    expect(
      only(readPskc(withKey('pskc-samples/encryption_aes128-cbc.xml'), { keyHex: RFC_KEY_HEX })).secret,
    ).toEqual(RFC_SECRET);
    expect(
      only(
        readPskc(withKey('pskc-samples/encryption_aes256-cbc.xml'), {
          keyHex: '1234567890123456789012345678901234567890123456789012345678901234',
        }),
      ).secret,
    ).toEqual(RFC_SECRET);
    expect(
      only(
        readPskc(withKey('pskc-samples/encryption_kw-aes128.xml'), {
          keyHex: '000102030405060708090A0B0C0D0E0F',
        }),
      ).secret,
    ).toEqual(Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex'));
  });

  it('figure 6 and 7 with a wrong key or password are refused', () => {
    const wrongKey = codeOf(() => readPskc(vector('pskc-rfc6030/figure6.xml'), { keyHex: '00'.repeat(16) }));
    expect(['PSKC_DECRYPTION_FAILED', 'PSKC_MAC_MISMATCH']).toContain(wrongKey);
    const wrongPassword = codeOf(() => readPskc(vector('pskc-rfc6030/figure7.xml'), { password: 'qwertz' }));
    expect(['PSKC_DECRYPTION_FAILED', 'PSKC_MAC_MISMATCH']).toContain(wrongPassword);
  });

  it('a password cannot open a pre-shared-key container (figure 6)', () => {
    expect(codeOf(() => readPskc(vector('pskc-rfc6030/figure6.xml'), { password: 'qwerty' }))).toBe(
      'PSKC_DECRYPTION_FAILED',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Own fixtures

describe('readPskc: encryption and MAC', () => {
  const key = randomBytes(16);
  const keyHex = key.toString('hex');

  it('reads an AES-128-CBC + HMAC-SHA1 fixture (control for the failure cases below)', () => {
    const { head, value } = cbcContainer(key);
    const xml = doc(head + keyPackage({ serial: 'ENC-1', secretXml: value(SEED) }));
    expect(only(readPskc(xml, { keyHex })).secret).toEqual(SEED);
  });

  it('wrong key → PSKC_DECRYPTION_FAILED (bad padding) or PSKC_MAC_MISMATCH', () => {
    const { head, value } = cbcContainer(key);
    const xml = doc(head + keyPackage({ serial: 'ENC-1', secretXml: value(SEED) }));
    const wrong = Buffer.from(key);
    wrong[0] = (wrong[0] ?? 0) ^ 0xff;
    const code = codeOf(() => readPskc(xml, { keyHex: wrong.toString('hex') }));
    expect(['PSKC_DECRYPTION_FAILED', 'PSKC_MAC_MISMATCH']).toContain(code);
  });

  it('wrong key on a key-wrapped value → PSKC_DECRYPTION_FAILED', () => {
    const cipherValue = keyWrap(key, SEED.subarray(0, 16));
    const xml = doc(
      PRE_SHARED +
        keyPackage({ serial: 'KW-1', secretXml: encryptedValue(`${XMLENC}kw-aes128`, cipherValue) }),
    );
    expect(only(readPskc(xml, { keyHex })).secret).toEqual(SEED.subarray(0, 16));
    expect(codeOf(() => readPskc(xml, { keyHex: 'ff'.repeat(16) }))).toBe('PSKC_DECRYPTION_FAILED');
  });

  it('tampered ciphertext with a MAC → PSKC_MAC_MISMATCH', () => {
    const { head, value } = cbcContainer(key);
    const tampered = value(SEED, (cv) => {
      cv[cv.length - 1] = (cv[cv.length - 1] ?? 0) ^ 0x01;
    });
    const xml = doc(head + keyPackage({ serial: 'ENC-1', secretXml: tampered }));
    expect(codeOf(() => readPskc(xml, { keyHex }))).toBe('PSKC_MAC_MISMATCH');
  });

  it('tampered IV with a MAC → PSKC_MAC_MISMATCH (the MAC covers IV || ciphertext)', () => {
    const { head, value } = cbcContainer(key);
    const tampered = value(SEED, (cv) => {
      cv[0] = (cv[0] ?? 0) ^ 0x80;
    });
    const xml = doc(head + keyPackage({ serial: 'ENC-1', secretXml: tampered }));
    expect(codeOf(() => readPskc(xml, { keyHex }))).toBe('PSKC_MAC_MISMATCH');
  });

  it('AES-256-CBC with HMAC-SHA256, including an encrypted Counter (big-endian)', () => {
    const key256 = randomBytes(32);
    const { head, value } = cbcContainer(key256, 'sha256');
    const xml = doc(
      head +
        keyPackage({
          serial: 'ENC-256',
          secretXml: value(SEED),
          dataExtra: `<Counter>${value(bigEndian(4242))}</Counter>`,
        }),
    );
    const token = only(readPskc(xml, { keyHex: key256.toString('hex') }));
    expect(token.secret).toEqual(SEED);
    expect(token.counter).toBe(4242);
  });

  it('PBKDF2 DerivedKey with an HMAC-SHA256 PRF and no KeyLength (taken from the cipher)', () => {
    const salt = randomBytes(8);
    const derived = pbkdf2Sync('correct horse', salt, 2000, 32, 'sha256');
    const encryptionKey =
      '<EncryptionKey><xenc11:DerivedKey><xenc11:KeyDerivationMethod ' +
      'Algorithm="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2"><pkcs5:PBKDF2-params>' +
      `<Salt><Specified>${salt.toString('base64')}</Specified></Salt><IterationCount>2000</IterationCount>` +
      '<PRF Algorithm="http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"/></pkcs5:PBKDF2-params>' +
      '</xenc11:KeyDerivationMethod></xenc11:DerivedKey></EncryptionKey>';
    const { head, value } = cbcContainer(derived, 'sha1', encryptionKey);
    const xml = doc(head + keyPackage({ serial: 'PW-1', secretXml: value(SEED) }));
    expect(only(readPskc(xml, { password: 'correct horse' })).secret).toEqual(SEED);
    expect(['PSKC_DECRYPTION_FAILED', 'PSKC_MAC_MISMATCH']).toContain(
      codeOf(() => readPskc(xml, { password: 'Correct horse' })),
    );
  });

  it('no key or password for encrypted values → PSKC_DECRYPTION_FAILED', () => {
    const { head, value } = cbcContainer(key);
    const xml = doc(head + keyPackage({ serial: 'ENC-1', secretXml: value(SEED) }));
    expect(codeOf(() => readPskc(xml, {}))).toBe('PSKC_DECRYPTION_FAILED');
    expect(codeOf(() => readPskc(xml, { keyHex: '', password: '' }))).toBe('PSKC_DECRYPTION_FAILED');
  });

  it('a malformed --key-hex → PSKC_DECRYPTION_FAILED, even for a plain container', () => {
    const xml = doc(keyPackage({ serial: 'P-1' }));
    expect(codeOf(() => readPskc(xml, { keyHex: 'not-hex' }))).toBe('PSKC_DECRYPTION_FAILED');
  });

  it('a CBC value without ValueMAC is refused (RFC 6030 §6.1.1 requires the MAC)', () => {
    const xml = doc(
      PRE_SHARED +
        keyPackage({
          serial: 'ENC-1',
          secretXml: encryptedValue(`${XMLENC}aes128-cbc`, cbcEncrypt(key, SEED)),
        }),
    );
    expect(codeOf(() => readPskc(xml, { keyHex }))).toBe('PSKC_INVALID');
  });
});

describe('readPskc: structure and rules', () => {
  it('reads a plain HOTP with defaults (SHA1, 6 digits, counter 0)', () => {
    expect(only(readPskc(doc(keyPackage({ serial: 'P-1' })), {}))).toEqual({
      serial: 'P-1',
      type: 'hotp',
      secret: SEED,
      algorithm: 'SHA1',
      digits: 6,
      counter: 0,
    });
  });

  it('reads TOTP parameters: Suite hash, Length, TimeInterval, names; default period 30', () => {
    const seed64 = Buffer.concat([SEED, SEED, SEED, SEED.subarray(0, 4)]);
    const xml = doc(
      keyPackage({
        serial: 'T-1',
        algorithm: TOTP,
        deviceExtra: '<Manufacturer>AT&amp;T &#x41;</Manufacturer><Model>c200</Model>',
        keyExtra: '<Issuer>Acme</Issuer><FriendlyName>Desk token</FriendlyName>',
        params: '<Suite hash="SHA512"/><ResponseFormat Length="8" Encoding="DECIMAL"/>',
        secretXml: plain(seed64),
        dataExtra:
          '<Time><PlainValue>0</PlainValue></Time><TimeInterval><PlainValue>60</PlainValue></TimeInterval>',
      }) +
        keyPackage({
          keyId: 'T-2',
          algorithm: 'http://www.ietf.org/keyprov/pskc#totp',
          params: '<Suite>HMAC-SHA256</Suite>',
        }),
    );
    expect(readPskc(xml, {})).toEqual([
      {
        serial: 'T-1',
        type: 'totp',
        secret: seed64,
        algorithm: 'SHA512',
        digits: 8,
        period: 60,
        manufacturer: 'AT&T A',
        model: 'c200',
        issuer: 'Acme',
        friendlyName: 'Desk token',
      },
      { serial: 'T-2', type: 'totp', secret: SEED, algorithm: 'SHA256', digits: 6, period: 30 },
    ]);
  });

  it('DeviceInfo/SerialNo wins over Key Id', () => {
    expect(only(readPskc(doc(keyPackage({ serial: 'SN-1', keyId: 'ID-1' })), {})).serial).toBe('SN-1');
  });

  it('duplicate serial → PSKC_DUPLICATE_SERIAL (SerialNo and Key Id fallback alike)', () => {
    expect(
      codeOf(() => readPskc(doc(keyPackage({ serial: 'D-1' }) + keyPackage({ serial: 'D-1' })), {})),
    ).toBe('PSKC_DUPLICATE_SERIAL');
    expect(
      codeOf(() => readPskc(doc(keyPackage({ serial: 'D-1' }) + keyPackage({ keyId: 'D-1' })), {})),
    ).toBe('PSKC_DUPLICATE_SERIAL');
  });

  it('a token without serial or Key Id → PSKC_INVALID', () => {
    expect(codeOf(() => readPskc(doc(keyPackage({})), {}))).toBe('PSKC_INVALID');
  });

  it('is all or nothing: one bad key package among good ones fails the whole call', () => {
    const xml = doc(
      keyPackage({ serial: 'G-1' }) +
        keyPackage({ serial: 'B-1', secretXml: plain(SEED.subarray(0, 15)) }) +
        keyPackage({ serial: 'G-2' }),
    );
    expect(codeOf(() => readPskc(xml, {}))).toBe('PSKC_INVALID');
    expect(readPskc(doc(keyPackage({ serial: 'G-1' }) + keyPackage({ serial: 'G-2' })), {})).toHaveLength(2);
  });

  it('secrets of 16 bytes are accepted, 15 bytes refused', () => {
    expect(
      only(readPskc(doc(keyPackage({ serial: 'S16', secretXml: plain(SEED.subarray(0, 16)) })), {})).secret,
    ).toEqual(SEED.subarray(0, 16));
    expect(
      codeOf(() => readPskc(doc(keyPackage({ serial: 'S15', secretXml: plain(SEED.subarray(0, 15)) })), {})),
    ).toBe('PSKC_INVALID');
  });

  it.each([
    ['Counter 1.5', { dataExtra: '<Counter><PlainValue>1.5</PlainValue></Counter>' }],
    ['Counter "ten"', { dataExtra: '<Counter><PlainValue>ten</PlainValue></Counter>' }],
    [
      'Counter beyond 2^53',
      { dataExtra: '<Counter><PlainValue>18446744073709551615</PlainValue></Counter>' },
    ],
    ['negative Counter', { dataExtra: '<Counter><PlainValue>-1</PlainValue></Counter>' }],
    [
      'TimeInterval "30s"',
      { algorithm: TOTP, dataExtra: '<TimeInterval><PlainValue>30s</PlainValue></TimeInterval>' },
    ],
    [
      'TimeInterval 0',
      { algorithm: TOTP, dataExtra: '<TimeInterval><PlainValue>0</PlainValue></TimeInterval>' },
    ],
    ['ResponseFormat Length "six"', { params: '<ResponseFormat Length="six" Encoding="DECIMAL"/>' }],
    ['ResponseFormat Length 9', { params: '<ResponseFormat Length="9" Encoding="DECIMAL"/>' }],
    [
      'ResponseFormat Encoding ALPHANUMERIC',
      { params: '<ResponseFormat Length="6" Encoding="ALPHANUMERIC"/>' },
    ],
    ['unsupported Suite', { params: '<Suite>HMAC-MD5</Suite>' }],
    ['non-OTP Algorithm', { algorithm: 'urn:ietf:params:xml:ns:keyprov:pskc:pin' }],
    ['invalid base64 secret', { secretXml: '<PlainValue>not*base64!</PlainValue>' }],
    [
      'both PlainValue and EncryptedValue',
      { secretXml: `${plain(SEED)}${encryptedValue(`${XMLENC}kw-aes128`, SEED)}` },
    ],
  ] as const)('%s → PSKC_INVALID', (_name, spec) => {
    expect(codeOf(() => readPskc(doc(keyPackage({ serial: 'X-1', ...spec })), {}))).toBe('PSKC_INVALID');
  });

  it('a non-integer counter is refused while the same file with an integer counter reads', () => {
    const with7 = doc(
      keyPackage({ serial: 'C-1', dataExtra: '<Counter><PlainValue>7</PlainValue></Counter>' }),
    );
    expect(only(readPskc(with7, {})).counter).toBe(7);
    expect(codeOf(() => readPskc(with7.replace('>7<', '>7x<'), {}))).toBe('PSKC_INVALID');
  });
});

describe('readPskc: input guards', () => {
  const valid = doc(keyPackage({ serial: 'G-1' }));

  it('DOCTYPE is refused (even without entities)', () => {
    const xml = valid.replace('<KeyContainer', '<!DOCTYPE KeyContainer>\n<KeyContainer');
    expect(codeOf(() => readPskc(xml, {}))).toBe('PSKC_INVALID');
  });

  it('billion laughs / XXE entity declarations are refused', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' +
      `<KeyContainer Version="1.0" ${NAMESPACES}><KeyPackage><Key Id="&lol2;" Algorithm="${HOTP}"/></KeyPackage></KeyContainer>`;
    expect(codeOf(() => readPskc(laughs, {}))).toBe('PSKC_INVALID');
    const xxe = valid.replace(
      '<KeyContainer',
      '<!doctype x [<!entity xxe SYSTEM "file:///etc/passwd">]><KeyContainer',
    );
    expect(codeOf(() => readPskc(xxe, {}))).toBe('PSKC_INVALID');
  });

  it('undefined entity references are refused, never expanded', () => {
    const xml = doc(keyPackage({ serial: 'G-1', deviceExtra: '<Manufacturer>&xxe;</Manufacturer>' }));
    expect(codeOf(() => readPskc(xml, {}))).toBe('PSKC_INVALID');
  });

  it('input over 5 MiB is refused; the same content under the limit reads', () => {
    const padding = (n: number) => valid.replace('<KeyPackage>', `<!--${'x'.repeat(n)}--><KeyPackage>`);
    const limit = 5 * 1024 * 1024;
    const under = padding(limit - Buffer.byteLength(valid) - 7);
    expect(Buffer.byteLength(under)).toBeLessThanOrEqual(limit);
    expect(readPskc(under, {})).toHaveLength(1);
    const over = padding(limit - Buffer.byteLength(valid) - 6);
    expect(Buffer.byteLength(over)).toBe(limit + 1);
    expect(codeOf(() => readPskc(over, {}))).toBe('PSKC_INVALID');
  });

  it.each([
    ['empty input', ''],
    ['plain text', 'hello'],
    ['JSON', '{"KeyContainer":{}}'],
    ['unclosed tag', '<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">'],
    ['another root element', '<Foo Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>'],
    ['two root elements', `${doc('<KeyPackage/>')}<KeyContainer/>`],
    ['empty KeyContainer', doc('')],
    ['wrong namespace', doc(keyPackage({ serial: 'G-1' }), 'Version="1.0" xmlns="urn:example:other"')],
    ['no namespace', doc(keyPackage({ serial: 'G-1' }), 'Version="1.0"')],
    ['missing Version', doc(keyPackage({ serial: 'G-1' }), NAMESPACES)],
    ['Version 2.0', doc(keyPackage({ serial: 'G-1' }), `Version="2.0" ${NAMESPACES}`)],
  ])('%s → PSKC_INVALID', (_name, xml) => {
    expect(codeOf(() => readPskc(xml, {}))).toBe('PSKC_INVALID');
  });

  it('accepts a prefixed root (pskc:KeyContainer) and a byte-order mark', () => {
    const prefixed =
      '\uFEFF<?xml version="1.0"?><pskc:KeyContainer Version="1.0" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">' +
      `<pskc:KeyPackage><pskc:DeviceInfo><pskc:SerialNo>PFX-1</pskc:SerialNo></pskc:DeviceInfo>` +
      `<pskc:Key Algorithm="${HOTP}"><pskc:Data><pskc:Secret>${plain(SEED).replace(/PlainValue/g, 'pskc:PlainValue')}` +
      '</pskc:Secret></pskc:Data></pskc:Key></pskc:KeyPackage></pskc:KeyContainer>';
    expect(only(readPskc(prefixed, {})).serial).toBe('PFX-1');
  });
});
