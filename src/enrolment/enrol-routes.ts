import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { nameOf } from '../lifecycle/notices.js';
import { throttledMessage } from '../sso/pages/page-parts.js';
import { newNonce, securityHeaders } from '../sso/pages/security-headers.js';
import {
  confirmAgainPage,
  donePage,
  type EnrolPage,
  type EnrolPageContext,
  type ExtraMethod,
  failedPage,
  landingPage,
  qrPage,
  refusedPage,
} from './enrol-pages.js';
import type { InvitationService, UsableLink } from './invitation-service.js';

const params = z.object({ token: z.string().min(1).max(200) });
const WRONG_CODE = 'That code did not work. Check the code and try again.';

/**
 * The invitation link's pages: `GET /enroll/{token}` (404 unknown; 410 used, expired or no
 * longer needed; 409 when the person already has a factor), `POST …/totp` (the QR code and
 * key, once), `POST …/confirm` (the first code; then the recovery codes, once). The token in
 * the path is the credential, so it also stands for a CSRF token; pages send no referrer.
 */
export async function enrolRoutes(
  app: FastifyInstance,
  ctx: Context,
  invitations: InvitationService,
  extra: readonly ExtraMethod[] = [],
): Promise<void> {
  const { config } = ctx;
  // The passkey ceremony joins the app when passkeys can work here (CONTRACT.md: its name says "passkey").
  const methods: readonly ExtraMethod[] = invitations.passkeys
    ? [{ label: 'Set up a passkey', action: 'passkey', passkeyOptions: 'passkey-options' }, ...extra]
    : extra;
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    // A passkey's registration answer (JSON in a form field) needs more room than a code.
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  const pageContext = (token: string): EnrolPageContext => ({
    org: config.orgName,
    helpdesk: config.helpdeskContact,
    nonce: newNonce(),
    base: `/enroll/${encodeURIComponent(token)}`,
  });
  const send = (reply: FastifyReply, pc: EnrolPageContext, p: EnrolPage) =>
    reply.headers(securityHeaders(pc.nonce)).code(p.status).type('text/html; charset=utf-8').send(p.html);
  const actor = (request: FastifyRequest, link?: UsableLink): Actor => ({
    label: link ? `user:${link.person.username}` : 'enrolment-link',
    sourceIp: request.ip,
  });
  const tokenOf = (request: FastifyRequest) => params.parse(request.params).token;

  // Pages for people: never problem+json, never internals.
  app.setErrorHandler((err, request, reply) => {
    const status = Math.min((err as { statusCode?: number }).statusCode ?? 500, 500);
    if (status >= 500) request.log.error({ err }, 'enrolment page failed');
    const pc = pageContext('invalid');
    return send(reply, pc, failedPage(pc, status));
  });

  const landing = (pc: EnrolPageContext, link: UsableLink, error?: string) =>
    landingPage(pc, {
      name: nameOf(link.person),
      deadline: link.requirement.deadline,
      phishingResistant: link.requirement.phishing_resistant === 1,
      extra: methods,
      ...(error ? { error } : {}),
    });

  app.get('/enroll/:token', async (request, reply) => {
    const token = tokenOf(request);
    const pc = pageContext(token);
    const checked = await invitations.check(token);
    if (!checked.ok) return send(reply, pc, refusedPage(pc, checked.why));
    return send(reply, pc, landing(pc, checked.link));
  });

  // The passkey ceremony: its options (JSON for the page's script), then the browser's answer.
  app.post('/enroll/:token/passkey-options', async (request, reply) => {
    const r = await invitations.passkeyOptions(tokenOf(request));
    if (!r.ok) return reply.code(r.why === 'unknown' ? 404 : 410).send({ error: 'this link cannot be used' });
    return reply.send(r.start);
  });

  app.post('/enroll/:token/passkey', async (request, reply) => {
    const token = tokenOf(request);
    const pc = pageContext(token);
    const checked = await invitations.check(token);
    if (!checked.ok) return send(reply, pc, refusedPage(pc, checked.why));
    const body = (request.body ?? {}) as Record<string, unknown>;
    const r = await invitations.registerPasskey(actor(request, checked.link), token, body);
    switch (r.kind) {
      case 'enrolled':
        return send(reply, pc, donePage(pc, { ...r, passkey: true }));
      case 'passkey_failed': {
        const page = landing(
          pc,
          checked.link,
          'The passkey was not added. Try again, or set up an authenticator app instead.',
        );
        return send(reply, pc, { ...page, status: 400 });
      }
      case 'refused':
        return send(reply, pc, refusedPage(pc, r.why));
    }
  });

  app.post('/enroll/:token/totp', async (request, reply) => {
    const token = tokenOf(request);
    const pc = pageContext(token);
    const checked = await invitations.check(token);
    if (!checked.ok) return send(reply, pc, refusedPage(pc, checked.why));
    const started = await invitations.startTotp(actor(request, checked.link), token);
    if (!started.ok) return send(reply, pc, refusedPage(pc, started.why));
    return send(reply, pc, qrPage(pc, started));
  });

  app.post('/enroll/:token/confirm', async (request, reply) => {
    const token = tokenOf(request);
    const pc = pageContext(token);
    const code = String((request.body as Record<string, unknown> | undefined)?.code ?? '').replace(
      /[\s-]/g,
      '',
    );
    const checked = await invitations.check(token);
    if (!checked.ok) return send(reply, pc, refusedPage(pc, checked.why));
    if (!/^[0-9]{6,10}$/.test(code)) {
      return send(
        reply,
        pc,
        confirmAgainPage(pc, { error: 'Enter the code your app shows (digits only).', status: 400 }),
      );
    }
    const r = await invitations.confirmTotp(actor(request, checked.link), token, code);
    switch (r.kind) {
      case 'enrolled':
        return send(reply, pc, donePage(pc, r));
      case 'wrong_code':
        return send(reply, pc, confirmAgainPage(pc, { error: WRONG_CODE, status: 200 }));
      case 'throttled':
        reply.header('retry-after', String(r.retryAfterSeconds));
        return send(
          reply,
          pc,
          confirmAgainPage(pc, { error: throttledMessage(r.retryAfterSeconds), status: 429 }),
        );
      case 'not_started':
        return send(reply, pc, confirmAgainPage(pc, { error: 'Start by setting up the app.', status: 400 }));
      case 'refused':
        return send(reply, pc, refusedPage(pc, r.why));
    }
  });
}
