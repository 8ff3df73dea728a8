import type { Actor } from '../audit/audit-log.js';
import { hotp, totp } from '../authenticators/otp/index.js';
import { decodeBase32 } from '../authenticators/otp/index.js';
import type { Services } from '../services.js';
import type { ManualClock } from '../shared/clock.js';
import type { PersonPlan } from './organisation.js';
import type { Prng } from './prng.js';

/** Who does what in the demo: HR's directory sync, the help desk, and each person themself. */
export const HR: Actor = { label: 'token:hr-sync(scim)' };
export const HELPDESK: Actor = { label: 'token:helpdesk-desk(helpdesk)' };
const person = (username: string): Actor => ({ label: `user:${username}` });
const OTP = { algorithm: 'SHA1', digits: 6, period: 30 } as const;

/** One simulated person while the demo runs. */
export interface PersonState {
  plan: PersonPlan;
  id?: string;
  left: boolean;
  factor?: { id: string; kind: 'totp' | 'hotp'; secret: Buffer };
  recoveryCodes: string[];
}

/** The steps a person's plan is made of; each goes through the real services at the clock's time. */
export function personSteps(
  services: Services,
  clock: ManualClock,
  prng: Prng,
  hardware: Map<string, Buffer>,
) {
  const live = (s: PersonState): s is PersonState & { id: string } => s.id !== undefined && !s.left;
  const rightCode = (f: NonNullable<PersonState['factor']>) =>
    f.kind === 'totp' ? totp(f.secret, clock.now(), OTP) : hotp(f.secret, 0, OTP);

  const issueTotp = async (s: PersonState & { id: string }) => {
    const issued = await services.authenticators.issue(person(s.plan.username), s.id, { type: 'totp' });
    s.factor = { id: issued.id, kind: 'totp', secret: decodeBase32(issued.secret as string) };
  };
  const validate = (s: PersonState, code: string) =>
    services.validation.validate({ label: 'token:vpn(validator)' }, s.plan.username, code);

  return {
    async join(s: PersonState) {
      const { plan } = s;
      const created = await services.identity.create(HR, {
        username: plan.username,
        email: `${plan.username}@demo.example`,
        displayName: plan.displayName,
        groups: [plan.department],
      });
      s.id = created.id;
    },
    async issue(s: PersonState) {
      if (!live(s)) return;
      if (s.plan.factor === 'totp') await issueTotp(s);
      if (s.plan.factor === 'hotp') {
        const [serial, secret] = hardware.entries().next().value as [string, Buffer];
        hardware.delete(serial);
        const bound = await services.inventory.assign(HR, serial, s.id);
        s.factor = { id: bound.id, kind: 'hotp', secret };
      }
    },
    async activate(s: PersonState) {
      if (live(s) && s.factor) await validate(s, rightCode(s.factor));
    },
    async recoveryCodes(s: PersonState) {
      if (!live(s)) return;
      const issued = await services.authenticators.issue(person(s.plan.username), s.id, {
        type: 'recovery_codes',
      });
      s.recoveryCodes = issued.codes as string[];
    },
    async redeemRecoveryCode(s: PersonState) {
      const code = s.recoveryCodes.shift();
      if (live(s) && code)
        await services.authenticators.redeemRecoveryCode(s.id, code, person(s.plan.username));
    },
    async wrongCode(s: PersonState) {
      if (!live(s)) return;
      let code = String(prng.int(0, 999_999)).padStart(6, '0');
      if (s.factor && code === rightCode(s.factor)) code = code === '000000' ? '000001' : '000000';
      await validate(s, code);
    },
    /** Wrong codes until the failure counter locks the person for a long while (each lock waited out). */
    async lockOut(s: PersonState) {
      for (let i = 0; i < 40 && live(s); i++) {
        const r = await validate(s, '000000');
        if (r.result !== 'throttled') continue;
        if (r.retryAfterSeconds >= 1800) return;
        clock.advance((r.retryAfterSeconds + 1) * 1000);
      }
    },
    /** Lost device: the help desk marks it lost and hands out a pass; the person re-enrols with it. */
    async loseDevice(s: PersonState) {
      if (!live(s) || !s.factor) return;
      const lost = s.factor;
      await services.authenticators.markLost(HELPDESK, lost.id, 'reported lost');
      const pass = await services.authenticators.issue(HELPDESK, s.id, { type: 'access_pass' });
      await services.authenticators.redeemAccessPass(s.id, pass.code as string, person(s.plan.username));
      await issueTotp(s);
      await services.authenticators.revoke(HELPDESK, lost.id, 'replaced after loss');
    },
    async leave(s: PersonState) {
      if (!live(s)) return;
      await services.identity.deactivate(HR, s.id, 'left the organisation');
      s.left = true;
    },
  };
}

export type PersonSteps = ReturnType<typeof personSteps>;
