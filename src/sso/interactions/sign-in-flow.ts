import { type Aal, type Assurance, assess, type UsedFactor } from '../acr-amr.js';
import type { AvailableMethod, SecondFactorMethod } from './methods.js';

/**
 * The sign-in as named steps: password → second factor → (enrol now inside the grace period |
 * refuse after it) → finish. Pure: each step takes the state and what the service learnt, and
 * says what comes next. The state lives in the database between requests.
 */
export type Step =
  | { name: 'password' }
  | {
      name: 'second_factor';
      methods: SecondFactorMethod[];
      /** Inside the grace period with nothing ever used (an enrolment left half-done): may enrol afresh. */
      canEnrolInstead: boolean;
      /** Its end (ms) when enrolling instead is possible. */
      deadline: number | null;
    }
  | {
      name: 'enrol';
      /** `grace`: no factor yet, inside the enrolment period; `recovery`: a pass or recovery code was spent. */
      reason: 'grace' | 'recovery';
      deadline: number | null;
      /** The pending authenticator whose first code confirms the enrolment (once its QR was shown). */
      authenticatorId: string | null;
    }
  | { name: 'refused'; deadline: number };

export interface SignInState {
  requiredAal: Aal;
  step: Step;
  person: { id: string; username: string } | null;
  factors: UsedFactor[];
  /** The authenticator types the policy decision at the password step counts (the second-factor step's check uses them). */
  countingTypes?: string[];
  /** The client's display name, read once when the sign-in started. */
  clientName?: string;
}

/** What the flow needs to know of a person once their password is right. */
export interface PersonFacts {
  id: string;
  username: string;
  methods: AvailableMethod[];
  /** End of the enrolment grace period (ms). */
  enrolmentDeadline: number;
  now: number;
  /** The level a factor enrolled here reaches (TOTP: 2; passkeys will raise it). */
  enrolableAal: Aal;
  /** The level the person's policy requires for this application: it raises the level asked for, never lowers it. */
  policyAal?: Aal;
  /** The authenticator types that policy counts at sign-in. */
  countingTypes?: string[];
}

/** Where a step leads. */
export type Next =
  | { kind: 'continue'; state: SignInState }
  | { kind: 'finish'; state: SignInState; assurance: Assurance }
  /** The level asked for cannot be reached with this person's factors (OIDC unmet_authentication_requirements). */
  | { kind: 'unmet'; state: SignInState; reached: Aal }
  | { kind: 'refuse'; state: SignInState };

/** A new sign-in that needs at least `requiredAal`. */
export function startSignIn(requiredAal: Aal): SignInState {
  return { requiredAal, step: { name: 'password' }, person: null, factors: [] };
}

/** After a right password: ask for a factor the person has, enrol one, or refuse. */
export function afterPassword(state: SignInState, facts: PersonFacts): Next {
  const s: SignInState = {
    ...state,
    requiredAal: Math.max(state.requiredAal, facts.policyAal ?? 1) as Aal,
    person: { id: facts.id, username: facts.username },
    factors: [{ kind: 'password' }],
    ...(facts.countingTypes ? { countingTypes: facts.countingTypes } : {}),
  };
  // The person's policy (e.g. an exception waiving the second factor) and the request ask for AAL1 only.
  if (s.requiredAal === 1) return finish(s);
  const direct = facts.methods.filter((m) => !m.recoveryOnly);
  const withinGrace = facts.now < facts.enrolmentDeadline;
  const none = facts.methods.length === 0;
  // Inside the grace period a password may bind a first factor; that stays open while nothing was ever used.
  const canEnrol = withinGrace && !direct.some((m) => m.active);
  if (none && !withinGrace) {
    return { kind: 'refuse', state: { ...s, step: { name: 'refused', deadline: facts.enrolmentDeadline } } };
  }
  // What the best path open to this person could reach: a factor they hold, or one enrolled now.
  const viaEnrolment = canEnrol || facts.methods.some((m) => m.recoveryOnly);
  const reachable = Math.max(1, ...direct.map((m) => m.aal), viaEnrolment ? facts.enrolableAal : 1) as Aal;
  if (reachable < s.requiredAal) return { kind: 'unmet', state: s, reached: reachable };
  const deadline = facts.enrolmentDeadline;
  if (none) {
    return {
      kind: 'continue',
      state: { ...s, step: { name: 'enrol', reason: 'grace', deadline, authenticatorId: null } },
    };
  }
  // Only methods that can lead to the level asked for are offered.
  const offered = facts.methods.filter((m) => (m.recoveryOnly ? facts.enrolableAal : m.aal) >= s.requiredAal);
  const canEnrolInstead = canEnrol && facts.enrolableAal >= s.requiredAal;
  return {
    kind: 'continue',
    state: {
      ...s,
      step: {
        name: 'second_factor',
        methods: offered.map((m) => m.method),
        canEnrolInstead,
        deadline: canEnrolInstead ? deadline : null,
      },
    },
  };
}

/**
 * Passkey-first (no username, no password): the discoverable passkey named the person and, with
 * user verification, was two factors on its own. The level is what that passkey reached; a
 * policy that does not count passkeys for this person leaves it unmet.
 */
export function afterPasskeyFirst(state: SignInState, facts: PersonFacts, factor: UsedFactor): Next {
  const s: SignInState = {
    ...state,
    requiredAal: Math.max(state.requiredAal, facts.policyAal ?? 1) as Aal,
    person: { id: facts.id, username: facts.username },
    factors: [factor],
  };
  if (!facts.methods.some((m) => m.method === 'passkey')) return { kind: 'unmet', state: s, reached: 1 };
  const done = finish(s);
  if (done.kind !== 'unmet') return done;
  // A synced passkey is short of AAL3: offer the person's factors that reach it (a device-bound
  // passkey); without one the level stays unmet, never silently lower.
  const stronger = facts.methods.filter((m) => !m.recoveryOnly && m.aal >= s.requiredAal);
  if (stronger.length === 0) return done;
  return {
    kind: 'continue',
    state: {
      ...s,
      step: {
        name: 'second_factor',
        methods: stronger.map((m) => m.method),
        canEnrolInstead: false,
        deadline: null,
      },
    },
  };
}

/** Inside the grace period, with nothing ever used: enrol a new factor instead of the half-done one. */
export function enrolInstead(state: SignInState): SignInState {
  if (state.step.name !== 'second_factor' || !state.step.canEnrolInstead) return state;
  return {
    ...state,
    step: { name: 'enrol', reason: 'grace', deadline: state.step.deadline, authenticatorId: null },
  };
}

/** After a right second factor: a recovery credential leads into enrolment, anything else to the end. */
export function afterSecondFactor(state: SignInState, factor: UsedFactor): Next {
  const s = { ...state, factors: [...state.factors, factor] };
  if (factor.kind === 'authenticator' && factor.recoveryOnly) {
    return {
      kind: 'continue',
      state: { ...s, step: { name: 'enrol', reason: 'recovery', deadline: null, authenticatorId: null } },
    };
  }
  return finish(s);
}

/** A new authenticator was issued and its QR shown: its first code will confirm it. */
export function enrolmentStarted(state: SignInState, authenticatorId: string): SignInState {
  if (state.step.name !== 'enrol') return state;
  return { ...state, step: { ...state.step, authenticatorId } };
}

/** After the new authenticator's first right code: it was verified, so it counts. */
export function afterEnrolment(state: SignInState, factor: UsedFactor): Next {
  return finish({ ...state, factors: [...state.factors, factor] });
}

/** The end: the level reached from the factors used, never silently below the level asked for. */
function finish(state: SignInState): Next {
  const assurance = assess(state.factors);
  if (assurance.aal < state.requiredAal) return { kind: 'unmet', state, reached: assurance.aal };
  return { kind: 'finish', state, assurance };
}
