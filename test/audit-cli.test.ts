import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { disableLifecycleRules } from './support/lifecycle.js';
import { createTestRuntime } from './support/runtime.js';

const ACTOR = { label: 'test' };

/** `audit verify` and `audit export` as an operator and a SIEM use them (CONTRACT.md, CLI). */
describe('audit CLI', () => {
  let tdb: TestDatabase;
  /** The time of the last two events (an hour after the first four). */
  let later: number;

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    const rt = await createTestRuntime('sqlite', { db: tdb });
    await disableLifecycleRules(rt); // the counts below are of tokens and people alone
    for (let i = 0; i < 4; i++) await rt.services.tokens.create(ACTOR, 'auditor', `reader-${i}`);
    rt.clock.advance(3_600_000);
    later = rt.clock.now();
    await rt.services.identity.create(ACTOR, { username: 'alice' });
    await rt.services.identity.create(ACTOR, { username: 'bob' });
    await rt.dispose();
  });
  afterAll(async () => {
    await tdb.drop();
  });

  it('audit verify: exit 0 and the count when intact', async () => {
    const run = await runCli(tdb.url, ['audit', 'verify']);
    expect(run.stderr).not.toMatch(/portcullis/); // no error line (other libraries may warn)
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\b6 events\b/);
  });

  it('audit export: every event as a JSON line, seq ascending', async () => {
    const run = await runCli(tdb.url, ['audit', 'export']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    const events = lines.map((l) => JSON.parse(l) as { seq: number; time: string; action: string });
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events[4]).toMatchObject({ action: 'person.created', details: { username: 'alice' } });
    for (const e of events) expect(new Date(e.time).toISOString()).toBe(e.time);
  });

  it('audit export --since: only events from that time on', async () => {
    const run = await runCli(tdb.url, ['audit', 'export', '--since', new Date(later).toISOString()]);
    expect(run.code).toBe(0);
    const seqs = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual([5, 6]);
  });

  it('audit export --since garbage: usage error, exit 2, nothing on stdout', async () => {
    const run = await runCli(tdb.url, ['audit', 'export', '--since', 'garbage']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/--since garbage/);
  });

  it('audit verify after tampering: exit 1 naming the first bad event', async () => {
    const raw = new SqliteDatabase(tdb.url.slice('sqlite:'.length));
    try {
      raw.prepare('UPDATE audit_events SET details = \'{"username":"mallory"}\' WHERE seq = 5').run();
    } finally {
      raw.close();
    }
    const run = await runCli(tdb.url, ['audit', 'verify']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/\bevent 5\b/);
  });
});
