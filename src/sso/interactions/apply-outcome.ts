import type { FastifyReply, FastifyRequest } from 'fastify';
import { ACR_BY_AAL } from '../acr-amr.js';
import type { PageContext } from '../pages/page-parts.js';
import type { InteractionView, SsoProtocol } from '../protocol.js';
import { renderStep } from './render-step.js';
import { actorFor, sendError, sendPage } from './responder.js';
import type { SignInService } from './sign-in-service.js';
import type { LoadedState, SignInStateStore } from './sign-in-state-store.js';
import type { StepOutcome } from './steps.js';

export interface OutcomeDeps {
  org: string;
  protocol: SsoProtocol;
  signIn: SignInService;
  states: SignInStateStore;
}

/**
 * Carries out what a step decided: show a page; save the moved-on state (compare-and-set) and
 * show the step it stands at; finish the sign-in with a login; or end it with an OAuth error.
 */
export async function applyOutcome(
  deps: OutcomeDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  a: { view: InteractionView; loaded: LoadedState; outcome: StepOutcome; nonce: string; pc: PageContext },
) {
  const { protocol, signIn, states } = deps;
  const { view, loaded, outcome, nonce, pc } = a;
  if (outcome.kind === 'page') return sendPage(reply, outcome.page, nonce, view);
  const next = outcome.next;
  const uid = view.uid;
  const actor = actorFor(request, next.state);
  const person = next.state.person;
  switch (next.kind) {
    case 'continue':
    case 'refuse': {
      if (!(await states.advance(uid, loaded, next.state))) {
        if (outcome.issued)
          await signIn.abandonEnrolment(actor, outcome.issued, 'sign-in moved on meanwhile');
        return sendError(
          reply,
          deps.org,
          409,
          'This sign-in changed in another window. Reload the page to continue.',
        );
      }
      if (next.kind === 'refuse') {
        await signIn.recordFailed(actor, person?.id ?? null, 'enrolment_overdue', { client: view.clientId });
      }
      // The next step's page at once (no redirect and second request: the form's reload is
      // answered from the saved state, a stale step redirecting to where the sign-in stands).
      return sendPage(reply, outcome.page ?? renderStep(pc, next.state), nonce, view);
    }
    case 'unmet': {
      await signIn.recordFailed(actor, person?.id ?? null, 'unmet_authentication_requirements', {
        client: view.clientId,
        requiredAcr: ACR_BY_AAL[next.state.requiredAal],
        reachableAcr: ACR_BY_AAL[next.reached],
      });
      const to = await protocol.finishError(
        request.raw,
        reply.raw,
        'unmet_authentication_requirements',
        'the requested authentication level cannot be reached with the factors this account has',
      );
      await states.drop(uid, loaded);
      return reply.redirect(to, 303);
    }
    case 'finish': {
      const { acr, amr } = next.assurance;
      const to = await protocol.finishLogin(request.raw, reply.raw, { accountId: person!.id, acr, amr });
      // The audit event and the end of the sign-in's state share one commit.
      await signIn.recordSignedIn(actor, person!.id, next.assurance, view.clientId, (trx) =>
        states.dropIn(trx, uid, loaded),
      );
      return reply.redirect(to, 303);
    }
  }
}
