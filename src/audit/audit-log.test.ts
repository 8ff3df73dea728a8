import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.js';
import { disableLifecycleRules } from '../../test/support/lifecycle.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { usersRepo } from '../store/repos/users.js';
import { eventHash } from './chain.js';

const ACTOR = { label: 'test', sourceIp: '192.0.2.10' };

/** The audit chain against a real database: tampering of every kind is found, at the right seq. */
describe.each(DIALECTS)('audit chain on %s', (dialect) => {
  let rt: TestRuntime;
  const db = () => rt.ctx.store.db;
  const verify = () => rt.services.audit.verify();

  /** Eight events through real services: four tokens, four people. */
  async function seed(): Promise<void> {
    await disableLifecycleRules(rt); // no requirement_opened events among the eight
    for (let i = 0; i < 4; i++) {
      await rt.services.tokens.create(ACTOR, 'auditor', `reader-${i}`);
      await rt.services.identity.create(ACTOR, { username: `person-${i}`, groups: ['staff'] });
    }
  }

  const row = (seq: number) =>
    db().selectFrom('audit_events').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();

  beforeEach(async () => {
    rt = await createTestRuntime(dialect);
    await seed();
  });
  afterEach(async () => {
    await rt.dispose();
  });

  it('an intact chain verifies with its exact count, in one page or many', async () => {
    expect(await verify()).toEqual({ ok: true, count: 8 });
    expect(await rt.ctx.audit.verify(rt.ctx.store, 3)).toEqual({ ok: true, count: 8 });
    expect(await rt.ctx.audit.verify(rt.ctx.store, 1)).toEqual({ ok: true, count: 8 });
  });

  it('records who, what, about whom, from where, with what outcome', async () => {
    const first = await row(1);
    expect(first).toMatchObject({ actor: 'test', action: 'token.created', source_ip: '192.0.2.10' });
    expect(first.outcome).toBe('success');
    expect(first.at).toBe(rt.clock.now());
    const second = await row(2);
    expect(second.action).toBe('person.created');
    expect(JSON.parse(second.details)).toEqual({ username: 'person-0', groups: ['staff'] });
  });

  it('an edited field is found at that event', async () => {
    await db()
      .updateTable('audit_events')
      .set({ details: '{"username":"mallory"}' })
      .where('seq', '=', 3)
      .execute();
    expect(await verify()).toMatchObject({ ok: false, seq: 3, reason: 'the event was altered' });
  });

  it('an edit found in a later page names the right event', async () => {
    await db().updateTable('audit_events').set({ actor: 'someone-else' }).where('seq', '=', 7).execute();
    expect(await rt.ctx.audit.verify(rt.ctx.store, 2)).toMatchObject({ ok: false, seq: 7 });
  });

  it('a deleted middle event is found at its sequence number', async () => {
    await db().deleteFrom('audit_events').where('seq', '=', 4).execute();
    expect(await verify()).toMatchObject({ ok: false, seq: 4 });
  });

  it("two events' swapped contents are found at the first of them", async () => {
    const [a, b] = [await row(2), await row(5)];
    const { seq: _a, ...aBody } = a;
    const { seq: _b, ...bBody } = b;
    await db()
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable('audit_events').set(bBody).where('seq', '=', 2).execute();
        await trx.updateTable('audit_events').set(aBody).where('seq', '=', 5).execute();
      });
    expect(await verify()).toMatchObject({ ok: false, seq: 2 });
  });

  it('a truncated tail is found against the signed head', async () => {
    await db().deleteFrom('audit_events').where('seq', '>=', 7).execute();
    expect(await verify()).toMatchObject({ ok: false, seq: 7, reason: expect.stringMatching(/removed/) });
  });

  it('a head moved without a valid MAC is refused, even when it matches a truncated chain', async () => {
    const six = await row(6);
    await db().deleteFrom('audit_events').where('seq', '>=', 7).execute();
    await db().updateTable('audit_head').set({ seq: 6, hash: six.hash }).where('id', '=', 1).execute();
    expect(await verify()).toMatchObject({ ok: false, seq: 6, reason: expect.stringMatching(/signature/) });
  });

  it('a head hash edited alone is refused', async () => {
    await db()
      .updateTable('audit_head')
      .set({ hash: 'f'.repeat(64) })
      .where('id', '=', 1)
      .execute();
    expect(await verify()).toMatchObject({ ok: false, seq: 8 });
  });

  it('a deleted head is refused', async () => {
    await db().deleteFrom('audit_head').execute();
    expect(await verify()).toMatchObject({ ok: false, seq: 1 });
  });

  it('a well-linked event appended past the signed head is refused', async () => {
    const last = await row(8);
    const forged = {
      seq: 9,
      at: last.at,
      actor: 'test',
      action: 'token.revoked',
      subject: null,
      source_ip: null,
      outcome: 'success' as const,
      details: '{}',
      prev_hash: last.hash,
    };
    await db()
      .insertInto('audit_events')
      .values({ ...forged, hash: eventHash(forged) })
      .execute();
    expect(await verify()).toMatchObject({ ok: false, seq: 9 });
  });

  it('keeps verifying while appends run concurrently (a head ahead of the walk is not truncation)', async () => {
    const appends = Array.from({ length: 12 }, (_, i) =>
      rt.services.tokens.create(ACTOR, 'auditor', `late-${i}`),
    );
    const verifies = Array.from({ length: 6 }, () => rt.ctx.audit.verify(rt.ctx.store, 2));
    const results = await Promise.all([...verifies, ...appends]);
    for (const r of results.slice(0, 6)) expect(r).toMatchObject({ ok: true });
    expect(await verify()).toEqual({ ok: true, count: 20 });
  });

  it('an append landing between the walk and the head read is not mistaken for truncation', async () => {
    const store = rt.ctx.store;
    const selectArrays = store.selectArrays;
    let appended = false;
    // 8 events in pages of 4: the walk ends on an empty page, and another instance appends right
    // then, before the head read.
    const interleaved = {
      ...store,
      async selectArrays(query: Parameters<typeof selectArrays>[0]) {
        const rows = await selectArrays(query);
        if (rows.length === 0 && !appended) {
          appended = true;
          await rt.services.tokens.create(ACTOR, 'auditor', 'meanwhile');
        }
        return rows;
      },
    };
    expect(await rt.ctx.audit.verify(interleaved, 4)).toEqual({ ok: true, count: 9 });
    expect(appended).toBe(true);
  });

  it('exports every event in chain order, and from a time on', async () => {
    rt.clock.advance(60_000);
    await rt.services.tokens.create(ACTOR, 'admin', 'later');
    const all = [];
    for await (const e of rt.services.audit.export(undefined, 3)) all.push(e);
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(all[1]).toMatchObject({ action: 'person.created', details: { username: 'person-0' } });
    expect(all[8]?.prevHash).toBe(all[7]?.hash);
    const since = [];
    for await (const e of rt.services.audit.export(rt.clock.now())) since.push(e);
    expect(since.map((e) => e.seq)).toEqual([9]);
  });

  it('fails closed: when the audit event cannot be written, the change rolls back', async () => {
    if (dialect === 'sqlite') {
      await sql`CREATE TRIGGER audit_refuse BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit store refuses'); END`.execute(
        db(),
      );
    } else {
      await sql`CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit store refuses'; END $$`.execute(
        db(),
      );
      await sql`CREATE TRIGGER audit_refuse BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_refuse()`.execute(
        db(),
      );
    }
    await expect(rt.services.identity.create(ACTOR, { username: 'ghost' })).rejects.toThrow(
      /audit store refuses/,
    );
    expect(await usersRepo.byUsername(db(), 'ghost')).toBeUndefined();
    await expect(rt.services.tokens.create(ACTOR, 'admin', 'ghost-token')).rejects.toThrow();
    expect((await rt.services.tokens.list()).some((t) => t.name === 'ghost-token')).toBe(false);

    await sql`DROP TRIGGER audit_refuse${sql.raw(dialect === 'postgres' ? ' ON audit_events' : '')}`.execute(
      db(),
    );
    expect(await verify()).toEqual({ ok: true, count: 8 });
    await rt.services.identity.create(ACTOR, { username: 'ghost' });
    expect(await verify()).toEqual({ ok: true, count: 9 });
  });
});

/** The very first appends race for seq 1 on a fresh database; every one must still land. */
describe.each(DIALECTS)('first appends on %s', (dialect) => {
  it('concurrent first appends all commit, in one unbroken chain', async () => {
    const rt = await createTestRuntime(dialect);
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => rt.services.tokens.create(ACTOR, 'auditor', `first-${i}`)),
      );
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(await rt.services.audit.verify()).toEqual({ ok: true, count: 10 });
    } finally {
      await rt.dispose();
    }
  });

  it('an empty chain verifies with count 0', async () => {
    const rt = await createTestRuntime(dialect);
    try {
      expect(await rt.services.audit.verify()).toEqual({ ok: true, count: 0 });
    } finally {
      await rt.dispose();
    }
  });
});
