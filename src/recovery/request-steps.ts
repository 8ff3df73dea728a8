import type { MailService } from '../notify/mail-service.js';
import { type RecoveryStage, recoveryMail } from '../notify/templates/recovery.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { recoveryRequestsRepo } from '../store/repos/recovery-requests.js';
import type { RecoveryRequestRow, UserRow } from '../store/schema.js';
import type { RecoveryState } from './recovery-model.js';

/** Moves a request's state by compare-and-set; INVALID_STATE when another decision won meanwhile. */
export async function moveRequest(
  trx: Db,
  row: RecoveryRequestRow,
  to: RecoveryState,
  now: number,
  patch: Partial<RecoveryRequestRow>,
): Promise<RecoveryRequestRow> {
  const fields = { ...patch, state: to, updated_at: now };
  if (!(await recoveryRequestsRepo.decide(trx, row.id, row.state, fields)))
    throw new AppError('INVALID_STATE', `recovery request ${row.id} changed meanwhile; read it again`);
  return { ...row, ...fields };
}

/** Tells the person about a step of their recovery (inside `trx`: sent only if it commits; once per step). */
export async function notifyPerson(
  mail: MailService,
  trx: Db,
  person: UserRow,
  stage: RecoveryStage,
  reference: string,
  at: number,
): Promise<void> {
  if (!person.email) return;
  const name = person.display_name ?? person.username;
  await mail.queue(trx, person.email, recoveryMail(mail.env, { name, stage, reference, at }), {
    idempotencyKey: `recovery:${reference}:${stage}`,
  });
}
