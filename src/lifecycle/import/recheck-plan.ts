import { AppError } from '../../shared/errors.js';
import type { Db } from '../../store/open-store.js';
import { usersRepo } from '../../store/repos/users.js';
import type { PlanEntry } from './plan-import.js';

const lower = (s: string) => s.toLowerCase();

function fail(line: number, message: string): never {
  throw new AppError('CONFLICT', `line ${line}: ${message}`, { line });
}

/** Checks, inside the batch's transaction, that nobody changed what the plan was made from. */
export async function recheckPlan(trx: Db, batch: readonly PlanEntry[]): Promise<void> {
  const updates = batch.filter((e) => e.existing);
  const now = new Map(
    (
      await usersRepo.byIds(
        trx,
        updates.map((e) => e.id),
      )
    ).map((r) => [r.id, r]),
  );
  for (const e of updates) {
    if (now.get(e.id)?.version !== e.existing!.row.version) {
      fail(e.record.line, `${e.record.username} changed since the import started; run it again`);
    }
  }
  const creates = batch.filter((e) => e.kind === 'create');
  const ext = creates.flatMap((e) => (e.record.externalId ? [e.record.externalId] : []));
  const taken = [
    ...(await usersRepo.byUsernames(
      trx,
      creates.map((e) => e.record.username),
    )),
    ...(await usersRepo.byExternalIds(trx, ext)),
  ];
  for (const row of taken) {
    const e = creates.find(
      (c) => lower(c.record.username) === row.username_lower || c.record.externalId === row.external_id,
    );
    if (e)
      fail(
        e.record.line,
        `${e.record.username} was created elsewhere since the import started; run it again`,
      );
  }
}
