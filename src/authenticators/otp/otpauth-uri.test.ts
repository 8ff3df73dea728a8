import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors.js';
import { decodeBase32 } from './base32.js';
import { parseOtpauthUri } from '../../../test/support/otpauth.js';
import { otpauthUri } from './otpauth-uri.js';

const secret = Buffer.from('12345678901234567890', 'ascii');

describe('otpauthUri', () => {
  it('builds a TOTP key URI with label, secret, issuer, algorithm, digits and period', () => {
    const uri = otpauthUri({
      type: 'totp',
      issuer: 'Portcullis',
      account: 'alice@example.com',
      secret,
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
    });
    expect(uri).toBe(
      'otpauth://totp/Portcullis:alice%40example.com' +
        '?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Portcullis&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('builds a HOTP key URI with a counter and no period', () => {
    const uri = otpauthUri({
      type: 'hotp',
      issuer: 'Portcullis',
      account: 'bob',
      secret,
      algorithm: 'SHA256',
      digits: 8,
      counter: 42,
    });
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('hotp');
    expect(url.searchParams.get('counter')).toBe('42');
    expect(url.searchParams.get('algorithm')).toBe('SHA256');
    expect(url.searchParams.get('digits')).toBe('8');
    expect(url.searchParams.has('period')).toBe(false);
  });

  it('defaults period to 30 for TOTP and counter to 0 for HOTP', () => {
    const common = { issuer: 'P', account: 'a', secret, algorithm: 'SHA1', digits: 6 } as const;
    expect(new URL(otpauthUri({ ...common, type: 'totp' })).searchParams.get('period')).toBe('30');
    const hotpUrl = new URL(otpauthUri({ ...common, type: 'hotp' }));
    expect(hotpUrl.searchParams.get('counter')).toBe('0');
    expect(hotpUrl.searchParams.has('period')).toBe(false);
  });

  it('percent-encodes the label parts and issuer, and the secret decodes back to the seed', () => {
    const uri = otpauthUri({
      type: 'totp',
      issuer: 'Acme & Co',
      account: 'jöe doe+x@example.com',
      secret,
      algorithm: 'SHA512',
      digits: 8,
      period: 60,
    });
    const url = new URL(uri);
    expect(url.pathname).toBe('/Acme%20%26%20Co:j%C3%B6e%20doe%2Bx%40example.com');
    expect(decodeURIComponent(url.pathname.slice(1))).toBe('Acme & Co:jöe doe+x@example.com');
    expect(uri).toContain('issuer=Acme%20%26%20Co&');
    expect(url.searchParams.get('issuer')).toBe('Acme & Co');
    const encodedSecret = url.searchParams.get('secret')!;
    expect(encodedSecret).not.toContain('=');
    expect(decodeBase32(encodedSecret).equals(secret)).toBe(true);
    expect(url.searchParams.get('period')).toBe('60');
  });

  it.each([
    ['a colon in the account', 'Portcullis', 'corp:alice', 'Portcullis:corp%3Aalice'],
    ['a colon in the issuer', 'Evil:Corp', 'bob', 'Evil%3ACorp:bob'],
    [
      'colons and unicode in both',
      'Zürich: Bank',
      'ü:ser:名前',
      'Z%C3%BCrich%3A%20Bank:%C3%BC%3Aser%3A%E5%90%8D%E5%89%8D',
    ],
    ['sub-delimiters', "O'Brien (Ltd)!", 'a*b', 'O%27Brien%20%28Ltd%29%21:a%2Ab'],
  ])('encodes %s so the label keeps one bare ":" and round-trips', (_what, issuer, account, label) => {
    const uri = otpauthUri({ type: 'totp', issuer, account, secret, algorithm: 'SHA1', digits: 6 });
    expect(new URL(uri).pathname).toBe(`/${label}`);
    expect(parseOtpauthUri(uri)).toMatchObject({ type: 'totp', issuer, account, issuerParam: issuer });
  });

  it.each([
    ['empty issuer', { issuer: '', account: 'a' }],
    ['empty account', { issuer: 'P', account: '' }],
  ])('refuses an %s with VALIDATION_FAILED', (_what, names) => {
    let caught: unknown;
    try {
      otpauthUri({ type: 'totp', ...names, secret, algorithm: 'SHA1', digits: 6 });
    } catch (err) {
      caught = err;
    }
    expect(isAppError(caught, 'VALIDATION_FAILED')).toBe(true);
  });
});
