import { readFileSync } from 'node:fs';

/** The shape of ../shared/vectors/otp-rfc.json. */
export interface OtpRfcVectors {
  hotp: { secret_ascii: string; digits: number; algorithm: string; codes_by_counter: string[] };
  totp: {
    period: number;
    t0: number;
    digits: number;
    secrets_ascii: Record<'SHA1' | 'SHA256' | 'SHA512', string>;
    cases: Array<{ unix_time: number; SHA1: string; SHA256: string; SHA512: string }>;
  };
}

/** The RFC 4226/6238 vectors, read at test time so the suite checks the very file other teams check. */
export const vectors = JSON.parse(
  readFileSync(new URL('../../../../shared/vectors/otp-rfc.json', import.meta.url), 'utf8'),
) as OtpRfcVectors;
