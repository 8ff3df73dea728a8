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

/**
 * Builds an `otpauth://` enrolment URI in the Key URI format: the label is `issuer:account`
 * with each part percent-encoded (RFC 3986), so a ":" inside either part travels as `%3A` and
 * only the separator is a bare ":"; the issuer is repeated, encoded the same way, as a parameter.
 */
export function otpauthUri(p: OtpauthUriParams): string {
  for (const [name, value] of [
    ['issuer', p.issuer],
    ['account', p.account],
  ] as const) {
    if (value.length === 0) throw new AppError('VALIDATION_FAILED', `The ${name} must be non-empty.`);
  }

  const label = `${encodeLabelPart(p.issuer)}:${encodeLabelPart(p.account)}`;
  // encodeURIComponent rather than URLSearchParams: some apps show a "+" literally instead of a space.
  const query = [
    `secret=${encodeBase32(p.secret)}`,
    `issuer=${encodeLabelPart(p.issuer)}`,
    `algorithm=${p.algorithm}`,
    `digits=${p.digits}`,
    p.type === 'totp' ? `period=${p.period ?? 30}` : `counter=${p.counter ?? 0}`,
  ].join('&');
  return `otpauth://${p.type}/${label}?${query}`;
}

/**
 * Percent-encodes one label part or the issuer: encodeURIComponent, plus the few characters it
 * leaves alone that some apps treat specially (RFC 3986 reserves them as sub-delimiters).
 */
function encodeLabelPart(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
