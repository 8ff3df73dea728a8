import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretAad } from '../src/authenticators/issue-authenticator.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js';
import { createTestRuntime, TEST_MASTER_KEY, type TestRuntime } from './support/runtime.js';
import { type ServerProcess, startServer } from './support/server-process.js';
import { type AckedWrites, type LoadTokens, noAckedWrites, startWriteLoad } from './support/write-load.js';

/** Kills per dialect, each at a random moment of a write load. */
const KILLS = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every audit event's details, by action (the chain itself is checked by `audit.verify`). */
async function auditDetails(rt: TestRuntime): Promise<Map<string, Array<Record<string, unknown>>>> {
  const rows = await rt.ctx.store.db
    .selectFrom('audit_events')
    .select(['action', 'subject', 'details'])
    .execute();
  const out = new Map<string, Array<Record<string, unknown>>>();
  for (const r of rows) {
    const list = out.get(r.action) ?? [];
    list.push({ subject: r.subject, ...(JSON.parse(r.details) as Record<string, unknown>) });
    out.set(r.action, list);
  }
  return out;
}

/**
 * The state a crash must never leave: what each row means is in the database together with the
 * audit event that says so, or neither is.
 *  - every person has its creation event (`person.created` or `scim.user_created`);
 *  - every authenticator has exactly one `authenticator.issued` event and every such event its
 *    row; an OTP authenticator has its sealed seed, and the seed opens under the keyring;
 *  - pending means never used (no counter, no activation time, no `validation.accepted`);
 *    active means activated with the `validation.accepted` event that activated it.
 */
async function expectNoHalfWrites(rt: TestRuntime): Promise<void> {
  const { db } = rt.ctx.store;
  const events = await auditDetails(rt);
  const created = new Set([
    ...(events.get('person.created') ?? []).map((e) => e.subject),
    ...(events.get('scim.user_created') ?? []).map((e) => e.subject),
  ]);
  for (const u of await db.selectFrom('users').select('id').execute()) expect(created.has(u.id)).toBe(true);
  const issued = new Map<unknown, number>();
  for (const e of events.get('authenticator.issued') ?? []) {
    issued.set(e.authenticatorId, (issued.get(e.authenticatorId) ?? 0) + 1);
  }
  const activations = new Set(
    (events.get('validation.accepted') ?? [])
      .filter((e) => e.activated === true)
      .map((e) => e.authenticatorId),
  );
  const rows = await db.selectFrom('authenticators').selectAll().where('user_id', 'is not', null).execute();
  expect(rows.length).toBe(issued.size);
  for (const a of rows) {
    expect(issued.get(a.id), `issued events of ${a.id}`).toBe(1);
    if (a.type === 'totp' || a.type === 'hotp') {
      expect(a.secret_enc).not.toBeNull();
      const seed = await rt.ctx.keyring.decrypt(a.secret_enc!, secretAad(a.id));
      expect(seed.length).toBeGreaterThanOrEqual(16);
    }
    if (a.state === 'pending') {
      expect([a.counter, a.activated_at, activations.has(a.id)]).toEqual([null, null, false]);
    }
    if (a.state === 'active' && a.type === 'totp') {
      expect(a.activated_at).not.toBeNull();
      expect(activations.has(a.id)).toBe(true);
    }
  }
}

/** Every acknowledged write, read back through the restarted server's API. */
async function expectAcknowledged(server: ServerProcess, admin: string, scim: string, acked: AckedWrites) {
  const get = async (path: string, token: string) => {
    const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };
  for (const [id, username] of acked.people) {
    expect((await get(`/api/v1/users/${id}`, admin)).username).toBe(username);
  }
  for (const [id, { userId }] of acked.authenticators) {
    const a = await get(`/api/v1/authenticators/${id}`, admin);
    expect(a.userId).toBe(userId);
    if (acked.activated.has(id)) expect(a.state).toBe('active');
  }
  for (const [id, name] of acked.renamed) {
    expect((await get(`/scim/v2/Users/${id}`, scim)).displayName).toBe(name);
  }
}

describe.each(DIALECTS)('kill -9 under a write load on %s', (dialect) => {
  let db: TestDatabase;
  let tokens: LoadTokens;
  let server: ServerProcess | undefined;
  const env = () => ({ DATABASE_URL: db.url, PORTCULLIS_MASTER_KEY: TEST_MASTER_KEY });

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    const seed = await createTestRuntime(dialect, { db });
    tokens = {
      admin: await seed.token('admin'),
      validator: await seed.token('validator'),
      scim: await seed.token('scim'),
    };
    await seed.dispose();
  }, 30_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await db?.drop();
  });

  it(`keeps every acknowledged write and a consistent database across ${KILLS} kills`, async () => {
    const acked = noAckedWrites();
    let total = 0;
    for (let round = 0; round <= KILLS; round++) {
      // Start (or restart on the crashed database) and check what the last crash left.
      server = await startServer(env(), 90_000);
      await expectAcknowledged(server, tokens.admin, tokens.scim, acked);
      const rt = await createTestRuntime(dialect, { db });
      try {
        expect(await rt.services.audit.verify()).toMatchObject({ ok: true });
        await expectNoHalfWrites(rt);
      } finally {
        await rt.dispose();
      }
      if (round === KILLS) break;
      const load = startWriteLoad(server.url, tokens, acked, 6);
      // Once a whole journey of each kind was acknowledged, a random moment within the next second.
      const renamed = acked.renamed.size;
      for (let waited = 0; acked.renamed.size === renamed && waited < 20_000; waited += 50) await sleep(50);
      await sleep(Math.floor(Math.random() * 1_000));
      await server.stop('SIGKILL');
      await load.stop();
      expect(load.unexpected).toEqual([]);
      total += load.acknowledged();
      if (dialect === 'sqlite') {
        // Opened read-write, as the next server will: SQLite recovers from the WAL first.
        const file = new SqliteDatabase(db.url.slice('sqlite:'.length));
        try {
          expect(file.pragma('integrity_check', { simple: true })).toBe('ok');
          expect(file.pragma('foreign_key_check')).toEqual([]);
        } finally {
          file.close();
        }
      }
    }
    await server?.stop();
    server = undefined;
    // The load did something worth checking: writes of every kind were acknowledged.
    expect(total).toBeGreaterThanOrEqual(KILLS * 4);
    expect(acked.activated.size).toBeGreaterThan(0);
    expect(acked.renamed.size).toBeGreaterThan(0);
  }, 300_000);
});
