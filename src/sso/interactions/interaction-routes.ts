import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../context.js';
import type { ClientService } from '../client-service.js';
import { consentPage } from '../pages/consent-page.js';
import type { PageContext } from '../pages/page-parts.js';
import { newNonce } from '../pages/security-headers.js';
import type { InteractionView, SsoProtocol } from '../protocol.js';
import { ACCOUNT_CLIENT_ID, ACCOUNT_CLIENT_NAME } from '../account-client.js';
import { CONSOLE_CLIENT_ID, CONSOLE_CLIENT_NAME } from '../console-client.js';
import { applyOutcome } from './apply-outcome.js';
import { passkeyOptionsRoute } from './passkey-options-route.js';
import { csrfToken, csrfValid } from './csrf.js';
import { renderStep } from './render-step.js';
import { actorFor, sendError, sendPage } from './responder.js';
import type { SignInService } from './sign-in-service.js';
import { newSignIn, type SignInStateStore } from './sign-in-state-store.js';
import { STEPS } from './steps.js';

export interface InteractionDeps {
  ctx: Context;
  protocol: SsoProtocol;
  signIn: SignInService;
  states: SignInStateStore;
  clients: ClientService;
}

const params = z.object({ uid: z.string().min(1).max(64), action: z.string().min(1).max(32).optional() });
const EXPIRED = 'This sign-in has expired or was already completed.';

/** The sign-in pages under /interaction/:uid: GET shows where the sign-in stands, each form POSTs one step. */
export async function interactionRoutes(app: FastifyInstance, deps: InteractionDeps): Promise<void> {
  const { ctx, protocol, signIn, states } = deps;
  const { config, keyring } = ctx;

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    },
  );

  const fail = (reply: FastifyReply, status: number, message: string) =>
    sendError(reply, config.orgName, status, message);
  const outcomeDeps = { org: config.orgName, protocol, signIn, states };

  // Errors here are pages for people, never problem+json; internals are never shown.
  app.setErrorHandler((err, request, reply) => {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) request.log.error({ err }, 'sign-in page failed');
    return fail(
      reply,
      Math.min(status, 500),
      status >= 500 ? 'Something went wrong on our side.' : 'The request was not valid.',
    );
  });

  /** The client's display name (a sign-in's state carries it from its first page on). */
  async function clientNameOf(view: InteractionView): Promise<string> {
    return deps.clients.get(view.clientId).then(
      (c) => c.name,
      () =>
        view.clientId === ACCOUNT_CLIENT_ID
          ? ACCOUNT_CLIENT_NAME
          : view.clientId === CONSOLE_CLIENT_ID
            ? CONSOLE_CLIENT_NAME
            : view.clientId,
    );
  }

  function pageContext(view: InteractionView, nonce: string, clientName: string): PageContext {
    return {
      org: config.orgName,
      helpdesk: config.helpdeskContact,
      nonce,
      uid: view.uid,
      clientName,
      csrf: (form) => csrfToken(keyring, view.uid, form),
      passkeys: signIn.passkeys.available,
    };
  }

  /** The sign-in's state: saved, or its first (a page view writes nothing; the first step saves it). */
  const stateOf = (view: InteractionView) =>
    states.current(view.uid, async () => newSignIn(view, await clientNameOf(view)));

  /** The browser's interaction, if it is the one the URL names. */
  async function interactionOf(request: FastifyRequest, reply: FastifyReply, uid: string) {
    const view = await protocol.interaction(request.raw, reply.raw);
    return view && view.uid === uid ? view : undefined;
  }

  app.get('/interaction/:uid', async (request, reply) => {
    const { uid } = params.parse(request.params);
    const view = await interactionOf(request, reply, uid);
    if (!view) return fail(reply, 400, EXPIRED);
    const nonce = newNonce();
    if (view.prompt === 'consent') {
      const pc = pageContext(view, nonce, await clientNameOf(view));
      return sendPage(reply, consentPage(pc, { scopes: view.missingScopes }), nonce, view);
    }
    const loaded = await stateOf(view);
    const pc = pageContext(view, nonce, loaded.state.clientName ?? (await clientNameOf(view)));
    const method = (request.query as Record<string, unknown>).method;
    return sendPage(reply, renderStep(pc, loaded.state, { method, loginHint: view.loginHint }), nonce, view);
  });

  app.post('/interaction/:uid/:action', async (request, reply) => {
    const { uid, action = '' } = params.parse(request.params);
    const body = (request.body ?? {}) as Record<string, string>;
    const view = await interactionOf(request, reply, uid);
    if (!view) return fail(reply, 400, EXPIRED);
    if (!csrfValid(keyring, uid, action, body.csrf)) {
      return fail(reply, 403, 'This form has expired. Reload the page and try again.');
    }
    const nonce = newNonce();
    const loaded = await stateOf(view);
    const pc = pageContext(view, nonce, loaded.state.clientName ?? (await clientNameOf(view)));

    if (action === 'abort') {
      const refused = loaded.state.step.name === 'refused';
      const person = loaded.state.person;
      if (!refused)
        await signIn.recordFailed(actorFor(request, loaded.state), person?.id ?? null, 'cancelled', {
          client: view.clientId,
        });
      const to = await protocol.finishError(
        request.raw,
        reply.raw,
        'access_denied',
        refused
          ? 'no second factor is enrolled and the enrolment period has ended'
          : 'the sign-in was cancelled',
      );
      await states.drop(uid, loaded);
      return reply.redirect(to, 303);
    }
    if (action === 'consent') {
      if (view.prompt !== 'consent') return fail(reply, 400, EXPIRED);
      const to = await protocol.grantConsent(request.raw, reply.raw);
      await signIn.recordConsent(
        { label: 'sso', sourceIp: request.ip },
        view.accountId ?? null,
        view.clientId,
        view.missingScopes,
      );
      return reply.redirect(to, 303);
    }

    const def = STEPS[action];
    if (!def) return fail(reply, 404, 'There is no such step.');
    // A form from an earlier step (back button, second tab): show where the sign-in stands instead.
    if (loaded.state.step.name !== def.step) return reply.redirect(`/interaction/${uid}`, 303);
    const actor = actorFor(request, loaded.state);
    const outcome = await def.run(signIn, { state: loaded.state, body, actor, pc, clientId: view.clientId });
    return applyOutcome(outcomeDeps, request, reply, { view, loaded, outcome, nonce, pc });
  });

  passkeyOptionsRoute(app, { ctx, protocol, signIn, states });
}
