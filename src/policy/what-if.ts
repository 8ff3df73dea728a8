import type { TypeDescription } from '../authenticators/authenticator-type.js';
import { evaluate } from './evaluate.js';
import type { Policy, PolicyException, Requirement } from './policy-model.js';

/** One person as coverage sees them: their groups and their authenticators' types and states. */
export interface CoveragePerson {
  id: string;
  username: string;
  groups: string[];
  factors: Array<{ type: string; state: string }>;
}

/** What coverage is computed from. Pure: the service reads all of it first. */
export interface CoverageInput {
  people: readonly CoveragePerson[];
  applications: ReadonlyArray<{ clientId: string; name: string }>;
  policies: readonly Policy[];
  exceptions: readonly PolicyException[];
  now: number;
  baseline: Requirement;
  /** The level the sign-in requires of everyone whatever the policy says (the SSO floor). */
  floorAal: 1 | 2 | 3;
  describe: (
    type: string,
  ) => Pick<TypeDescription, 'maxAal' | 'phishingResistant' | 'recoveryOnly'> | undefined;
}

/** One person × application that is not covered, and why. */
export interface Gap {
  userId: string;
  username: string;
  clientId: string;
  requiredAal: number;
  reachedAal: number;
}

interface Tally {
  pairs: number;
  covered: number;
}

/** The coverage report: totals, per application and group, and every gap. */
export interface Coverage {
  totals: Tally & { people: number; applications: number; uncovered: number };
  applications: Array<{ clientId: string; name: string } & Tally>;
  groups: Array<{ group: string } & Tally>;
  gaps: Gap[];
}

/** The level this requirement enforces at sign-in: the floor, the policy level, AAL3 when phishing resistance is asked. */
export function enforcedAal(req: Requirement, floor: 1 | 2 | 3): 1 | 2 | 3 {
  return Math.max(floor, req.aal, req.phishingResistant ? 3 : 1) as 1 | 2 | 3;
}

/** The level a person's ACTIVE factors reach under a requirement (password alone: 1). */
function reached(p: CoveragePerson, req: Requirement, describe: CoverageInput['describe']): number {
  let best = 1;
  for (const f of p.factors) {
    const d = describe(f.type);
    // As enforced: only active factors of an allowed type count; issued-but-unused ones do not.
    if (!d || d.recoveryOnly || f.state !== 'active') continue;
    if (!(req.allowedTypes as string[]).includes(f.type)) continue;
    if (req.phishingResistant && !d.phishingResistant) continue;
    best = Math.max(best, Math.min(d.maxAal, d.phishingResistant ? 3 : 2));
  }
  return best;
}

/**
 * What-if coverage: for every person × application, the requirement as enforced against the
 * factors they actually hold, active. A pair is covered when those factors reach the level.
 */
export function coverage(input: CoverageInput): Coverage {
  const apps = input.applications.map((a) => ({ ...a, pairs: 0, covered: 0 }));
  const groups = new Map<string, Tally>();
  const gaps: Gap[] = [];
  for (const p of input.people) {
    for (const app of apps) {
      const { requirement } = evaluate({
        userId: p.id,
        groups: p.groups,
        clientId: app.clientId,
        policies: input.policies,
        exceptions: input.exceptions,
        now: input.now,
        baseline: input.baseline,
      });
      const required = enforcedAal(requirement, input.floorAal);
      const got = reached(p, requirement, input.describe);
      const ok = got >= required;
      app.pairs++;
      if (ok) app.covered++;
      for (const g of p.groups) {
        const t = groups.get(g) ?? { pairs: 0, covered: 0 };
        t.pairs++;
        if (ok) t.covered++;
        groups.set(g, t);
      }
      if (!ok)
        gaps.push({
          userId: p.id,
          username: p.username,
          clientId: app.clientId,
          requiredAal: required,
          reachedAal: got,
        });
    }
  }
  const pairs = apps.reduce((n, a) => n + a.pairs, 0);
  const covered = apps.reduce((n, a) => n + a.covered, 0);
  return {
    totals: {
      people: input.people.length,
      applications: apps.length,
      pairs,
      covered,
      uncovered: pairs - covered,
    },
    applications: apps,
    groups: [...groups].map(([group, t]) => ({ group, ...t })).sort((a, b) => a.group.localeCompare(b.group)),
    gaps,
  };
}
