import type { Db } from '../open-store.js';
import { prepareQuery } from '../prepared-query.js';
import type { EnrolmentRequirementRow, NewEnrolmentRequirementRow } from '../schema.js';

/** `openForUser` runs on every first accepted code (activation): compiled once. */
const openForUserQuery = prepareQuery((db, userId: string) =>
  db
    .selectFrom('enrolment_requirements')
    .selectAll()
    .where('user_id', '=', userId)
    .where('met_at', 'is', null)
    .where('cancelled_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id'),
);

/** Rows per multi-row insert: 20 columns each stays far below either dialect's parameter limit. */
const INSERT_BATCH = 500;

/** What a sweep step writes back (see lifecycle/schedule.ts). */
export interface SweepWrite {
  remindersSent: number;
  lastReminderAt: number | null;
  escalatedAt: number | null;
  nextActionAt: number | null;
}

/**
 * Enrolment requirements. "Open" means neither met nor cancelled; every change of state is a
 * conditional UPDATE on that, so a requirement is met, cancelled or swept once across instances.
 */
export const enrolmentRequirementsRepo = {
  async insertMany(db: Db, rows: readonly NewEnrolmentRequirementRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await db
        .insertInto('enrolment_requirements')
        .values(rows.slice(i, i + INSERT_BATCH))
        .execute();
    }
  },

  byId(db: Db, id: string): Promise<EnrolmentRequirementRow | undefined> {
    return db.selectFrom('enrolment_requirements').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** A person's requirements, newest first. */
  forUser(db: Db, userId: string): Promise<EnrolmentRequirementRow[]> {
    return db
      .selectFrom('enrolment_requirements')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
  },

  /** A person's open requirements, oldest first. */
  openForUser(db: Db, userId: string): Promise<EnrolmentRequirementRow[]> {
    return openForUserQuery.all(db, userId);
  },

  /** The open requirements of many people (bulk paths), in one query per 500 people. */
  async openForUsers(db: Db, userIds: readonly string[]): Promise<EnrolmentRequirementRow[]> {
    const out: EnrolmentRequirementRow[] = [];
    for (let i = 0; i < userIds.length; i += INSERT_BATCH) {
      out.push(
        ...(await db
          .selectFrom('enrolment_requirements')
          .selectAll()
          .where('user_id', 'in', userIds.slice(i, i + INSERT_BATCH))
          .where('met_at', 'is', null)
          .where('cancelled_at', 'is', null)
          .orderBy('created_at')
          .execute()),
      );
    }
    return out;
  },

  /** Marks it met, only while it is open; false when it was met or cancelled meanwhile. */
  async markMet(db: Db, id: string, at: number, authenticatorId: string): Promise<boolean> {
    const r = await db
      .updateTable('enrolment_requirements')
      .set({ met_at: at, met_by_authenticator_id: authenticatorId, next_action_at: null })
      .where('id', '=', id)
      .where('met_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** Cancels it, only while it is open; false when it was met or cancelled meanwhile. */
  async cancel(db: Db, id: string, at: number): Promise<boolean> {
    const r = await db
      .updateTable('enrolment_requirements')
      .set({ cancelled_at: at, next_action_at: null })
      .where('id', '=', id)
      .where('met_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** Cancels every open requirement of a person (the leaver); returns their ids. */
  async cancelAllOfUser(db: Db, userId: string, at: number): Promise<string[]> {
    const rows = await db
      .updateTable('enrolment_requirements')
      .set({ cancelled_at: at, next_action_at: null })
      .where('user_id', '=', userId)
      .where('met_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  },

  /** Open requirements with something due by `now`, soonest first. */
  due(db: Db, now: number, limit: number): Promise<EnrolmentRequirementRow[]> {
    return db
      .selectFrom('enrolment_requirements')
      .selectAll()
      .where('next_action_at', '<=', now)
      .where('met_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .orderBy('next_action_at')
      .orderBy('id')
      .limit(limit)
      .execute();
  },

  /** The earliest step any open requirement waits for (the next sweep), or undefined. */
  async earliestNextAction(db: Db): Promise<number | undefined> {
    const row = await db
      .selectFrom('enrolment_requirements')
      .select((eb) => eb.fn.min<number>('next_action_at').as('at'))
      .executeTakeFirst();
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  },

  /**
   * Records a sweep step, only if nobody swept it since it was read (compare-and-set on the
   * `next_action_at` read) and it is still open; false when another sweep or a change won.
   */
  async recordSweep(db: Db, id: string, readNextActionAt: number, w: SweepWrite): Promise<boolean> {
    const r = await db
      .updateTable('enrolment_requirements')
      .set({
        reminders_sent: w.remindersSent,
        last_reminder_at: w.lastReminderAt,
        escalated_at: w.escalatedAt,
        next_action_at: w.nextActionAt,
      })
      .where('id', '=', id)
      .where('next_action_at', '=', readNextActionAt)
      .where('met_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /**
   * Moves an open requirement's schedule (a changed start date), only if no sweep step or
   * other change touched it since `read` was read (compare-and-set); false otherwise.
   */
  async reschedule(
    db: Db,
    read: Pick<EnrolmentRequirementRow, 'id' | 'next_action_at' | 'counts_from' | 'reminders_sent'>,
    w: Pick<EnrolmentRequirementRow, 'counts_from' | 'deadline' | 'escalate_at' | 'next_action_at'>,
  ): Promise<boolean> {
    const r = await db
      .updateTable('enrolment_requirements')
      .set(w)
      .where('id', '=', read.id)
      .where('next_action_at', read.next_action_at === null ? 'is' : '=', read.next_action_at)
      .where('counts_from', '=', read.counts_from)
      .where('reminders_sent', '=', read.reminders_sent)
      .where('met_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** The earliest deadline among a person's open requirements, or undefined. */
  async earliestOpenDeadline(db: Db, userId: string): Promise<number | undefined> {
    const row = await db
      .selectFrom('enrolment_requirements')
      .select((eb) => eb.fn.min<number>('deadline').as('deadline'))
      .where('user_id', '=', userId)
      .where('met_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .executeTakeFirst();
    return row?.deadline === null || row?.deadline === undefined ? undefined : Number(row.deadline);
  },
};
