import { sql } from 'kysely';
import type { Db } from '../open-store.js';
import type { RecoveryRequestRow } from '../schema.js';

// Literals, not parameters: PostgreSQL would type a bare parameter in CASE as text.
const ONE = sql<number>`1`;
const ZERO = sql<number>`0`;

/** Counts of open work for /metrics: one aggregate query each, both dialects. */
export const workloadCountsRepo = {
  /** Unmet, uncancelled enrolment requirements: still open, and past their deadline at `now`. */
  async requirements(db: Db, now: number): Promise<{ open: number; overdue: number }> {
    const row = await db
      .selectFrom('enrolment_requirements')
      .where('met_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .select((eb) => [
        eb.fn.countAll().as('n'),
        eb.fn.sum(eb.case().when('deadline', '<=', now).then(ONE).else(ZERO).end()).as('overdue'),
      ])
      .executeTakeFirstOrThrow();
    const overdue = Number(row.overdue ?? 0);
    return { open: Number(row.n) - overdue, overdue };
  },

  /** Recovery requests by state as of `now` (an open request past its deadline counts as expired). */
  async recoveryByState(db: Db, now: number): Promise<Partial<Record<RecoveryRequestRow['state'], number>>> {
    const rows = await db
      .selectFrom('recovery_requests')
      .select((eb) => [
        'state',
        eb.fn.countAll().as('n'),
        eb.fn
          .sum(
            eb
              .case()
              .when(eb.and([eb('state', '=', 'open'), eb('expires_at', '<=', now)]))
              .then(ONE)
              .else(ZERO)
              .end(),
          )
          .as('lapsed'),
      ])
      .groupBy('state')
      .execute();
    const out: Partial<Record<RecoveryRequestRow['state'], number>> = {};
    for (const r of rows) {
      const lapsed = Number(r.lapsed ?? 0);
      out[r.state] = (out[r.state] ?? 0) + Number(r.n) - lapsed;
      if (lapsed > 0) out.expired = (out.expired ?? 0) + lapsed;
    }
    return out;
  },
};
