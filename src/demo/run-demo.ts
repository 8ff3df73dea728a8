import { totp } from '../authenticators/otp/index.js';
import { decodeBase32 } from '../authenticators/otp/index.js';
import type { Services } from '../services.js';
import { AppError } from '../shared/errors.js';
import type { ManualClock } from '../shared/clock.js';
import { planOrganisation } from './organisation.js';
import { HR, type PersonState, personSteps } from './person-steps.js';
import { createPrng } from './prng.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** How far back the simulated history starts. */
export const DEMO_MONTHS_DAYS = 182;

export interface DemoOptions {
  people: number;
  seed: number;
  /** When the history ends (the real "now", so the figures' windows cover it). */
  end: number;
}

/** What the operator needs to look around afterwards. */
export interface DemoResult {
  people: number;
  events: number;
  adminToken: string;
  demoUser: { username: string; password: string; totpSecret: string };
}

interface Step {
  at: number;
  order: number;
  run: () => Promise<void>;
}

/** Whether the database holds anything the demo could mix with (people, tokens, hardware). */
export async function databaseIsEmpty(services: Services): Promise<boolean> {
  const people = await services.identity.list({ limit: 1, offset: 0 });
  return (
    people.total === 0 &&
    (await services.tokens.list()).length === 0 &&
    (await services.inventory.list()).length === 0
  );
}

/**
 * Fills an empty database with a demo organisation and six months of history, all through the
 * real services on a simulated clock: joiners, enrolments (TOTP mostly, HOTP hardware tokens
 * from the inventory, recovery codes), failed codes, lost devices recovered with access passes,
 * recovery-code redemptions and leavers. The same seed gives the same organisation and history.
 */
export async function runDemo(
  services: Services,
  clock: ManualClock,
  opts: DemoOptions,
): Promise<DemoResult> {
  if (!(await databaseIsEmpty(services))) {
    throw new AppError('CONFLICT', 'the database is not empty: the demo only fills an empty one');
  }
  const prng = createPrng(opts.seed);
  const start = opts.end - DEMO_MONTHS_DAYS * DAY;
  clock.set(start);
  const plans = planOrganisation(prng, opts.people, start, opts.end);

  // The hardware inventory arrives first: one HOTP token for everyone planned to get one.
  const hardware = new Map<string, Buffer>();
  const tokens = plans
    .filter((p) => p.factor === 'hotp')
    .map((_, i) => ({ serial: `DEMO${String(i + 1).padStart(6, '0')}`, secret: prng.bytes(20) }));
  for (const t of tokens) hardware.set(t.serial, t.secret);
  if (tokens.length > 0) {
    await services.inventory.importTokens(
      HR,
      tokens.map((t) => ({
        ...t,
        type: 'hotp' as const,
        algorithm: 'SHA1' as const,
        digits: 6,
        counter: 0,
        manufacturer: 'Demo',
        model: 'OTP c200',
      })),
      'demo',
    );
  }

  const steps = personSteps(services, clock, prng, hardware);
  const queue: Step[] = [];
  const add = (at: number | null, run: () => Promise<void>) => {
    if (at !== null && at <= opts.end) queue.push({ at, order: queue.length, run });
  };
  for (const plan of plans) {
    const s: PersonState = { plan, left: false, recoveryCodes: [] };
    add(plan.joinAt, () => steps.join(s));
    if (plan.factor !== 'none') add(plan.issueAt, () => steps.issue(s));
    add(plan.activateAt, () => steps.activate(s));
    add(plan.recoveryCodesAt, () => steps.recoveryCodes(s));
    add(plan.recoveryCodeRedeemAt, () => steps.redeemRecoveryCode(s));
    for (const at of plan.failuresAt) add(at, () => steps.wrongCode(s));
    add(plan.lostAt, () => steps.loseDevice(s));
    add(plan.lostAt === null ? null : plan.lostAt + 3 * MINUTE, () => steps.activate(s));
    add(plan.lockedOutAt, () => steps.lockOut(s));
    add(plan.leaveAt, () => steps.leave(s));
  }
  queue.sort((a, b) => a.at - b.at || a.order - b.order);
  for (const step of queue) {
    clock.set(Math.max(clock.now(), Math.floor(step.at)));
    await step.run();
  }

  clock.set(opts.end);
  return { people: plans.length, events: queue.length, ...(await credentials(services, clock, prng)) };
}

/** An admin API token and one demo person with a password, an active TOTP and console roles, to sign in with. */
async function credentials(services: Services, clock: ManualClock, prng: ReturnType<typeof createPrng>) {
  const adminToken = (await services.tokens.create({ label: 'demo' }, 'admin', 'demo-admin')).token;
  const username = 'demo.user';
  const password = `demo-${prng.int(100000, 999999)}-${prng.int(100000, 999999)}`;
  const { id } = await services.identity.create(HR, {
    username,
    email: 'demo.user@demo.example',
    displayName: 'Demo User',
    groups: ['IT'],
    password,
  });
  const issued = await services.authenticators.issue({ label: `user:${username}` }, id, { type: 'totp' });
  const totpSecret = issued.secret as string;
  const code = totp(decodeBase32(totpSecret), clock.now() - 30_000, {
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
  await services.validation.validate({ label: 'demo' }, username, code);
  // The demo person may open the admin console (/console) and its dashboard.
  await services.personRoles.set({ label: 'demo' }, id, { roles: ['admin', 'auditor'] });
  return { adminToken, demoUser: { username, password, totpSecret } };
}
