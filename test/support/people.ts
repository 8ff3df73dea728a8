import { decodeBase32, hotp, totp } from '../../src/authenticators/otp/index.js';
import type { TestRuntime } from './runtime.js';

/** Creates an active person through the identity service. */
export async function createPerson(rt: TestRuntime, username: string, extra: { password?: string } = {}) {
  return rt.services.identity.create(
    { label: 'test' },
    { username, email: `${username}@example.org`, ...extra },
  );
}

/** Issues a TOTP authenticator through the admin API; returns its id and a code generator. */
export async function issueTotp(
  rt: TestRuntime,
  userId: string,
  adminToken: string,
  body: Record<string, unknown> = {},
) {
  const app = await rt.app();
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/users/${userId}/authenticators`,
    headers: { authorization: `Bearer ${adminToken}` },
    payload: { type: 'totp', ...body },
  });
  if (res.statusCode !== 201) throw new Error(`issue totp: ${res.statusCode} ${res.body}`);
  const json = res.json() as { id: string; secret: string; otpauthUri: string; state: string };
  const secret = decodeBase32(json.secret);
  const digits = (body.digits as 6 | 8 | undefined) ?? 6;
  const algorithm = (body.algorithm as 'SHA1' | 'SHA256' | 'SHA512' | undefined) ?? 'SHA1';
  const period = (body.period as number | undefined) ?? 30;
  return {
    ...json,
    /** The code at the runtime clock's time, shifted by `steps`. */
    code: (steps = 0) => totp(secret, rt.clock.now() + steps * period * 1000, { algorithm, digits, period }),
  };
}

/** Issues an HOTP authenticator through the admin API. */
export async function issueHotp(rt: TestRuntime, userId: string, adminToken: string, counter = 0) {
  const app = await rt.app();
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/users/${userId}/authenticators`,
    headers: { authorization: `Bearer ${adminToken}` },
    payload: { type: 'hotp', counter },
  });
  if (res.statusCode !== 201) throw new Error(`issue hotp: ${res.statusCode} ${res.body}`);
  const json = res.json() as { id: string; secret: string };
  const secret = decodeBase32(json.secret);
  return { ...json, code: (c: number) => hotp(secret, c, { algorithm: 'SHA1', digits: 6 }) };
}
