import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import type { JobService } from '../jobs/job-service.js';
import type { JobSpec } from '../jobs/job-types.js';
import { periodicJob } from '../jobs/periodic-job.js';
import type { MailService } from '../notify/mail-service.js';
import { exceptionExpiringMail } from '../notify/templates/index.js';
import type { Db } from '../store/open-store.js';
import { policyExceptionsRepo } from '../store/repos/policy-exceptions.js';
import { usersRepo } from '../store/repos/users.js';
import type { PolicyExceptionRow } from '../store/schema.js';

/** The job kind of the hourly exception sweep (the issue's `policy.exception_sweep`; job kinds are kebab-case). */
export const EXCEPTION_SWEEP = 'policy-exception-sweep';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const SYSTEM: Actor = { label: 'system:exception-sweep' };

/** The sweep for the hour after `now`: one job per slot, however many instances enqueue it. */
export function sweepSpec(now: number): JobSpec {
  return periodicJob({ kind: EXCEPTION_SWEEP, slotMs: HOUR }, now);
}

/**
 * The exception sweep: marks expired exceptions (evaluation already ignores them at expiry; the
 * mark is for reports and the audit trail), sends the owner a notice 7 and 1 days before expiry
 * (each at most once: a conditional update plus a mail idempotency key), and runs again next hour
 * while any exception is live.
 */
export class ExceptionSweep {
  constructor(
    private readonly ctx: Context,
    private readonly jobs: JobService,
    private readonly mail: MailService,
  ) {}

  /** One pass; returns what it did. */
  async run(): Promise<{ expired: number; notices: number }> {
    const { store, clock } = this.ctx;
    const now = clock.now();
    let expired = 0;
    let notices = 0;
    for (const row of await policyExceptionsRepo.overdue(store.reader, now)) {
      const marked = await store.transaction(async (trx) => {
        if (!(await policyExceptionsRepo.markExpired(trx, row.id, now))) return false;
        await this.ctx.audit.append(trx, SYSTEM, {
          action: 'policy.exception_expired',
          subject: row.user_id,
          details: {
            exception: row.id,
            groupName: row.group_name,
            expiresAt: new Date(row.expires_at).toISOString(),
          },
        });
        return true;
      });
      if (marked) expired++;
    }
    for (const row of await policyExceptionsRepo.unexpired(store.reader, now)) {
      const left = row.expires_at - now;
      // The nearer notice only: an exception found with a day left gets no late 7-day notice.
      const notice =
        left <= DAY && row.notified_1d_at === null
          ? '1d'
          : left <= 7 * DAY && row.notified_7d_at === null && row.notified_1d_at === null
            ? '7d'
            : null;
      if (notice && (await this.notify(row, notice, now))) notices++;
    }
    return { expired, notices };
  }

  /** The job handler: a pass, then the next hour's sweep while anything is left to watch. */
  async handle(): Promise<void> {
    await this.run();
    const now = this.ctx.clock.now();
    const left = await policyExceptionsRepo.unexpired(this.ctx.store.reader, now);
    if (left.length > 0) {
      await this.ctx.store.transaction((trx) => this.jobs.enqueue(trx, sweepSpec(now)));
    }
  }

  private async notify(row: PolicyExceptionRow, notice: '7d' | '1d', now: number): Promise<boolean> {
    return this.ctx.store.transaction(async (trx) => {
      if (!(await policyExceptionsRepo.markNotified(trx, row.id, notice, now))) return false;
      if (notice === '1d') await policyExceptionsRepo.markNotified(trx, row.id, '7d', now);
      const owner = await this.ownerAddress(trx, row.owner);
      const covers = row.user_id
        ? ((await usersRepo.byId(trx, row.user_id))?.username ?? row.user_id)
        : `group ${row.group_name}`;
      if (owner) {
        const mail = exceptionExpiringMail(this.mail.env, {
          ownerName: owner.name,
          covers,
          waives: Object.keys(JSON.parse(row.waives) as object),
          reason: row.reason,
          expiresAt: row.expires_at,
          exceptionId: row.id,
        });
        await this.mail.queue(trx, owner.email, mail, {
          idempotencyKey: `exception-expiring:${row.id}:${notice}`,
        });
      }
      await this.ctx.audit.append(trx, SYSTEM, {
        action: 'policy.exception_notice',
        subject: row.user_id,
        outcome: owner ? 'success' : 'failure',
        details: { exception: row.id, notice, ...(owner ? {} : { reason: 'owner_has_no_address' }) },
      });
      return true;
    });
  }

  /** The owner's address: an e-mail address as given, or the mail of the person it names (id or userName). */
  private async ownerAddress(trx: Db, owner: string): Promise<{ email: string; name: string } | undefined> {
    if (/^[^@\s]+@[^@\s]+$/.test(owner)) return { email: owner, name: owner };
    const person = (await usersRepo.byId(trx, owner)) ?? (await usersRepo.byUsername(trx, owner));
    if (!person?.email) return undefined;
    return { email: person.email, name: person.display_name ?? person.username };
  }
}
