import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ChainedFields, ChainVerifier, eventHash, GENESIS_HASH } from './chain.js';

type Row = ChainedFields & { hash: string };

/** A correctly linked chain of `n` events (seq 1..n). */
function chain(n: number): Row[] {
  const rows: Row[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const fields: ChainedFields = {
      seq,
      at: Date.UTC(2026, 0, 1) + seq,
      actor: 'token:ci(admin)',
      action: 'person.created',
      subject: `user-${seq}`,
      source_ip: seq % 2 ? '10.0.0.1' : null,
      outcome: 'success',
      details: JSON.stringify({ username: `user${seq}`, note: 'ünïcode ✓' }),
      prev_hash: prev,
    };
    prev = eventHash(fields);
    rows.push({ ...fields, hash: prev });
  }
  return rows;
}

/** Feeds every row and the head; returns the verifier. */
function verify(rows: Row[], head: { seq: number; hash: string } | undefined) {
  const v = new ChainVerifier();
  for (const row of rows) if (!v.step(row)) break;
  return { verifier: v, problem: v.finish(head) };
}

const headOf = (rows: Row[]) => ({ seq: rows.length, hash: rows[rows.length - 1]?.hash ?? GENESIS_HASH });

describe('eventHash', () => {
  it('is SHA-256 of the previous hash then the JSON array of the covered fields (the stored format)', () => {
    const [row] = chain(1);
    const e = row!;
    const expected = createHash('sha256')
      .update(e.prev_hash)
      .update(JSON.stringify([e.seq, e.at, e.actor, e.action, e.subject, e.source_ip, e.outcome, e.details]))
      .digest('hex');
    expect(eventHash(e)).toBe(expected);
    expect(eventHash(e)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when any covered field changes', () => {
    const [row] = chain(1);
    const { hash: _hash, ...fields } = row!;
    const base = eventHash(fields);
    const variants: Partial<ChainedFields>[] = [
      { seq: 2 },
      { at: fields.at + 1 },
      { actor: 'user:mallory' },
      { action: 'person.deleted' },
      { subject: null },
      { source_ip: '10.0.0.2' },
      { outcome: 'failure' },
      { details: '{}' },
      { prev_hash: '1'.repeat(64) },
    ];
    for (const v of variants) expect(eventHash({ ...fields, ...v })).not.toBe(base);
  });
});

describe('ChainVerifier', () => {
  it('accepts an intact chain and counts it', () => {
    const rows = chain(50);
    const { verifier, problem } = verify(rows, headOf(rows));
    expect(problem).toBeUndefined();
    expect(verifier.count).toBe(50);
    expect(verifier.lastSeq).toBe(50);
  });

  it('accepts the empty chain without a head', () => {
    expect(verify([], undefined).problem).toBeUndefined();
  });

  it('detects an edited field at that event', () => {
    const rows = chain(10);
    rows[6] = { ...rows[6]!, details: '{"username":"mallory"}' };
    expect(verify(rows, headOf(chain(10))).problem).toEqual({ kind: 'hash', seq: 7 });
  });

  it('detects an edit whose hash was recomputed, at the next event (the link breaks)', () => {
    const rows = chain(10);
    const { hash: _h, ...edited } = { ...rows[3]!, actor: 'user:mallory' };
    rows[3] = { ...edited, hash: eventHash(edited) };
    expect(verify(rows, headOf(chain(10))).problem).toEqual({ kind: 'link', seq: 5 });
  });

  it('detects a deleted middle event at its sequence number', () => {
    const rows = chain(10);
    const head = headOf(rows);
    rows.splice(4, 1); // seq 5
    expect(verify(rows, head).problem).toEqual({ kind: 'gap', seq: 5, expected: 5 });
  });

  it('detects swapped events at the first position out of order', () => {
    const rows = chain(10);
    const head = headOf(rows);
    [rows[2], rows[3]] = [rows[3]!, rows[2]!]; // seq 4 arrives where 3 should
    expect(verify(rows, head).problem).toMatchObject({ kind: 'gap', seq: 3 });
  });

  it('detects swapped contents under kept sequence numbers (the link breaks)', () => {
    const rows = chain(10);
    const head = headOf(rows);
    const [a, b] = [rows[2]!, rows[3]!];
    rows[2] = { ...b, seq: 3 };
    rows[3] = { ...a, seq: 4 };
    expect(verify(rows, head).problem).toEqual({ kind: 'link', seq: 3 });
  });

  it('detects a truncated tail against the signed head', () => {
    const rows = chain(10);
    const head = headOf(rows);
    expect(verify(rows.slice(0, 7), head).problem).toEqual({ kind: 'truncated', seq: 8 });
    expect(verify([], head).problem).toEqual({ kind: 'truncated', seq: 1 });
  });

  it('flags events past the signed head, or events without any head', () => {
    const rows = chain(10);
    expect(verify(rows, headOf(rows.slice(0, 8))).problem).toEqual({ kind: 'unsigned', seq: 9 });
    expect(verify(rows, undefined).problem).toEqual({ kind: 'unsigned', seq: 1 });
  });

  it('flags a head of the right length naming another hash', () => {
    const rows = chain(10);
    expect(verify(rows, { seq: 10, hash: 'f'.repeat(64) }).problem).toEqual({ kind: 'head', seq: 10 });
  });

  it('keeps the first break and ignores later rows', () => {
    const rows = chain(10);
    rows[1] = { ...rows[1]!, outcome: 'failure' };
    rows[8] = { ...rows[8]!, outcome: 'failure' };
    const { verifier, problem } = verify(rows, headOf(chain(10)));
    expect(problem).toEqual({ kind: 'hash', seq: 2 });
    expect(verifier.step(rows[2]!)).toBe(false);
    expect(verifier.count).toBe(1);
  });

  it('refuses a chain that does not start at seq 1', () => {
    const rows = chain(5).slice(1);
    expect(verify(rows, headOf(chain(5))).problem).toEqual({ kind: 'gap', seq: 1, expected: 1 });
  });
});
