import { constantTimeEqual } from '../crypto/constant-time.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Db, Store } from '../store/open-store.js';
import { batchScopeOf } from '../store/batch-scope.js';
import { type AuditHead, auditRepo } from '../store/repos/audit-events.js';
import type { AuditEventRow } from '../store/schema.js';
import { type ChainProblem, ChainVerifier, eventHash, GENESIS_HASH, headMacInput } from './chain.js';

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

/** Events waiting to be chained, with the time they happened. */
interface Pending {
  actor: Actor;
  entries: AuditEntry[];
  at: number;
}

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
    const at = this.clock();
    const scope = batchScopeOf(trx);
    // In a group commit the batch's events are chained and written together just before it
    // commits: one head read and write per batch instead of per request.
    if (scope) {
      scope.defer(this.flushDeferred, { actor, entries, at });
      return;
    }
    await this.write(trx, [{ actor, entries, at }]);
  }

  private readonly flushDeferred = (trx: Db, items: Pending[]): Promise<void> => this.write(trx, items);

  /** Chains and inserts events, then moves the signed head, all inside `trx`. */
  private async write(trx: Db, items: Pending[]): Promise<void> {
    const head = await auditRepo.headForAppend(trx, this.rowLocks);
    let seq = head?.seq ?? 0;
    let prev = head && head.seq > 0 ? head.hash : GENESIS_HASH;
    const rows: AuditEventRow[] = [];
    for (const { actor, entries, at } of items)
      for (const e of entries) {
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
        rows.push({ ...fields, hash });
      }
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
   * number and what is wrong there. Safe while other instances append: see `walk` and below.
   */
  async verify(store: Store, pageSize = 2_000): Promise<VerifyResult> {
    const verifier = new ChainVerifier();
    await this.walk(store, verifier, pageSize);
    let head = await auditRepo.head(store.db);
    // Each append commits its events with the head, so a head read after the walk covers at
    // least the events walked; if it is further on, those events committed meanwhile and are
    // visible now. Walking up to that head tells a concurrent append from a truncated tail.
    if (!verifier.problem && head && head.seq > verifier.lastSeq) {
      await this.walk(store, verifier, pageSize, head.seq);
    }
    if (head?.seq === 0) head = undefined; // an empty head (see auditRepo.headForAppend) signs nothing
    if (head && !verifier.problem && !this.headMacOk(head)) {
      return { ok: false, seq: head.seq, reason: 'the chain head signature does not match' };
    }
    const problem = verifier.finish(head);
    if (!problem) return { ok: true, count: verifier.count };
    return { ok: false, seq: problem.seq, reason: REASONS[problem.kind] };
  }

  /** Feeds events after the verifier's last one (through `throughSeq`) until the end or a break. */
  private async walk(store: Store, verifier: ChainVerifier, pageSize: number, throughSeq?: number) {
    let next = auditRepo.chainPage(store, verifier.lastSeq, pageSize, throughSeq);
    for (;;) {
      const page = await next;
      const last = page[page.length - 1];
      if (!last) return;
      // Ask for the next page before hashing this one: PostgreSQL works on it meanwhile.
      next =
        page.length < pageSize
          ? Promise.resolve([])
          : auditRepo.chainPage(store, last.seq, pageSize, throughSeq);
      for (const row of page) {
        if (!verifier.step(row)) {
          next.catch(() => {}); // abandoned: its outcome no longer matters
          return;
        }
      }
    }
  }

  private headMacOk(head: AuditHead): boolean {
    try {
      const expected = this.keyring.mac(HEAD_PURPOSE, headMacInput(head.seq, head.hash), head.master_kid);
      return constantTimeEqual(expected, head.mac);
    } catch {
      return false; // signed by a master key this instance does not hold
    }
  }
}

/** The outcome of `AuditLog.verify`. */
export type VerifyResult = { ok: true; count: number } | { ok: false; seq: number; reason: string };

/** What each kind of break means, for the operator reading `audit verify`. */
const REASONS: Record<ChainProblem['kind'], string> = {
  gap: 'an event is missing or out of order',
  link: 'the event does not link to the one before it',
  hash: 'the event was altered',
  truncated: 'events from here on were removed (the chain is shorter than its signed head)',
  unsigned: 'events from here on are not covered by the signed chain head',
  head: 'the chain does not end in the hash its signed head names',
};
