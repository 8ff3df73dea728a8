import { hash } from 'node:crypto';

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
  // SHA-256 over prev_hash then the JSON array, hex. One-shot `hash` gives the same digest as a
  // streaming hasher fed the two parts, without building a Hash object per event (verify speed).
  return hash(
    'sha256',
    e.prev_hash +
      JSON.stringify([e.seq, e.at, e.actor, e.action, e.subject, e.source_ip, e.outcome, e.details]),
    'hex',
  );
}

/** What the chain head's MAC covers: truncating the tail would need a new MAC. */
export function headMacInput(seq: number, hash: string): string {
  return `audit-head:${seq}:${hash}`;
}

/**
 * The first break found: `gap` (a seq missing or out of order), `link` (prev_hash is not the
 * previous event's hash), `hash` (the event was altered), `truncated` (the chain ends before its
 * signed head), `unsigned` (events past the signed head, or no head at all), `head` (as long as
 * the head says, but ending in another hash).
 */
export type ChainProblem =
  | { kind: 'gap'; seq: number; expected: number }
  | { kind: 'link'; seq: number }
  | { kind: 'hash'; seq: number }
  | { kind: 'truncated'; seq: number }
  | { kind: 'head'; seq: number }
  | { kind: 'unsigned'; seq: number };

/**
 * Walks events in seq order and reports the first break. Pure and incremental: feed rows with
 * `step` and read `problem`; `finish` checks the signed head against the last row seen.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  /** Events accepted so far. */
  count = 0;
  /** The first break, once found; later rows are ignored. */
  problem: ChainProblem | undefined;

  /** The seq of the last event accepted (0 before the first). */
  get lastSeq(): number {
    return this.expectedSeq - 1;
  }

  /** Checks the next event; false once the chain is broken (here or before). */
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
    const lastSeq = this.lastSeq;
    const headSeq = head?.seq ?? 0;
    if (headSeq > lastSeq) this.problem = { kind: 'truncated', seq: lastSeq + 1 };
    else if (headSeq < lastSeq) this.problem = { kind: 'unsigned', seq: headSeq + 1 };
    // Same length, another last hash: the chain was rewritten under its head (or the head edited).
    else if (head && head.hash !== this.prevHash) this.problem = { kind: 'head', seq: lastSeq };
    return this.problem;
  }
}
