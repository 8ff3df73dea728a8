import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32, totp } from '../src/authenticators/otp/index.js';
import { qrCodeDataUri } from '../src/authenticators/qr-code.js';
import { DIALECTS } from './support/databases.js';
import { parseOtpauthUri } from './support/otpauth.js';
import { issueTotp } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

const ORG = 'Acme: Zürich AG';

/**
 * A username or organisation name with ":" (or unicode) still gets a TOTP: the otpauth label is
 * percent-encoded per the Key URI format, reads back to the same issuer and account, the QR
 * code carries exactly that URI, and a code from the URI's secret is accepted.
 */
describe.each(DIALECTS)('otpauth labels with ":" and unicode on %s', (dialect) => {
  let rt: TestRuntime;
  let admin: string;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect, { env: { PORTCULLIS_ORG_NAME: ORG } });
    admin = await rt.token('admin');
  });
  afterAll(async () => rt?.dispose());

  it.each([
    ['corp:alice', 'alice'],
    ['jürgen:名前', 'juergen'],
    ["o'brien(ops)!", 'obrien'],
  ])('issues a TOTP to %s', async (username, mailbox) => {
    const person = await rt.services.identity.create(
      { label: 'test' },
      { username, email: `${mailbox}@example.org` },
    );
    const issued = await issueTotp(rt, person.id, admin);
    const parsed = parseOtpauthUri(issued.otpauthUri);
    expect(parsed).toMatchObject({ type: 'totp', issuer: ORG, account: username, issuerParam: ORG });
    expect(parsed.params).toMatchObject({
      secret: issued.secret,
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
    expect((issued as unknown as { qrCode: string }).qrCode).toBe(await qrCodeDataUri(issued.otpauthUri));
    const code = totp(decodeBase32(parsed.params.secret!), rt.clock.now(), {
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
    });
    const result = await rt.services.validation.validate({ label: 'test' }, username, code);
    expect(result).toMatchObject({ result: 'accept' });
  });
});
