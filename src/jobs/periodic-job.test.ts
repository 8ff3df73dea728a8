import { describe, expect, it } from 'vitest';
import { periodicContinuation, periodicJob } from './periodic-job.js';

const HOUR = 60 * 60 * 1000;
const job = { kind: 'tick', slotMs: HOUR };

describe('periodicJob', () => {
  it('schedules the first boundary strictly after the time, keyed by its slot', () => {
    expect(periodicJob(job, 5 * HOUR + 1)).toEqual({
      kind: 'tick',
      payload: {},
      idempotencyKey: 'tick:6',
      runAt: 6 * HOUR,
    });
    expect(periodicJob(job, 5 * HOUR).runAt).toBe(6 * HOUR);
  });

  it('keeps a boundary itself when asked for at-or-after', () => {
    expect(periodicJob(job, 5 * HOUR, true)).toMatchObject({ idempotencyKey: 'tick:5', runAt: 5 * HOUR });
    expect(periodicJob(job, 5 * HOUR + 1, true)).toMatchObject({ idempotencyKey: 'tick:6', runAt: 6 * HOUR });
  });

  it('gives every instance asking within one slot the same key', () => {
    expect(periodicJob(job, 5 * HOUR + 10).idempotencyKey).toBe(
      periodicJob(job, 6 * HOUR - 1).idempotencyKey,
    );
  });

  it('continues a run at once under a key of its own', () => {
    expect(periodicContinuation(job, 1234, 'run-1')).toEqual({
      kind: 'tick',
      payload: {},
      idempotencyKey: 'tick:after:run-1',
      runAt: 1234,
    });
  });
});
