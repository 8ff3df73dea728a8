import { openStore } from '../src/store/open-store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretAad } from '../src/authenticators/issue-authenticator.js';
import { sealedKeyId } from '../src/crypto/envelope.js';
import { secureRandomBytes } from '../src/crypto/random.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { createTestRuntime, TEST_MASTER_KEY } from './support/runtime.js';

const NEW_MASTER = Buffer.alloc(32, 42).toString('base64');
const SEED = secureRandomBytes(20);

/** `keys rotate` as an operator runs it (CONTRACT.md, CLI). */
describe('keys rotate CLI', () => {
  let tdb: TestDatabase;

  /** The one stored secret's sealed value and the data key currently in force. */
  async function state(env: Record<string, string> = {}) {
    const rt = await createTestRuntime('sqlite', { db: tdb, env });
    try {
      const row = await rt.ctx.store.db
        .selectFrom('authenticators')
        .select(['id', 'secret_enc'])
        .executeTakeFirstOrThrow();
      const plain = await rt.ctx.keyring.decrypt(row.secret_enc!, secretAad(row.id));
      return { sealed: row.secret_enc!, plain, currentKid: rt.ctx.keyring.currentKeyId };
    } finally {
      await rt.dispose();
    }
  }

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    const rt = await createTestRuntime('sqlite', { db: tdb });
    const person = await rt.services.identity.create({ label: 'test' }, { username: 'alice' });
    const id = 'auth-1';
    await rt.ctx.store.db
      .insertInto('authenticators')
      .values({
        id,
        user_id: person.id,
        type: 'totp',
        state: 'active',
        name: null,
        serial: null,
        secret_enc: rt.ctx.keyring.encrypt(SEED, secretAad(id)),
        params: '{}',
        counter: null,
        created_at: rt.clock.now(),
        updated_at: rt.clock.now(),
        activated_at: null,
        last_used_at: null,
        expires_at: null,
        state_reason: null,
      })
      .execute();
    await rt.dispose();
  });
  afterAll(async () => {
    await tdb.drop();
  });

  it('prints {"keyId", "resealed"}; the new key is current and the secret re-sealed under it', async () => {
    const run = await runCli(tdb.url, ['keys', 'rotate']);
    expect(run.stderr).not.toMatch(/portcullis/); // no error line (other libraries may warn)
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { keyId: string; resealed: number; signingKeys: string[] };
    expect(summary).toMatchObject({ keyId: expect.stringMatching(/^dek-/), resealed: 1 });
    // A new ID-token signing key is published too (CONTRACT.md: keys rotate covers signing keys).
    expect(summary.signingKeys.length).toBeGreaterThan(0);
    const published = await readSigningKids(tdb.url);
    for (const kid of summary.signingKeys) expect(published).toContain(kid);
    const after = await state();
    expect(after.currentKid).toBe(summary.keyId);
    expect(sealedKeyId(after.sealed)).toBe(summary.keyId);
    expect(after.plain.equals(SEED)).toBe(true);
  });

  it('moves everything to a new master key; afterwards the new master alone serves', async () => {
    const run = await runCli(tdb.url, ['keys', 'rotate'], {
      PORTCULLIS_MASTER_KEY: NEW_MASTER,
      PORTCULLIS_PREVIOUS_MASTER_KEYS: TEST_MASTER_KEY,
    });
    expect(run.code).toBe(0);
    expect((await state({ PORTCULLIS_MASTER_KEY: NEW_MASTER })).plain.equals(SEED)).toBe(true);
    const verify = await runCli(tdb.url, ['audit', 'verify'], { PORTCULLIS_MASTER_KEY: NEW_MASTER });
    expect(verify.code).toBe(0);
    // The old master alone no longer opens the data keys.
    const stale = await runCli(tdb.url, ['audit', 'verify']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/CONFIG_INVALID/);
  });

  it('an unknown option is a usage error (exit 2) and rotates nothing', async () => {
    const before = await state({ PORTCULLIS_MASTER_KEY: NEW_MASTER });
    const run = await runCli(tdb.url, ['keys', 'rotate', '--now'], { PORTCULLIS_MASTER_KEY: NEW_MASTER });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect((await state({ PORTCULLIS_MASTER_KEY: NEW_MASTER })).currentKid).toBe(before.currentKid);
  });
});

/** The kids in the signing-key table, read straight from the database. */
async function readSigningKids(url: string): Promise<string[]> {
  const store = openStore(url);
  try {
    const rows = await store.db.selectFrom('oidc_signing_keys').select('kid').execute();
    return rows.map((r) => r.kid);
  } finally {
    await store.close();
  }
}
