import { describe, expect, it } from 'vitest';
import { listTypes } from '../authenticators/registry.js';
import { builtInRules } from './policy-model.js';
import { testPolicy } from './policy.test-support.js';
import { type CoveragePerson, coverage } from './what-if.js';

const NOW = Date.UTC(2026, 10, 28, 12);
const describeType = (t: string) => listTypes().find((x) => x.kind === t)?.describe;

/**
 * A hand-built organisation of five people and two applications:
 *   ann   (admins)  active passkey              → AAL3 everywhere: covered ×2
 *   bob   (admins)  active TOTP                 → admins need AAL3: uncovered ×2 (payroll: TOTP does not count)
 *   cat   (staff)   active TOTP                 → AAL2: wiki covered; payroll allows only
 *                                                 passkeys: uncovered
 *   dan   (staff)   pending TOTP (never used)   → as enforced, not as registered: uncovered ×2
 *   eve   (staff)   active HOTP + recovery codes → wiki covered; payroll uncovered
 * Pairs 10, covered 4 (ann×2, cat wiki, eve wiki), uncovered 6.
 */
const people: CoveragePerson[] = [
  { id: 'a', username: 'ann', groups: ['admins'], factors: [{ type: 'webauthn', state: 'active' }] },
  { id: 'b', username: 'bob', groups: ['admins'], factors: [{ type: 'totp', state: 'active' }] },
  { id: 'c', username: 'cat', groups: ['staff'], factors: [{ type: 'totp', state: 'active' }] },
  { id: 'd', username: 'dan', groups: ['staff'], factors: [{ type: 'totp', state: 'pending' }] },
  {
    id: 'e',
    username: 'eve',
    groups: ['staff'],
    factors: [
      { type: 'hotp', state: 'active' },
      { type: 'recovery_codes', state: 'active' },
    ],
  },
];

describe('what-if coverage', () => {
  it('counts every person × application as enforced against their active factors', () => {
    const report = coverage({
      people,
      applications: [
        { clientId: 'wiki', name: 'Wiki' },
        { clientId: 'payroll', name: 'Payroll' },
      ],
      policies: [
        testPolicy('admins', 'group', 'admins', { aal: 3 }),
        testPolicy('payroll', 'client', 'payroll', { allowedTypes: ['webauthn'] }),
      ],
      exceptions: [],
      now: NOW,
      baseline: builtInRules({ enrolmentGraceDays: 14 }),
      floorAal: 2,
      describe: describeType,
    });
    expect(report.totals).toEqual({ people: 5, applications: 2, pairs: 10, covered: 4, uncovered: 6 });
    expect(report.applications).toEqual([
      { clientId: 'wiki', name: 'Wiki', pairs: 5, covered: 3 },
      { clientId: 'payroll', name: 'Payroll', pairs: 5, covered: 1 },
    ]);
    expect(report.groups).toEqual([
      { group: 'admins', pairs: 4, covered: 2 },
      { group: 'staff', pairs: 6, covered: 2 },
    ]);
    expect(report.gaps.filter((g) => g.username === 'bob').map((g) => [g.requiredAal, g.reachedAal])).toEqual(
      [
        [3, 2], // wiki: TOTP reaches AAL2 of the AAL3 required
        [3, 1], // payroll: only passkeys count, so TOTP reaches nothing
      ],
    );
    expect(report.gaps.find((g) => g.username === 'cat')).toMatchObject({
      clientId: 'payroll',
      reachedAal: 1,
    });
  });

  it('an active exception counts as enforced: bob covered once admins are waived to AAL2', () => {
    const report = coverage({
      people: people.slice(0, 2),
      applications: [{ clientId: 'wiki', name: 'Wiki' }],
      policies: [testPolicy('admins', 'group', 'admins', { aal: 3 })],
      exceptions: [
        {
          id: 'x',
          userId: 'b',
          groupName: null,
          waives: { aal: 2 },
          owner: 'o',
          startsAt: NOW - 1,
          expiresAt: NOW + 1,
          revokedAt: null,
        },
      ],
      now: NOW,
      baseline: builtInRules({ enrolmentGraceDays: 14 }),
      floorAal: 2,
      describe: describeType,
    });
    expect(report.totals.covered).toBe(2);
  });
});
