import { AppError } from '../../shared/errors.js';
import { encodeBase32 } from './base32.js';
import type { OtpAlgorithm, OtpDigits } from './hotp.js';

export interface OtpauthUriParams {
  type: 'totp' | 'hotp';
  issuer: string;
  account: string;
  secret: Buffer;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  /** TOTP only; defaults to 30. */
  period?: number;
  /** HOTP only; defaults to 0. */
  counter?: number;
}

/** Builds an `otpauth://` enrolment URI in the Google Authenticator key-uri format. */
export function otpauthUri(p: OtpauthUriParams): string {
  // The label uses ":" as its separator, so a colon inside either part would be misparsed by apps.
  for (const [name, value] of [
    ['issuer', p.issuer],
    ['account', p.account],
  ] as const) {
    if (value.length === 0 || value.includes(':')) {
      throw new AppError('VALIDATION_FAILED', `The ${name} must be non-empty and must not contain ":".`);
    }
  }

  const label = `${encodeURIComponent(p.issuer)}:${encodeURIComponent(p.account)}`;
  // encodeURIComponent rather than URLSearchParams: some apps show a "+" literally instead of a space.
  const query = [
    `secret=${encodeBase32(p.secret)}`,
    `issuer=${encodeURIComponent(p.issuer)}`,
    `algorithm=${p.algorithm}`,
    `digits=${p.digits}`,
    p.type === 'totp' ? `period=${p.period ?? 30}` : `counter=${p.counter ?? 0}`,
  ].join('&');
  return `otpauth://${p.type}/${label}?${query}`;
}
