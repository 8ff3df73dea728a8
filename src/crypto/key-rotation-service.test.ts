import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../test/support/databases.js';
import { RowGate } from '../../test/support/row-gate.js';
import { createTestRuntime, TEST_MASTER_KEY, type TestRuntime } from '../../test/support/runtime.js';
import { secretAad } from '../authenticators/issue-authenticator.js';
import { encodeBase32 } from '../authenticators/otp/base32.js';
import { isAppError } from '../shared/errors.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { encryptionKeysRepo } from '../store/repos/encryption-keys.js';
import { sealedKeyId } from './envelope.js';
import { masterKeyId } from './keyring.js';
import { newId, secureRandomBytes } from './random.js';

const ACTOR = { label: 'test' };
const NEW_MASTER = Buffer.alloc(32, 42).toString('base64');

/** Stores `n` TOTP authenticators with fresh sealed seeds (and one without a secret); returns id → seed. */
async function seedSecrets(rt: TestRuntime, n: number): Promise<Map<string, Buffer>> {
  const person = await rt.services.identity.create(ACTOR, { username: `owner-${newId().slice(0, 8)}` });
  const seeds = new Map<string, Buffer>();
  const now = rt.clock.now();
  const row = (id: string, secret_enc: string | null) => ({
    id,
    user_id: person.id,
    type: secret_enc ? ('totp' as const) : ('recovery_codes' as const),
    state: 'active' as const,
    name: null,
    serial: null,
    secret_enc,
    params: '{}',
    counter: null,
    created_at: now,
    updated_at: now,
    activated_at: now,
    last_used_at: null,
    expires_at: null,
    state_reason: null,
  });
  await rt.ctx.store.transaction(async (trx) => {
    for (let i = 0; i < n; i++) {
      const id = newId();
      const seed = secureRandomBytes(20);
      seeds.set(id, seed);
      await authenticatorsRepo.insert(trx, row(id, rt.ctx.keyring.encrypt(seed, secretAad(id))));
    }
    await authenticatorsRepo.insert(trx, row(`no-secret-${newId()}`, null));
  });
  return seeds;
}

/** Every stored secret: id → sealed value. */
async function sealedValues(rt: TestRuntime): Promise<Map<string, string>> {
  const rows = await rt.ctx.store.db
    .selectFrom('authenticators')
    .select(['id', 'secret_enc'])
    .where('secret_enc', 'is not', null)
    .execute();
  return new Map(rows.map((r) => [r.id, r.secret_enc!]));
}

/** Opens every stored secret with this runtime's ring and compares it with the seed it sealed. */
async function expectSeeds(rt: TestRuntime, seeds: Map<string, Buffer>): Promise<void> {
  const sealed = await sealedValues(rt);
  expect(sealed.size).toBe(seeds.size);
  for (const [id, seed] of seeds) {
    expect((await rt.ctx.keyring.decrypt(sealed.get(id)!, secretAad(id))).equals(seed)).toBe(true);
  }
}

describe.each(DIALECTS)('keys rotate on %s', (dialect) => {
  let rt: TestRuntime;
  beforeEach(async () => {
    rt = await createTestRuntime(dialect);
  });
  afterEach(async () => {
    await rt.dispose();
  });

  it('makes a new data key current, re-seals every secret under it, retires the old key, audits once', async () => {
    const seeds = await seedSecrets(rt, 3);
    const oldKid = rt.ctx.keyring.currentKeyId!;

    const summary = await rt.services.keys.rotate(ACTOR);

    expect(summary).toEqual({ keyId: expect.stringMatching(/^dek-/), resealed: 3, retired: [oldKid] });
    expect(summary.keyId).not.toBe(oldKid);
    expect(rt.ctx.keyring.currentKeyId).toBe(summary.keyId);
    for (const value of (await sealedValues(rt)).values()) expect(sealedKeyId(value)).toBe(summary.keyId);
    await expectSeeds(rt, seeds);
    const keys = await encryptionKeysRepo.list(rt.ctx.store.db, 'data');
    expect(keys.map((k) => ({ id: k.id, current: k.is_current, retired: k.retired_at !== null }))).toEqual([
      { id: summary.keyId, current: 1, retired: false },
      { id: oldKid, current: 0, retired: true },
    ]);
    const events = await rt.services.audit.forSubject(summary.keyId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'keys.rotated',
      actor: 'test',
      details: { newKeyId: summary.keyId, resealed: 3, retired: [oldKid] },
    });
    expect(await rt.services.audit.verify()).toMatchObject({ ok: true });
  });

  it('re-seals in batches, past the first 500 rows', async () => {
    const seeds = await seedSecrets(rt, 1_203);
    const summary = await rt.services.keys.rotate(ACTOR);
    expect(summary.resealed).toBe(1_203);
    for (const value of (await sealedValues(rt)).values()) expect(sealedKeyId(value)).toBe(summary.keyId);
    await expectSeeds(rt, seeds);
  });

  it('never overwrites a secret changed while it was being re-sealed', async () => {
    const seeds = await seedSecrets(rt, 3);
    const [victim] = [...seeds.keys()].sort();
    const replacement = secureRandomBytes(20);
    const keyring = rt.ctx.keyring;
    const decrypt = keyring.decrypt.bind(keyring);
    // Another request re-enrols the victim between the rotation's read and its update.
    keyring.decrypt = async (sealed, aad) => {
      if (aad === secretAad(victim!)) {
        await rt.ctx.store.db
          .updateTable('authenticators')
          .set({ secret_enc: keyring.encrypt(replacement, aad) })
          .where('id', '=', victim!)
          .execute();
      }
      return decrypt(sealed, aad);
    };
    try {
      const summary = await rt.services.keys.rotate(ACTOR);
      expect(summary.resealed).toBe(2);
    } finally {
      keyring.decrypt = decrypt;
    }
    seeds.set(victim!, replacement);
    await expectSeeds(rt, seeds);
  });

  it('a second instance opened before the rotation still opens the new ciphertexts, and the old key stays loadable', async () => {
    const seeds = await seedSecrets(rt, 2);
    const other = await createTestRuntime(dialect, { db: rt.db });
    try {
      const oldKid = other.ctx.keyring.currentKeyId!;
      const summary = await rt.services.keys.rotate(ACTOR);
      // Until it meets the new key, the other instance still seals with the old one: in flight.
      const plain = secureRandomBytes(20);
      const inFlight = other.ctx.keyring.encrypt(plain, 'in-flight');
      expect(sealedKeyId(inFlight)).toBe(oldKid);
      // It has never seen the new key: it reloads its ring on meeting it, and seals with it after.
      await expectSeeds(other, seeds);
      expect(other.ctx.keyring.currentKeyId).toBe(summary.keyId);
      // The old key is retired, yet the in-flight value opens everywhere, on a fresh instance too.
      expect(summary.retired).toEqual([oldKid]);
      expect((await rt.ctx.keyring.decrypt(inFlight, 'in-flight')).equals(plain)).toBe(true);
      const fresh = await createTestRuntime(dialect, { db: rt.db });
      try {
        expect(fresh.ctx.keyring.currentKeyId).toBe(summary.keyId);
        expect((await fresh.ctx.keyring.decrypt(inFlight, 'in-flight')).equals(plain)).toBe(true);
      } finally {
        await fresh.dispose();
      }
    } finally {
      await other.dispose();
    }
  });

  it('does not retire a key that a sealed value elsewhere still names', async () => {
    await seedSecrets(rt, 1);
    const oldKid = rt.ctx.keyring.currentKeyId!;
    const id = newId();
    await rt.ctx.store.db
      .insertInto('webhooks')
      .values({
        id,
        url: 'https://hooks.example/portcullis',
        secret_enc: rt.ctx.keyring.encrypt(secureRandomBytes(32), `webhook:${id}`),
        events: '["*"]',
        created_at: rt.clock.now(),
      })
      .execute();
    const summary = await rt.services.keys.rotate(ACTOR);
    expect(summary.resealed).toBe(1);
    expect(summary.retired).toEqual([]);
    expect((await encryptionKeysRepo.byId(rt.ctx.store.db, oldKid))?.retired_at).toBeNull();
  });

  it('rotating twice re-seals again and leaves no key current but the newest', async () => {
    const seeds = await seedSecrets(rt, 2);
    const first = await rt.services.keys.rotate(ACTOR);
    const second = await rt.services.keys.rotate(ACTOR);
    expect(second.resealed).toBe(2);
    expect(second.retired).toEqual([first.keyId]);
    const current = (await encryptionKeysRepo.list(rt.ctx.store.db, 'data')).filter(
      (k) => k.is_current === 1,
    );
    expect(current.map((k) => k.id)).toEqual([second.keyId]);
    await expectSeeds(rt, seeds);
  });
});

describe.each(DIALECTS)('master key change on %s', (dialect) => {
  let tdb: TestDatabase;
  beforeEach(async () => {
    tdb = await createTestDatabase(dialect);
  });
  afterEach(async () => {
    await tdb.drop();
  });

  it('keys rotate under a new master re-wraps every data key; afterwards the new master alone opens everything', async () => {
    const before = await createTestRuntime(dialect, { db: tdb });
    const seeds = await seedSecrets(before, 4);
    await before.dispose();

    const changing = await createTestRuntime(dialect, {
      db: tdb,
      env: { PORTCULLIS_MASTER_KEY: NEW_MASTER, PORTCULLIS_PREVIOUS_MASTER_KEYS: TEST_MASTER_KEY },
    });
    await changing.services.keys.rotate(ACTOR);
    const keys = await encryptionKeysRepo.list(changing.ctx.store.db, 'data');
    const newMasterKid = masterKeyId(Buffer.from(NEW_MASTER, 'base64'));
    expect(keys.map((k) => k.master_kid)).toEqual(keys.map(() => newMasterKid));
    await changing.dispose();

    const after = await createTestRuntime(dialect, { db: tdb, env: { PORTCULLIS_MASTER_KEY: NEW_MASTER } });
    try {
      await expectSeeds(after, seeds);
      // The rotation's audit event re-signed the chain head under the new master.
      expect(await after.services.audit.verify()).toMatchObject({ ok: true });
    } finally {
      await after.dispose();
    }

    // The old master alone no longer opens the data keys: it can be destroyed.
    const stale = createTestRuntime(dialect, { db: tdb });
    await expect(stale).rejects.toSatisfy((err) => isAppError(err, 'CONFIG_INVALID'));
  });
});

/** Reads a file if it exists (the WAL may have been checkpointed away). */
function bytesOf(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}

describe('secrets at rest (SQLite file bytes)', () => {
  it('no seed appears in clear in the database or its WAL, before or after rotation', async () => {
    const rt = await createTestRuntime('sqlite');
    const path = rt.db.url.slice('sqlite:'.length);
    const files = () => [path, `${path}-wal`].map(bytesOf);
    const expectNoSeed = (seeds: Map<string, Buffer>) => {
      const all = Buffer.concat(files());
      expect(all.length).toBeGreaterThan(0);
      for (const seed of seeds.values()) {
        for (const form of [seed, Buffer.from(encodeBase32(seed)), Buffer.from(seed.toString('hex'))]) {
          expect(all.includes(form)).toBe(false);
        }
        expect(all.includes(Buffer.from(encodeBase32(seed).replace(/=+$/, '')))).toBe(false);
        expect(all.includes(Buffer.from(seed.toString('base64')))).toBe(false);
      }
    };
    try {
      const seeds = await seedSecrets(rt, 5);
      expectNoSeed(seeds);
      await rt.services.keys.rotate(ACTOR);
      expectNoSeed(seeds);
      await rt.ctx.store.close();
      expectNoSeed(seeds);
    } finally {
      await rt.db.drop();
    }
  });
});

describe('keys rotate against writers that lock rows in the other order (PostgreSQL)', () => {
  it('finishes, re-sealing every row, though its batch would lose a deadlock every time', async () => {
    // Nothing here waits on time: a gate stops the rotation right after it has locked the first
    // row, until the other session is queued for that row. So each batch meets a real deadlock
    // cycle, whatever the load on the machine.
    const rt = await createTestRuntime('postgres');
    const other = new pg.Client(rt.db.url);
    const touch = (id: string) =>
      other.query('UPDATE authenticators SET last_used_at = 1 WHERE id = $1', [id]);
    let gate: RowGate | undefined;
    try {
      await other.connect();
      // The other session would look for the cycle long after the rotation does: the rotation
      // is always the side PostgreSQL aborts.
      await other.query(`SET deadlock_timeout = '30s'`);
      const otherPid = Number((await other.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      const seeds = await seedSecrets(rt, 2);
      const [first, second] = [...seeds.keys()].sort() as [string, string];
      const oldKid = sealedKeyId((await sealedValues(rt)).get(first)!);
      gate = await RowGate.install(rt.db.url, 'authenticators', first, 'secret_enc');

      // The other session holds the second row throughout.
      await other.query('BEGIN');
      await touch(second);
      const rotation = rt.services.keys.rotate(ACTOR).then(
        (summary) => ({ summary }),
        (error: unknown) => ({ error }),
      );
      const gaveWay: boolean[] = [];
      for (let round = 0; round < 3; round++) {
        await gate.held(`round ${round}: the rotation, holding the first row`);
        await other.query('SAVEPOINT round');
        const touched = touch(first);
        await gate.waiting(otherPid, `round ${round}: the other session, queued for the first row`);
        // Open: the rotation goes on to the second row, which the other session holds.
        await gate.open();
        await touched;
        // Still sealed under the old key: the rotation's transaction was aborted and let go of
        // the row. Under the new key: the rotation had written the row alone and committed.
        const seen = await other.query<{ secret_enc: string }>(
          'SELECT secret_enc FROM authenticators WHERE id = $1',
          [first],
        );
        gaveWay.push(sealedKeyId(seen.rows[0]!.secret_enc) === oldKid);
        // Shut before letting go of the first row: the rotation's next try is queued for it.
        await gate.shut();
        await other.query('ROLLBACK TO SAVEPOINT round');
      }
      await other.query('ROLLBACK');
      await gate.open();
      const outcome = await rotation;
      expect(outcome).not.toHaveProperty('error');
      const summary = (outcome as { summary: Awaited<ReturnType<typeof rt.services.keys.rotate>> }).summary;
      // Twice the whole batch lost; then each row went alone, and nothing could deadlock.
      expect(gaveWay).toEqual([true, true, false]);
      expect(summary.resealed).toBe(2);
      for (const value of (await sealedValues(rt)).values()) expect(sealedKeyId(value)).toBe(summary.keyId);
      await expectSeeds(rt, seeds);
      expect(await rt.services.audit.verify()).toMatchObject({ ok: true });
    } finally {
      await other.end().catch(() => undefined);
      await gate?.end();
      await rt.dispose();
    }
  }, 60_000);
});
