import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { createPerson, issueHotp } from './support/people.js';
import { createTestRuntime, TEST_MASTER_KEY, type TestRuntime } from './support/runtime.js';
import { type ServerProcess, startServer } from './support/server-process.js';
import { type AckedWrites, noAckedWrites, startWriteLoad } from './support/write-load.js';

/** A copy of what was acknowledged so far (the load keeps adding to the original). */
function snapshot(acked: AckedWrites): AckedWrites {
  return {
    people: new Map(acked.people),
    authenticators: new Map(acked.authenticators),
    activated: new Set(acked.activated),
    renamed: new Map(acked.renamed),
  };
}

const env = (url: string) => ({ DATABASE_URL: url, PORTCULLIS_MASTER_KEY: TEST_MASTER_KEY });

/** `portcullis backup` copies a SQLite database a server is writing to; a server runs on the copy. */
describe('backup and restore on sqlite', () => {
  let db: TestDatabase;
  let seed: TestRuntime;
  let dir: string;
  const servers: ServerProcess[] = [];
  let admin: string;
  let validator: string;
  let hotp: Awaited<ReturnType<typeof issueHotp>>;
  const acked = noAckedWrites();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-backup-'));
    db = await createTestDatabase('sqlite');
    seed = await createTestRuntime('sqlite', { db });
    admin = await seed.token('admin');
    validator = await seed.token('validator');
    const scim = await seed.token('scim');
    const person = await createPerson(seed, 'kept');
    hotp = await issueHotp(seed, person.id, admin);
    await seed.dispose();
    servers.push(await startServer(env(db.url), 90_000));
    const load = startWriteLoad(servers[0]!.url, { admin, validator, scim }, acked, 4);
    try {
      await new Promise((r) => setTimeout(r, 1_500));
      const before = snapshot(acked);
      const run = await runCli(db.url, ['backup', join(dir, 'copy.db')]);
      expect(run.code, run.stderr).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      await load.stop();
      expect(load.unexpected).toEqual([]);
      expect(before.people.size).toBeGreaterThan(0);
      Object.assign(acked, before);
    } finally {
      await load.stop();
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a copy that passes the integrity check and leaves no partial file behind', () => {
    const copy = new SqliteDatabase(join(dir, 'copy.db'), { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      copy.close();
    }
    expect(readFileSync(join(dir, 'copy.db')).subarray(0, 15).toString()).toBe('SQLite format 3');
    expect(existsSync(`${join(dir, 'copy.db')}.partial`)).toBe(false);
  });

  it('serves from the copy: audit chain intact, every write acknowledged before the backup present', async () => {
    const url = `sqlite:${join(dir, 'copy.db')}`;
    const copy = await createTestRuntime('sqlite', { db: { url, drop: async () => {} } });
    try {
      expect(await copy.services.audit.verify()).toMatchObject({ ok: true });
      // The backup is audited in the database it copied (after the copy, so not in the copy).
      const actions = async (rt: TestRuntime) =>
        (await rt.ctx.store.db.selectFrom('audit_events').select('action').execute()).map((e) => e.action);
      expect(await actions(copy)).not.toContain('backup.created');
      const source = await createTestRuntime('sqlite', { db: { url: db.url, drop: async () => {} } });
      try {
        expect((await actions(source)).filter((a) => a === 'backup.created')).toHaveLength(1);
      } finally {
        await source.dispose();
      }
    } finally {
      await copy.dispose();
    }
    const restored = await startServer(env(url), 90_000);
    servers.push(restored);
    const get = (path: string) =>
      fetch(`${restored.url}${path}`, { headers: { authorization: `Bearer ${admin}` } });
    for (const id of acked.people.keys()) expect((await get(`/api/v1/users/${id}`)).status).toBe(200);
    for (const id of acked.authenticators.keys()) {
      const res = await get(`/api/v1/authenticators/${id}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { state: string };
      if (acked.activated.has(id)) expect(body.state).toBe('active');
    }
    // Sealed secrets in the copy open with the same master key: a stored seed still validates.
    const res = await fetch(`${restored.url}/api/v1/validate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${validator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'kept', code: hotp.code(1) }),
    });
    expect(await res.json()).toMatchObject({ result: 'accept' });
  }, 240_000);

  it('never overwrites an existing file', async () => {
    const file = join(dir, 'exists.db');
    writeFileSync(file, 'precious');
    const run = await runCli(db.url, ['backup', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('CONFLICT');
    expect(readFileSync(file, 'utf8')).toBe('precious');
  }, 120_000);

  it('refuses without exactly one FILE (usage)', async () => {
    expect((await runCli(db.url, ['backup'])).code).toBe(2);
    expect((await runCli(db.url, ['backup', 'a.db', 'b.db'])).code).toBe(2);
  }, 120_000);
});

/** PostgreSQL is backed up with its own tools: the command says so; pg_dump -Fc / pg_restore round-trip. */
describe('backup and restore on postgres', () => {
  let db: TestDatabase;
  let target: TestDatabase | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-backup-'));
    db = await createTestDatabase('postgres');
    const rt = await createTestRuntime('postgres', { db });
    await createPerson(rt, 'kept');
    await rt.dispose();
  }, 30_000);

  afterAll(async () => {
    await db?.drop();
    await target?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses `portcullis backup` with a pointer to pg_dump, writing nothing', async () => {
    const file = join(dir, 'copy.db');
    const run = await runCli(db.url, ['backup', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('pg_dump');
    expect(existsSync(file)).toBe(false);
  }, 120_000);

  it('restores a pg_dump -Fc archive with pg_restore into a database that serves with the same key', async () => {
    const archive = join(dir, 'portcullis.dump');
    execFileSync('pg_dump', ['-Fc', '--no-owner', '-f', archive, db.url]);
    target = await createTestDatabase('postgres');
    execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '-d', target.url, archive]);
    const verify = await runCli(target.url, ['audit', 'verify']);
    expect(verify.code, verify.stderr).toBe(0);
    const rt = await createTestRuntime('postgres', { db: target });
    try {
      expect((await rt.services.identity.findByUsername('kept'))?.username).toBe('kept');
    } finally {
      await rt.dispose();
    }
  }, 240_000);
});
