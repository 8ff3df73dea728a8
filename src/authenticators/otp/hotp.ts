import { createHmac } from 'node:crypto';

export type OtpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';
export type OtpDigits = 6 | 7 | 8;

export interface HotpOptions {
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
}

const MAX_COUNTER = 2n ** 64n - 1n;

const NODE_ALGORITHM: Record<OtpAlgorithm, string> = {
  SHA1: 'sha1',
  SHA256: 'sha256',
  SHA512: 'sha512',
};

/** Computes the RFC 4226 HOTP code for one counter value, zero-padded to `digits`. */
export function hotp(secret: Buffer, counter: number | bigint, opts: HotpOptions): string {
  // Accept bigint so counters beyond Number.MAX_SAFE_INTEGER (e.g. imported tokens) stay exact.
  const big = typeof counter === 'bigint' ? counter : toBigCounter(counter);
  if (big < 0n || big > MAX_COUNTER) {
    throw new RangeError('HOTP counter must fit in an unsigned 64-bit integer');
  }
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(big);
  const mac = createHmac(NODE_ALGORITHM[opts.algorithm], secret).update(message).digest();

  // Dynamic truncation (RFC 4226 §5.3); masking the top bit avoids signed/unsigned ambiguity.
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return (binary % 10 ** opts.digits).toString().padStart(opts.digits, '0');
}

function toBigCounter(counter: number): bigint {
  // A fractional or unsafe number would be silently rounded and yield a code for the wrong counter.
  if (!Number.isSafeInteger(counter)) {
    throw new RangeError('HOTP counter must be a safe integer');
  }
  return BigInt(counter);
}
