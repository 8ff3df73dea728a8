import { describe, expect, it } from 'vitest';
import { createSlots } from './slots.js';

describe('slots', () => {
  it('runs at most n at a time, the waiting ones in arrival order, and frees a slot on failure', async () => {
    const slots = createSlots(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const job = (i: number) =>
      slots.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        if (i === 1) throw new Error('one fails');
        return i;
      });
    const results = await Promise.allSettled(Array.from({ length: 7 }, (_, i) => job(i)));
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    // After the failure every slot is free again: two run at once straight away.
    running = 0;
    most = 0;
    await Promise.all([job(10), job(11)]);
    expect(most).toBe(2);
  });
});
