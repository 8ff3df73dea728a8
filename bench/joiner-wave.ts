import { pathToFileURL } from 'node:url';
import { newId } from '../src/crypto/random.js';
import { newUserRow, usersRepo } from '../src/store/repos/users.js';
import { createTestRuntime, type TestRuntime } from '../test/support/runtime.js';
import { insertBatches } from './bulk-rows.js';

/** What one joiner wave measured. */
export interface JoinerWaveResult {
  people: number;
  /** Wall-clock time of `import users` for the whole wave (plan, write, requirements, invitations queued). */
  seconds: number;
  peoplePerSecond: number;
  /** The floor: bare user rows inserted in transactions of 1000 into a fresh database, no groups, audit or lifecycle. */
  rawInsertPerSecond: number;
}

/** A CSV of `people` joiners: two groups each, a manager for every 50 (named before them). */
function waveCsv(people: number): string {
  const lines = ['username,email,displayName,externalId,groups,manager,department,employeeNumber'];
  for (let i = 0; i < people; i++) {
    const manager = i % 50 === 0 ? '' : `w${i - (i % 50)}`;
    lines.push(
      `w${i},w${i}@example.org,Wave Person ${i},X-${i},staff;dept-${i % 40},${manager},Dept ${i % 40},${100000 + i}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function count(
  rt: TestRuntime,
  table: 'users' | 'enrolment_requirements' | 'enrolment_invitations',
): Promise<number> {
  const r = await rt.ctx.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Bare inserts of the same number of user rows, as fast as the store allows: the baseline. */
async function rawInsertSeconds(people: number): Promise<number> {
  const rt = await createTestRuntime('sqlite');
  try {
    const now = Date.now();
    const t0 = process.hrtime.bigint();
    const row = (i: number) =>
      newUserRow({
        id: newId(),
        username: `r${i}`,
        email: `r${i}@example.org`,
        display_name: `Raw Person ${i}`,
        external_id: `R-${i}`,
        created_at: now,
        employee_number: String(100000 + i),
        department: `Dept ${i % 40}`,
      });
    await insertBatches(rt.ctx.store, people, 1000, row, (trx, rows) => usersRepo.insertMany(trx, rows));
    return Number(process.hrtime.bigint() - t0) / 1e9;
  } finally {
    await rt.dispose();
  }
}

/**
 * A joiner wave on SQLite: `import users` of `people` new people (CSV parsed, planned, written in
 * batches of 1000 with groups, managers, audit events, an enrolment requirement and a queued
 * invitation mail each), against a raw insert of as many bare user rows measured in the same run.
 */
export async function benchJoinerWave(opts: { people?: number } = {}): Promise<JoinerWaveResult> {
  const people = opts.people ?? 100_000;
  const csv = waveCsv(people);
  const rt = await createTestRuntime('sqlite');
  let seconds: number;
  try {
    const t0 = process.hrtime.bigint();
    const report = await rt.services.lifecycle.importPeople({ label: 'bench' }, csv, { dryRun: false });
    seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const invitations = await count(rt, 'enrolment_invitations');
    if (report.created !== people || (await count(rt, 'users')) !== people || invitations !== people) {
      throw new Error(`the wave did not land whole: ${JSON.stringify(report)}, ${invitations} invitations`);
    }
  } finally {
    await rt.dispose();
  }
  const raw = await rawInsertSeconds(people);
  return {
    people,
    seconds,
    peoplePerSecond: Math.round(people / seconds),
    rawInsertPerSecond: Math.round(people / raw),
  };
}

// `node --import tsx bench/joiner-wave.ts [PEOPLE]` runs it alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchJoinerWave({ people: Number(process.argv[2] ?? 100_000) });
  console.log(
    `joiner wave: ${r.people} people in ${r.seconds.toFixed(1)} s = ${r.peoplePerSecond} people/s` +
      ` (raw user inserts: ${r.rawInsertPerSecond} rows/s)`,
  );
}
