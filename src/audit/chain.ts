import { createHash } from 'node:crypto';

/** The hash before the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields an event's hash covers: everything but the hash itself. */
export interface ChainedFields {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string | null;
  source_ip: string | null;
  outcome: string;
  details: string;
  prev_hash: string;
}

/**
 * The hash of one event, chained to the previous one. `seq` is inside the hash and `prev_hash`
 * links each event to the one before, so editing, deleting or reordering rows breaks the chain.
 */
export function eventHash(e: ChainedFields): string {
  return createHash('sha256')
    .update(e.prev_hash)
    .update(JSON.stringify([e.seq, e.at, e.actor, e.action, e.subject, e.source_ip, e.outcome, e.details]))
    .digest('hex');
}

/** What the chain head's MAC covers: truncating the tail would need a new MAC. */
export function headMacInput(seq: number, hash: string): string {
  return `audit-head:${seq}:${hash}`;
}

export type ChainProblem =
  | { kind: 'gap'; seq: number; expected: number }
  | { kind: 'link'; seq: number }
  | { kind: 'hash'; seq: number }
  | { kind: 'head'; seq: number };

/**
 * Walks events in seq order and reports the first break. Pure and incremental: feed rows with
 * `step` and read `problem`; `finish` checks the signed head against the last row seen.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  count = 0;
  problem: ChainProblem | undefined;

  step(e: ChainedFields & { hash: string }): boolean {
    if (this.problem) return false;
    if (e.seq !== this.expectedSeq) {
      this.problem = { kind: 'gap', seq: Math.min(e.seq, this.expectedSeq), expected: this.expectedSeq };
      return false;
    }
    if (e.prev_hash !== this.prevHash) {
      this.problem = { kind: 'link', seq: e.seq };
      return false;
    }
    if (eventHash(e) !== e.hash) {
      this.problem = { kind: 'hash', seq: e.seq };
      return false;
    }
    this.prevHash = e.hash;
    this.expectedSeq += 1;
    this.count += 1;
    return true;
  }

  /** Compares the last event with the signed head; a shorter chain than the head is truncation. */
  finish(head: { seq: number; hash: string } | undefined): ChainProblem | undefined {
    if (this.problem) return this.problem;
    const lastSeq = this.expectedSeq - 1;
    if (!head) {
      if (lastSeq > 0) this.problem = { kind: 'head', seq: 1 };
      return this.problem;
    }
    if (head.seq !== lastSeq || head.hash !== this.prevHash) {
      this.problem = { kind: 'head', seq: Math.min(head.seq, lastSeq) + 1 };
    }
    return this.problem;
  }
}
