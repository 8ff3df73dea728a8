import type { Keyring } from '../crypto/keyring.js';
import type { Db } from '../store/open-store.js';
import { auditRepo } from '../store/repos/audit-events.js';
import type { AuditEventRow } from '../store/schema.js';
import { ChainVerifier, eventHash, GENESIS_HASH, headMacInput } from './chain.js';

/** Who did something: an API token, a person, the system itself. */
export interface Actor {
  /** e.g. `token:ci-bot(admin)`, `user:alice`, `system`, `cli`. */
  label: string;
  sourceIp?: string | null;
}

export interface AuditEntry {
  action: string;
  subject?: string | null;
  outcome?: 'success' | 'failure' | 'denied';
  /** Never a secret, code or token. */
  details?: Record<string, unknown>;
}

const HEAD_PURPOSE = 'audit-head';

/**
 * The audit trail. `append` runs inside the caller's transaction: the event commits with the
 * change it describes, or neither does (fail closed).
 */
export class AuditLog {
  constructor(
    private readonly keyring: Keyring,
    private readonly rowLocks: boolean,
    private readonly clock: () => number,
  ) {}

  /** Appends events to the chain inside `trx` and moves the signed head. */
  async append(trx: Db, actor: Actor, ...entries: AuditEntry[]): Promise<void> {
    const head = await auditRepo.headForAppend(trx, this.rowLocks);
    let seq = head?.seq ?? 0;
    let prev = head?.hash ?? GENESIS_HASH;
    const at = this.clock();
    const rows: AuditEventRow[] = entries.map((e) => {
      seq += 1;
      const fields = {
        seq,
        at,
        actor: actor.label,
        action: e.action,
        subject: e.subject ?? null,
        source_ip: actor.sourceIp ?? null,
        outcome: e.outcome ?? 'success',
        details: JSON.stringify(e.details ?? {}),
        prev_hash: prev,
      };
      const hash = eventHash(fields);
      prev = hash;
      return { ...fields, hash };
    });
    await auditRepo.insertEvents(trx, rows);
    const mac = this.keyring.mac(HEAD_PURPOSE, headMacInput(seq, prev));
    await auditRepo.writeHead(
      trx,
      { seq, hash: prev, mac, master_kid: this.keyring.masterKid },
      head !== undefined,
    );
  }

  /**
   * Verifies the whole chain and the signed head. Returns the count, or the first bad sequence
   * number and what is wrong there.
   */
  async verify(
    db: Db,
    pageSize = 20_000,
  ): Promise<{ ok: true; count: number } | { ok: false; seq: number; reason: string }> {
    const verifier = new ChainVerifier();
    let after = 0;
    for (;;) {
      const page = await auditRepo.page(db, after, pageSize);
      if (page.length === 0) break;
      for (const row of page) if (!verifier.step(row)) break;
      if (verifier.problem) break;
      after = page[page.length - 1]!.seq;
    }
    const head = await auditRepo.head(db);
    if (head) {
      let macOk = false;
      try {
        macOk =
          this.keyring.mac(HEAD_PURPOSE, headMacInput(head.seq, head.hash), head.master_kid) === head.mac;
      } catch {
        macOk = false;
      }
      if (!macOk && !verifier.problem)
        return { ok: false, seq: head.seq, reason: 'the chain head signature does not match' };
    }
    const problem = verifier.finish(head);
    if (!problem) return { ok: true, count: verifier.count };
    const reason = {
      gap: 'an event is missing or out of order',
      link: 'the event does not link to the one before it',
      hash: 'the event was altered',
      head: 'events after this point were removed (the chain is shorter than its signed head)',
    }[problem.kind];
    return { ok: false, seq: problem.seq, reason };
  }
}
