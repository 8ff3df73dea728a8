import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../audit/audit-log.js';
import { errorPage } from '../pages/error-page.js';
import type { RenderedPage } from '../pages/page-parts.js';
import { newNonce, securityHeaders } from '../pages/security-headers.js';
import type { InteractionView } from '../protocol.js';
import type { SignInState } from './sign-in-flow.js';

/** What every sign-in response is sent with: the page, its CSP nonce, and the headers. */
export function sendPage(reply: FastifyReply, page: RenderedPage, nonce: string, view?: InteractionView) {
  return reply
    .headers(securityHeaders(nonce, view?.redirectUri ? [view.redirectUri] : []))
    .code(page.status)
    .type('text/html; charset=utf-8')
    .send(page.html);
}

/** An error page for a sign-in that cannot go on. */
export function sendError(reply: FastifyReply, org: string, status: number, message: string) {
  const nonce = newNonce();
  return sendPage(reply, errorPage({ org, nonce }, { status, message }), nonce);
}

/** Who acts at this point of a sign-in: the person once their password was right, else the anonymous browser. */
export function actorFor(request: FastifyRequest, state?: SignInState | null): Actor {
  return { label: state?.person ? `user:${state.person.username}` : 'sso', sourceIp: request.ip };
}
