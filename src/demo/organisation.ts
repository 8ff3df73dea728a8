import type { Prng } from './prng.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Departments (the groups people join) and their relative sizes. */
export const DEPARTMENTS: ReadonlyArray<readonly [string, number]> = [
  ['Engineering', 30],
  ['Sales', 18],
  ['Support', 14],
  ['Operations', 12],
  ['Marketing', 9],
  ['Finance', 7],
  ['People', 5],
  ['Legal', 3],
  ['IT', 2],
];

const FIRST = [
  'ada',
  'ben',
  'cleo',
  'dev',
  'eli',
  'fay',
  'gus',
  'hana',
  'ivo',
  'jun',
  'kai',
  'lea',
  'max',
  'nia',
  'oto',
  'pia',
  'raj',
  'sam',
  'tea',
  'uma',
  'vic',
  'wen',
  'yan',
  'zoe',
];
const LAST = [
  'abbott',
  'berg',
  'costa',
  'dietz',
  'evans',
  'fujita',
  'garcia',
  'haas',
  'ito',
  'jensen',
  'kowal',
  'lund',
  'moreau',
  'novak',
  'okafor',
  'petrov',
  'quinn',
  'rossi',
  'silva',
  'tanaka',
  'ueda',
  'vogel',
  'weber',
  'young',
];

/** What happens to one person over the simulated months (times in ms; null = never). */
export interface PersonPlan {
  username: string;
  displayName: string;
  department: string;
  joinAt: number;
  factor: 'totp' | 'hotp' | 'none';
  issueAt: number;
  activateAt: number | null;
  recoveryCodesAt: number | null;
  recoveryCodeRedeemAt: number | null;
  failuresAt: number[];
  lostAt: number | null;
  leaveAt: number | null;
  /** Wrong codes from here on until locked for long: the person is still throttled when the demo ends. */
  lockedOutAt: number | null;
}

const uniform = (prng: Prng, from: number, to: number) => from + prng.next() * Math.max(0, to - from);

/** Plans `count` people joining between `start` and `end`, deterministically from `prng`. */
export function planOrganisation(prng: Prng, count: number, start: number, end: number): PersonPlan[] {
  const taken = new Set<string>();
  const plans: PersonPlan[] = [];
  for (let i = 0; i < count; i++) {
    const first = prng.pick(FIRST);
    const last = prng.pick(LAST);
    let username = `${first}.${last}`;
    for (let n = 2; taken.has(username); n++) username = `${first}.${last}${n}`;
    taken.add(username);
    // A third were already there when rollout began; the rest joined over the months.
    const joinAt = prng.chance(0.35)
      ? uniform(prng, start, start + DAY)
      : uniform(prng, start + DAY, end - HOUR);
    const factor = prng.weighted([
      ['totp', 88],
      ['hotp', 8],
      ['none', 4],
    ] as const);
    const issueAt = joinAt + prng.int(1, 30) * MINUTE;
    // Most enrol the same day; a long tail takes days or never gets round to it.
    const delay = factor === 'hotp' ? prng.logNormal(30 * HOUR, 0.8) : prng.logNormal(5 * HOUR, 1.5);
    const activateAt =
      factor !== 'none' && prng.chance(0.92) && issueAt + delay < end ? issueAt + delay : null;
    const recoveryCodesAt = activateAt !== null && prng.chance(0.65) ? activateAt + 2 * MINUTE : null;
    const recoveryCodeRedeemAt =
      recoveryCodesAt !== null && prng.chance(0.05) ? uniform(prng, recoveryCodesAt + DAY, end) : null;
    const lostAt =
      activateAt !== null && prng.chance(0.07) ? uniform(prng, activateAt + DAY, end - 6 * HOUR) : null;
    const failuresAt = prng.chance(0.2)
      ? Array.from({ length: prng.int(1, 3) }, () => uniform(prng, joinAt + HOUR, end)).sort((a, b) => a - b)
      : [];
    const leaveAt = prng.chance(0.05) ? uniform(prng, joinAt + 7 * DAY, end) : null;
    const lockedOutAt =
      activateAt !== null && leaveAt === null && prng.chance(0.004) ? end - 90 * MINUTE : null;
    plans.push({
      username,
      displayName: `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`,
      department: prng.weighted(DEPARTMENTS),
      joinAt,
      factor,
      issueAt,
      activateAt,
      recoveryCodesAt,
      recoveryCodeRedeemAt,
      failuresAt,
      lostAt: lostAt !== null && lostAt > (activateAt ?? end) ? lostAt : null,
      leaveAt: leaveAt !== null && leaveAt < end ? leaveAt : null,
      lockedOutAt,
    });
  }
  return plans;
}
