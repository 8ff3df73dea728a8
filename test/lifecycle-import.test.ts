import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../src/shared/errors.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

const FILE = `username,email,displayName,externalId,groups,manager,department,employeeNumber
ann,ann@example.org,Ann Arbor,E-1,staff;finance,E-3,Finance,1001
"bob",bob@example.org,"Bob, Jr.",E-2,staff,cid,Sales,1002
cid,cid@example.org,Cid Boss,E-3,staff,,Sales,1003
`;

/**
 * `import users FILE.csv [--dry-run]` as an operator runs it, then what the database holds.
 * Each run is a cold `node --import tsx` start (about 4 s of CPU loading the service graph,
 * the import itself takes milliseconds), so on a busy machine a test with two runs needs more
 * than the default 30 s.
 */
const CLI_TEST = { timeout: 120_000 };

describe.each(DIALECTS)('import users on %s', (dialect) => {
  let tdb: TestDatabase;
  let dir: string;
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  async function inspect<T>(fn: (rt: TestRuntime) => Promise<T>): Promise<T> {
    const rt = await createTestRuntime(dialect, { db: tdb });
    try {
      return await fn(rt);
    } finally {
      await rt.dispose();
    }
  }
  const people = (rt: TestRuntime) =>
    rt.ctx.store.db.selectFrom('users').selectAll().orderBy('username').execute();

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    dir = mkdtempSync(join(tmpdir(), 'portcullis-import-'));
  });
  afterAll(async () => {
    await tdb.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    '--dry-run prints what would change and writes nothing; the real run creates, links managers, invites',
    CLI_TEST,
    async () => {
      const file = write('people.csv', FILE);
      const dry = await runCli(tdb.url, ['import', 'users', file, '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      const lines = dry.stdout.trimEnd().split('\n');
      expect(lines.slice(0, 3).map((l) => l.split(':')[0])).toEqual(['line 2', 'line 3', 'line 4']);
      expect(lines[1]).toContain('create bob');
      expect(lines[1]).toContain('display_name="Bob, Jr."');
      expect(JSON.parse(lines[3]!)).toEqual({
        dryRun: true,
        created: 3,
        updated: 0,
        unchanged: 0,
        requirementsOpened: 0,
      });
      await inspect(async (rt) => expect(await people(rt)).toEqual([]));

      const real = await runCli(tdb.url, ['import', 'users', file]);
      expect(real.code, real.stderr).toBe(0);
      expect(JSON.parse(real.stdout)).toEqual({
        dryRun: false,
        created: 3,
        updated: 0,
        unchanged: 0,
        requirementsOpened: 3,
      });
      await inspect(async (rt) => {
        const rows = await people(rt);
        const byName = new Map(rows.map((r) => [r.username, r]));
        expect(byName.get('ann')).toMatchObject({
          email: 'ann@example.org',
          external_id: 'E-1',
          department: 'Finance',
          employee_number: '1001',
          manager_id: byName.get('cid')!.id,
          status: 'active',
        });
        expect(byName.get('bob')).toMatchObject({
          display_name: 'Bob, Jr.',
          manager_id: byName.get('cid')!.id,
        });
        expect((await rt.services.identity.get(byName.get('ann')!.id)).groups).toEqual(['finance', 'staff']);
        const reqs = await rt.services.lifecycle.requirementsOf(byName.get('ann')!.id);
        expect(reqs).toMatchObject([{ reason: 'joiner', status: 'open' }]);
        const mails = await rt.ctx.store.db
          .selectFrom('jobs')
          .select('payload')
          .where('kind', '=', 'send-mail')
          .execute();
        expect(mails.map((m) => JSON.parse(m.payload).to).sort()).toEqual([
          'ann@example.org',
          'bob@example.org',
          'cid@example.org',
        ]);
        const audit = await rt.services.audit.forSubject(byName.get('ann')!.id);
        expect(audit.map((e) => e.action)).toEqual(
          expect.arrayContaining(['person.imported', 'lifecycle.requirement_opened']),
        );
      });
    },
  );

  it('a bad row exits 1 naming its line, and nothing is written', CLI_TEST, async () => {
    const bad = write('bad.csv', 'username,email\ndan,dan@example.org\neve,not-an-address\n');
    const run = await runCli(tdb.url, ['import', 'users', bad]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/line 3: email is not an e-mail address/);
    expect(run.stdout).toBe('');
    await inspect(async (rt) => expect((await people(rt)).map((r) => r.username)).not.toContain('dan'));
  });
});

/** The import service itself: batches of 1000, managers named before they exist, conflicts. */
describe.each(DIALECTS)('importPeople on %s', (dialect) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
  });
  afterAll(() => rt.dispose());
  const run = (text: string, dryRun = false) =>
    rt.services.lifecycle.importPeople({ label: 'test' }, text, { dryRun });

  it('writes 2500 people in three batches; a manager in a later batch is linked when it arrives', async () => {
    const rows = ['username,email,manager'];
    // Everyone's manager is the last person, who comes in the third batch.
    for (let i = 0; i < 2500; i++) rows.push(`p${i},p${i}@example.org,${i === 2499 ? '' : 'p2499'}`);
    const progress: number[] = [];
    const report = await rt.services.lifecycle.importPeople({ label: 'test' }, `${rows.join('\n')}\n`, {
      dryRun: false,
      onProgress: (done) => progress.push(done),
    });
    expect(report).toMatchObject({ created: 2500, requirementsOpened: 2500 });
    expect(progress).toEqual([1000, 2000, 2500]);
    const boss = (await rt.services.identity.findByUsername('p2499'))!;
    const linked = await rt.ctx.store.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('manager_id', '=', boss.id)
      .executeTakeFirstOrThrow();
    expect(Number(linked.n)).toBe(2499);
  });

  it('a second run updates what changed (a mover event for a new admin group) and leaves the rest', async () => {
    const file = 'username,email,groups\numa,uma@example.org,staff\nvic,vic@example.org,staff\n';
    expect(await run(file)).toMatchObject({ created: 2, updated: 0, unchanged: 0 });
    const next = file.replace('uma@example.org,staff', 'uma@new.example.org,staff;sysadmins');
    const dry = await run(next, true);
    expect(dry).toMatchObject({ dryRun: true, created: 0, updated: 1, unchanged: 1 });
    expect(dry.changes).toEqual([
      'line 2: update uma: email "uma@example.org" -> "uma@new.example.org", groups +sysadmins',
    ]);
    expect((await rt.services.identity.findByUsername('uma'))!.email).toBe('uma@example.org');
    expect(await run(next)).toMatchObject({ created: 0, updated: 1, unchanged: 1 });
    const uma = (await rt.services.identity.findByUsername('uma'))!;
    expect(uma.email).toBe('uma@new.example.org');
    const reqs = await rt.services.lifecycle.requirementsOf(uma.id);
    expect(reqs.find((r) => r.reason === 'mover')).toMatchObject({ phishingResistant: true, status: 'open' });
    expect(await run(next)).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
  });

  it('a conflict found while planning writes nothing, naming the line', async () => {
    await rt.services.identity.create({ label: 'test' }, { username: 'taken', externalId: 'X-1' });
    const err = await run('username,externalId\nfresh,F-1\ntaken,X-2\n').catch((e: unknown) => e);
    expect(isAppError(err, 'VALIDATION_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(
      /^line 3: username taken belongs to a person with another externalId/,
    );
    expect(await rt.services.identity.findByUsername('fresh')).toBeUndefined();
  });
});
