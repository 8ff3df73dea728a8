import type { Context } from '../context.js';
import type { JobService } from '../jobs/job-service.js';
import type { MailService } from '../notify/mail-service.js';
import { FLOOR_AAL } from '../sso/interaction-policy.js';
import { CoverageService } from './coverage-service.js';
import { EXCEPTION_SWEEP, ExceptionSweep } from './exception-sweep.js';
import { ExceptionService } from './exception-service.js';
import type { PolicyService } from './policy-service.js';

/** The policy domain's services around the one evaluator, with the sweep's job handler registered. */
export function buildPolicyServices(
  ctx: Context,
  deps: { policy: PolicyService; jobs: JobService; mail: MailService },
) {
  const sweep = new ExceptionSweep(ctx, deps.jobs, deps.mail);
  deps.jobs.handle(EXCEPTION_SWEEP, () => sweep.handle());
  return {
    exceptions: new ExceptionService(ctx, deps.policy, deps.jobs),
    coverage: new CoverageService(ctx, deps.policy, FLOOR_AAL),
    sweep,
  };
}
