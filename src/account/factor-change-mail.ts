import type { Context } from '../context.js';
import type { MailService } from '../notify/mail-service.js';
import { factorAddedMail, factorRemovedMail } from '../notify/templates/index.js';
import type { Db } from '../store/open-store.js';
import { usersRepo } from '../store/repos/users.js';

/** A factor the person added or removed themselves. */
export interface FactorChange {
  userId: string;
  what: 'added' | 'removed';
  type: string;
  name: string | null;
}

/**
 * Queues, inside `trx`, the mail that tells the person a factor was added to or removed from
 * their account (so a change they did not make does not go unnoticed). Nothing without an address.
 */
export async function queueFactorChangeMail(
  ctx: Context,
  mail: MailService,
  trx: Db,
  change: FactorChange,
): Promise<void> {
  const person = await usersRepo.byId(trx, change.userId);
  if (!person?.email) return;
  const input = {
    name: person.display_name ?? person.username,
    factorType: change.type,
    factorName: change.name,
    at: ctx.clock.now(),
  };
  await mail.queue(
    trx,
    person.email,
    change.what === 'added' ? factorAddedMail(mail.env, input) : factorRemovedMail(mail.env, input),
  );
}
