import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { issueTotp } from './support/people.js';
import type { TestRuntime } from './support/runtime.js';
import { createTestRuntime } from './support/runtime.js';
import { scimClient } from './support/scim.js';

/**
 * A failed code is not a change to the person: the failure counter and its lock move, but the
 * SCIM ETag and meta.lastModified stay, so provisioning clients see no phantom update.
 */
describe.each(DIALECTS)('failed validations and the SCIM version on %s', (dialect) => {
  let rt: TestRuntime;
  let scim: ReturnType<typeof scimClient>;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    scim = scimClient(await rt.app(), await rt.token('scim'));
  });
  afterAll(async () => rt?.dispose());

  const version = async (id: string) => {
    const res = await scim('GET', `/Users/${id}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { meta: { version: string; lastModified: string } };
    expect(res.headers.etag).toBe(body.meta.version);
    return { etag: body.meta.version, lastModified: body.meta.lastModified };
  };

  it('leaves the ETag and lastModified alone through failures, a lock and the success that clears them', async () => {
    const created = await scim('POST', '/Users', {
      userName: 'fumble',
      emails: [{ value: 'fumble@example.org' }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    const totp = await issueTotp(rt, id, await rt.token('admin'));
    const before = await version(id);

    rt.clock.advance(60_000);
    const wrong = totp.code(5) === '000000' ? '111111' : '000000';
    for (let n = 0; n < rt.config.throttleFreeFailures + 1; n++) {
      const res = await rt.services.validation.validate({ label: 'test' }, 'fumble', wrong);
      expect(res.result).not.toBe('accept');
    }
    const row = await rt.ctx.store.db
      .selectFrom('users')
      .select(['failed_attempts', 'locked_until'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    // The failures were counted and the back-off lock set: the test exercised the write path.
    expect(row.failed_attempts).toBeGreaterThanOrEqual(rt.config.throttleFreeFailures);
    expect(row.locked_until).not.toBeNull();
    expect(await version(id)).toEqual(before);

    // Once the lock runs out, a right code clears the counter: still no change SCIM shows.
    rt.clock.set(Number(row.locked_until) + 1);
    expect((await rt.services.validation.validate({ label: 'test' }, 'fumble', totp.code())).result).toBe(
      'accept',
    );
    expect(await version(id)).toEqual(before);

    // A real change still moves both.
    rt.clock.advance(1_000);
    const patched = await scim('PATCH', `/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'displayName', value: 'Fumble Fingers' }],
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const after = await version(id);
    expect(after.etag).not.toBe(before.etag);
    expect(after.lastModified).not.toBe(before.lastModified);
  });
});
