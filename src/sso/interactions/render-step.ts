import { enrolConfirmPage, enrolIntroPage } from '../pages/enrol-page.js';
import type { PageContext, RenderedPage } from '../pages/page-parts.js';
import { passwordPage } from '../pages/password-page.js';
import { refusedPage } from '../pages/refused-page.js';
import { secondFactorPage } from '../pages/second-factor-page.js';
import type { SecondFactorMethod } from './methods.js';
import type { SignInState } from './sign-in-flow.js';

/** The method shown first: the one asked for, else the strongest the person holds (recovery last). */
export function pickMethod(
  methods: readonly SecondFactorMethod[],
  asked?: unknown,
): SecondFactorMethod | undefined {
  const chosen = methods.find((m) => m === asked);
  if (chosen) return chosen;
  return methods.find((m) => m !== 'access_pass' && m !== 'recovery_code') ?? methods[0];
}

/** The page for where a sign-in stands (GET, and after each step that moved it on). */
export function renderStep(
  pc: PageContext,
  state: SignInState,
  opts: { method?: unknown; loginHint?: string } = {},
): RenderedPage {
  const step = state.step;
  switch (step.name) {
    case 'password':
      return passwordPage(pc, { username: opts.loginHint });
    case 'second_factor':
      return secondFactorPage(pc, {
        username: state.person?.username ?? '',
        methods: step.methods,
        selected: pickMethod(step.methods, opts.method),
        canEnrolInstead: step.canEnrolInstead,
      });
    case 'enrol':
      return step.authenticatorId
        ? enrolConfirmPage(pc, {})
        : enrolIntroPage(pc, { reason: step.reason, deadline: step.deadline });
    case 'refused':
      return refusedPage(pc, { deadline: step.deadline });
  }
}
