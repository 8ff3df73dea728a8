import type { Actor } from '../../audit/audit-log.js';
import type { UsedFactor } from '../acr-amr.js';
import { enrolConfirmPage, enrolIntroPage, enrolQrPage } from '../pages/enrol-page.js';
import { type PageContext, type RenderedPage, throttledMessage } from '../pages/page-parts.js';
import { passwordPage } from '../pages/password-page.js';
import { secondFactorPage } from '../pages/second-factor-page.js';
import type { SecondFactorMethod } from './methods.js';
import { pickMethod } from './render-step.js';
import {
  afterEnrolment,
  afterPasskeyFirst,
  afterPassword,
  afterSecondFactor,
  enrolInstead,
  enrolmentStarted,
  type Next,
  type SignInState,
  type Step,
} from './sign-in-flow.js';
import type { SignInService } from './sign-in-service.js';

/** What a step handler gets: the sign-in so far, the submitted form, who is acting, how to render. */
export interface StepInput {
  state: SignInState;
  body: Record<string, string>;
  actor: Actor;
  pc: PageContext;
  /** The OIDC client signed in to: its policy decides what is required. */
  clientId?: string;
}

/**
 * What a step did: stay on a page (a wrong entry; the state is unchanged), or move the sign-in
 * on (`page` is shown instead of redirecting, e.g. the QR code that can be shown only once;
 * `issued` is undone if another request moved the sign-in first).
 */
export type StepOutcome =
  | { kind: 'page'; page: RenderedPage }
  | { kind: 'next'; next: Next; page?: RenderedPage; issued?: string };

type Handler = (signIn: SignInService, input: StepInput) => Promise<StepOutcome>;

const WRONG_CODE = 'That code did not work. Check the code and try again.';
const WRONG_PASSKEY = 'That passkey could not be used. Try again, or choose another way.';

function code(body: Record<string, string>): string {
  return (body.code ?? '').replace(/[\s-]/g, '');
}

function personOf(state: SignInState): { id: string; username: string } {
  if (!state.person) throw new Error('a step after the password ran without a person');
  return state.person;
}

/** Re-renders the second-factor page on the method just tried, with an error. */
function secondFactorAgain(
  input: StepInput,
  method: SecondFactorMethod,
  error: string,
  status: number,
): StepOutcome {
  const step = input.state.step as Extract<Step, { name: 'second_factor' }>;
  const page = secondFactorPage(input.pc, {
    username: personOf(input.state).username,
    methods: step.methods,
    selected: pickMethod(step.methods, method),
    canEnrolInstead: step.canEnrolInstead,
    error,
    status,
  });
  return { kind: 'page', page };
}

const password: Handler = async (signIn, { state, body, actor, pc, clientId }) => {
  const username = (body.username ?? '').trim();
  if (!username || !body.password) {
    return {
      kind: 'page',
      page: passwordPage(pc, { username, error: 'Enter your username and password.', status: 400 }),
    };
  }
  const r = await signIn.checkPassword(actor, username, body.password);
  if (!r.ok) {
    const error = r.throttledFor
      ? throttledMessage(r.throttledFor)
      : 'The username or password is not right.';
    return { kind: 'page', page: passwordPage(pc, { username, error, status: r.throttledFor ? 429 : 200 }) };
  }
  const facts = await signIn.personFacts(r.value, { clientId: clientId ?? null, actor });
  return { kind: 'next', next: afterPassword(state, facts) };
};

const otp: Handler = async (signIn, input) => {
  const given = code(input.body);
  if (!/^[0-9]{6,10}$/.test(given))
    return secondFactorAgain(input, 'otp', 'Enter the code your app shows (digits only).', 400);
  // The types the password step's policy decision counts (a sign-in saved before it had them: decided again).
  const r = await signIn.checkCode(input.actor, personOf(input.state).id, given, {
    countingTypes: input.state.countingTypes,
  });
  if (!r.ok)
    return secondFactorAgain(
      input,
      'otp',
      r.throttledFor ? throttledMessage(r.throttledFor) : WRONG_CODE,
      r.throttledFor ? 429 : 200,
    );
  return { kind: 'next', next: afterSecondFactor(input.state, r.value) };
};

const recovery: Handler = async (signIn, input) => {
  const step = input.state.step as Extract<Step, { name: 'second_factor' }>;
  const method = input.body.method === 'recovery_code' ? 'recovery_code' : 'access_pass';
  if (!step.methods.includes(method))
    return secondFactorAgain(input, method, 'This way to verify is not available.', 400);
  const given = code(input.body);
  if (!given || given.length > 64)
    return secondFactorAgain(input, method, 'Enter the code you were given.', 400);
  const kind = method === 'access_pass' ? 'access_pass' : 'recovery_codes';
  const r = await signIn.redeemRecovery(input.actor, personOf(input.state).id, kind, given);
  if (!r.ok)
    return secondFactorAgain(
      input,
      method,
      r.throttledFor ? throttledMessage(r.throttledFor) : WRONG_CODE,
      r.throttledFor ? 429 : 200,
    );
  return { kind: 'next', next: afterSecondFactor(input.state, r.value) };
};

const enrolInsteadOfCode: Handler = async (_signIn, { state }) => {
  return { kind: 'next', next: { kind: 'continue', state: enrolInstead(state) } };
};

const enrolStart: Handler = async (signIn, { state, actor, pc }) => {
  const step = state.step as Extract<Step, { name: 'enrol' }>;
  const issued = await signIn.startTotpEnrolment(actor, personOf(state).id, step.authenticatorId);
  return {
    kind: 'next',
    next: { kind: 'continue', state: enrolmentStarted(state, issued.id) },
    page: enrolQrPage(pc, { qrCode: issued.qrCode, secret: issued.secret }),
    issued: issued.id,
  };
};

/**
 * A new factor was verified. When it ends a recovery (a pass or recovery code was spent), the
 * recovery is recorded as completed first (help-desk requests); then the flow moves on.
 */
async function enrolled(
  signIn: SignInService,
  state: SignInState,
  actor: Actor,
  factor: UsedFactor,
): Promise<Next> {
  if (state.step.name === 'enrol' && state.step.reason === 'recovery')
    await signIn.recoveryEnrolled(actor, personOf(state).id);
  return afterEnrolment(state, factor);
}

const enrolConfirm: Handler = async (signIn, { state, body, actor, pc }) => {
  const step = state.step as Extract<Step, { name: 'enrol' }>;
  const given = code(body);
  if (!step.authenticatorId)
    return {
      kind: 'page',
      page: enrolConfirmPage(pc, { error: 'Start by setting up the app.', status: 400 }),
    };
  if (!/^[0-9]{6,10}$/.test(given)) {
    return {
      kind: 'page',
      page: enrolConfirmPage(pc, { error: 'Enter the code your app shows (digits only).', status: 400 }),
    };
  }
  // Only the new authenticator's code counts: this step proves the enrolment, nothing else.
  const r = await signIn.checkCode(actor, personOf(state).id, given, {
    onlyAuthenticatorId: step.authenticatorId,
  });
  if (!r.ok) {
    const error = r.throttledFor ? throttledMessage(r.throttledFor) : WRONG_CODE;
    return { kind: 'page', page: enrolConfirmPage(pc, { error, status: r.throttledFor ? 429 : 200 }) };
  }
  return { kind: 'next', next: await enrolled(signIn, state, actor, r.value) };
};

const passkeyFirst: Handler = async (signIn, { state, body, actor, pc, clientId }) => {
  const r = await signIn.passkeys.first(actor, pc.uid, body, clientId ?? null);
  if (!r.ok) {
    const error = r.throttledFor
      ? throttledMessage(r.throttledFor)
      : 'That passkey could not sign you in. Try again, or sign in with your username and password.';
    return { kind: 'page', page: passwordPage(pc, { error, status: r.throttledFor ? 429 : 200 }) };
  }
  return { kind: 'next', next: afterPasskeyFirst(state, r.value.facts, r.value.factor) };
};

const passkey: Handler = async (signIn, input) => {
  const step = input.state.step as Extract<Step, { name: 'second_factor' }>;
  if (!step.methods.includes('passkey'))
    return secondFactorAgain(input, 'otp', 'This way to verify is not available.', 400);
  const r = await signIn.passkeys.second(input.actor, input.pc.uid, personOf(input.state).id, input.body);
  if (!r.ok)
    return secondFactorAgain(
      input,
      'passkey',
      r.throttledFor ? throttledMessage(r.throttledFor) : WRONG_PASSKEY,
      r.throttledFor ? 429 : 200,
    );
  return { kind: 'next', next: afterSecondFactor(input.state, r.value) };
};

const enrolPasskey: Handler = async (signIn, { state, body, actor, pc }) => {
  const step = state.step as Extract<Step, { name: 'enrol' }>;
  const r = await signIn.passkeys.register(actor, pc.uid, personOf(state).id, body);
  if (!r.ok) {
    const error = 'The passkey was not added. Try again, or set up an authenticator app instead.';
    return {
      kind: 'page',
      page: enrolIntroPage(pc, { reason: step.reason, deadline: step.deadline, error }),
    };
  }
  // A TOTP whose QR was shown but never confirmed is not needed any more.
  if (step.authenticatorId)
    await signIn.abandonEnrolment(actor, step.authenticatorId, 'passkey enrolled instead');
  return { kind: 'next', next: await enrolled(signIn, state, actor, r.value) };
};

/** Every form a sign-in page posts, the step it belongs to, and its handler (named steps, one each). */
export const STEPS: Readonly<Record<string, { step: Step['name']; run: Handler }>> = {
  password: { step: 'password', run: password },
  otp: { step: 'second_factor', run: otp },
  recovery: { step: 'second_factor', run: recovery },
  'enrol-instead': { step: 'second_factor', run: enrolInsteadOfCode },
  'enrol-start': { step: 'enrol', run: enrolStart },
  'enrol-confirm': { step: 'enrol', run: enrolConfirm },
  'passkey-first': { step: 'password', run: passkeyFirst },
  passkey: { step: 'second_factor', run: passkey },
  'enrol-passkey': { step: 'enrol', run: enrolPasskey },
};
