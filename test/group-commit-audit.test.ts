import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

/** Audit events of a group commit are chained once per batch; a failed unit leaves none. */
describe.each(DIALECTS)('group commit and the audit chain on %s', (dialect) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
  });
  afterAll(() => rt.dispose());

  it('keeps the events of units that commit, drops those of a unit that fails, and the chain verifies', async () => {
    const actor = { label: 'test' };
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        rt.ctx.store.groupCommit(async (trx) => {
          await rt.ctx.audit.append(trx, actor, { action: 'test.unit', subject: `u${i}` });
          if (i % 10 === 3) throw new Error('unit fails after auditing');
          return i;
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(3);
    const events = await rt.ctx.store.db
      .selectFrom('audit_events')
      .select(['subject'])
      .where('action', '=', 'test.unit')
      .execute();
    const subjects = new Set(events.map((e) => e.subject));
    expect(subjects.size).toBe(27);
    for (const failed of ['u3', 'u13', 'u23']) expect(subjects.has(failed)).toBe(false);
    expect(await rt.services.audit.verify()).toMatchObject({ ok: true });
  });

  it('rolls the whole batch back when its audit events cannot be written (fail closed)', async () => {
    const before = await rt.ctx.store.db.selectFrom('users').select('id').execute();
    const trigger =
      dialect === 'sqlite'
        ? [
            `CREATE TRIGGER no_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit down'); END`,
          ]
        : [
            `CREATE FUNCTION no_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$ LANGUAGE plpgsql`,
            `CREATE TRIGGER no_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION no_audit()`,
          ];
    const { sql } = await import('kysely');
    for (const t of trigger) await sql.raw(t).execute(rt.ctx.store.db);
    const outcome = await rt.ctx.store
      .groupCommit(async (trx) => {
        await trx
          .insertInto('users')
          .values({
            id: 'gc-x',
            username: 'gc-x',
            username_lower: 'gc-x',
            email: null,
            display_name: null,
            status: 'active',
            external_id: null,
            password_hash: null,
            locked_until: null,
            created_at: 1,
            updated_at: 1,
          })
          .execute();
        await rt.ctx.audit.append(trx, { label: 'test' }, { action: 'test.person', subject: 'gc-x' });
      })
      .then(
        () => 'committed',
        () => 'refused',
      );
    await sql
      .raw('DROP TRIGGER no_audit' + (dialect === 'postgres' ? ' ON audit_events' : ''))
      .execute(rt.ctx.store.db);
    expect(outcome).toBe('refused');
    expect(await rt.ctx.store.db.selectFrom('users').select('id').execute()).toEqual(before);
  });
});
