import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createPerson } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

const TRIALS = 40;
const ADMIN = { label: 'test' };

/**
 * A leaver racing an enrolment: issuing locks the person's row (PostgreSQL; SQLite serialises
 * writers), so either the issue commits first and the leaver revokes what it made, or the
 * leaver commits first and the issue is refused. No deactivated person keeps a live factor.
 */
describe.each(DIALECTS)('issuing an authenticator while the person leaves, on %s', (dialect) => {
  let rt: TestRuntime;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
  });
  afterAll(async () => rt?.dispose());

  it(`leaves no active or pending authenticator on a deprovisioned person (${TRIALS} races)`, async () => {
    const people = [];
    for (let n = 0; n < TRIALS; n++) people.push(await createPerson(rt, `racer-${n}`));
    const outcomes = await Promise.all(
      people.map(async (person, n) => {
        const issue = rt.services.authenticators.issue(ADMIN, person.id, {
          type: n % 2 === 0 ? 'totp' : 'hotp',
        });
        const leave = rt.services.identity.deactivate(ADMIN, person.id, 'race');
        const [issued, left] = await Promise.allSettled([issue, leave]);
        expect(left.status).toBe('fulfilled');
        // The issue either won (its factor is revoked by the leaver) or was refused as INVALID_STATE.
        if (issued.status === 'rejected') expect(issued.reason).toMatchObject({ code: 'INVALID_STATE' });
        return issued.status;
      }),
    );
    for (const person of people) {
      expect((await rt.services.identity.get(person.id)).status).toBe('deprovisioned');
      const live = (await rt.services.authenticators.list(person.id)).filter(
        (a) => a.state === 'active' || a.state === 'pending',
      );
      expect(live, person.id).toEqual([]);
    }
    // Both orders happen across the trials only by chance; what must hold is the invariant above.
    expect(outcomes).toHaveLength(TRIALS);
  });
});
