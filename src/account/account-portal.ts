import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { isAppError } from '../shared/errors.js';
import { ACCOUNT_CALLBACK_PATH, ACCOUNT_CLIENT_ID } from '../sso/account-client.js';
import type { Aal } from '../sso/acr-amr.js';
import type { ClientService } from '../sso/client-service.js';
import { csrfToken, csrfValid } from '../sso/interactions/csrf.js';
import { newNonce, securityHeaders } from '../sso/pages/security-headers.js';
import type { SsoSession, SsoSessionReader } from '../sso/session-reader.js';
import { signInUrl } from '../sso/sign-in-redirect.js';
import type { UserRow } from '../store/schema.js';
import type { AccountService } from './account-service.js';
import type { AccountPage, AccountPageContext } from './pages/account-frame.js';
import { accountPage } from './pages/account-page.js';
import { accountErrorPage, confirmFirstPage } from './pages/setup-pages.js';

export interface AccountRouteDeps {
  ctx: Context;
  account: AccountService;
  clients: ClientService;
  sessions: SsoSessionReader;
  passkeys: boolean;
}

/** What a POST handler of the portal is given: the signed-in session, its actor and its form. */
export interface PortalPost {
  request: FastifyRequest;
  reply: FastifyReply;
  session: SsoSession;
  actor: Actor;
  body: Record<string, string>;
  pc: AccountPageContext;
  nonce: string;
}

/** The portal's request plumbing, shared by its page routes and its factor routes. */
export interface AccountPortal {
  /** What pages need: the organisation's name, the nonce, and CSRF tokens bound to the session. */
  contextFor(session: SsoSession | undefined, nonce: string): AccountPageContext;
  /** Sends a rendered page with the security headers for its nonce. */
  send(reply: FastifyReply, nonce: string, page: AccountPage): FastifyReply;
  /** Sends the browser to sign in through the provider (again, with `reauth`, at `aal`). */
  signIn(reply: FastifyReply, opts?: { reauth?: boolean; aal?: Aal }): FastifyReply;
  /** The signed-in person, or undefined (the caller redirects to sign in). */
  signedIn(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ session: SsoSession; person: UserRow } | undefined>;
  /** The overview page (factors, sign-in history), optionally with an error. */
  overview(
    request: FastifyRequest,
    reply: FastifyReply,
    extra?: { error?: string; status?: number },
  ): Promise<FastifyReply>;
  /** Registers a POST of the portal: signed in, CSRF-checked; REAUTH_REQUIRED shows the confirm page. */
  post(path: string, form: string, run: (a: PortalPost) => Promise<unknown>): void;
}

const NOTICES: Record<string, string> = {
  added: 'Done: the new factor works and was added to your account. We sent you an e-mail about it.',
  removed: 'Done: the factor was removed. We sent you an e-mail about it.',
  renamed: 'Done: the factor was renamed.',
  verified: 'Thank you. For the next few minutes you can change your sign-in factors.',
};

/**
 * Sets up the portal's plumbing on `app` (form parsing, its error page) and returns the helpers
 * its routes share. Every form carries a CSRF token bound to the session.
 */
export function accountPortal(app: FastifyInstance, deps: AccountRouteDeps): AccountPortal {
  const { ctx, account, sessions } = deps;
  const { keyring, config } = ctx;

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  const contextFor = (session: SsoSession | undefined, nonce: string): AccountPageContext => ({
    org: config.orgName,
    nonce,
    csrf: (form) => csrfToken(keyring, `account:${session?.uid ?? ''}`, form),
  });
  const send = (reply: FastifyReply, nonce: string, page: AccountPage) =>
    reply.headers(securityHeaders(nonce)).code(page.status).type('text/html; charset=utf-8').send(page.html);
  const actorOf = (request: FastifyRequest, username: string): Actor => ({
    label: `user:${username}`,
    sourceIp: request.ip,
  });

  app.setErrorHandler((err, request, reply) => {
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) request.log.error({ err }, 'account page failed');
    const nonce = newNonce();
    const message = status >= 500 ? 'Something went wrong on our side.' : 'The request was not valid.';
    return send(reply, nonce, accountErrorPage(contextFor(undefined, nonce), Math.min(status, 500), message));
  });

  /** Sends the browser to sign in through the provider (again, with `reauth`, at `aal`). */
  function signIn(reply: FastifyReply, opts: { reauth?: boolean; aal?: Aal } = {}) {
    const redirectUri = `${config.publicUrl}${ACCOUNT_CALLBACK_PATH}`;
    return reply.redirect(signInUrl({ clientId: ACCOUNT_CLIENT_ID, redirectUri, ...opts }), 303);
  }

  /** The signed-in person, or a redirect to sign in. */
  async function signedIn(request: FastifyRequest, reply: FastifyReply) {
    const session = await sessions.read(request.raw, reply.raw);
    const person = session ? await account.person(session) : undefined;
    return session && person ? { session, person } : undefined;
  }

  async function overview(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { error?: string; status?: number } = {},
  ) {
    const me = await signedIn(request, reply);
    if (!me) return signIn(reply);
    const nonce = newNonce();
    const [factors, records, fresh] = await Promise.all([
      account.factors(me.person.id),
      account.recentSignIns(me.person.id),
      account.fresh(me.session),
    ]);
    const names = new Map<string, string>();
    for (const r of records) {
      if (!r.client || names.has(r.client)) continue;
      const name =
        r.client === ACCOUNT_CLIENT_ID
          ? 'Account settings'
          : await deps.clients.get(r.client).then(
              (c) => c.name,
              () => r.client!,
            );
      names.set(r.client, name);
    }
    const notice = NOTICES[String((request.query as Record<string, unknown>).done ?? '')];
    const page = accountPage(contextFor(me.session, nonce), {
      username: me.person.username,
      factors,
      signIns: records.map((r) => ({ ...r, clientName: r.client ? (names.get(r.client) ?? r.client) : '—' })),
      fresh,
      passkeys: deps.passkeys,
      notice,
      ...extra,
    });
    return send(reply, nonce, page);
  }

  /** A POST of the portal: signed in, CSRF-checked; REAUTH_REQUIRED shows the confirm page. */
  function post(path: string, form: string, run: (a: PortalPost) => Promise<unknown>) {
    app.post(path, async (request, reply) => {
      const me = await signedIn(request, reply);
      if (!me) return signIn(reply);
      const body = (request.body ?? {}) as Record<string, string>;
      const nonce = newNonce();
      const pc = contextFor(me.session, nonce);
      if (!csrfValid(keyring, `account:${me.session.uid}`, form, body.csrf)) {
        return send(
          reply,
          nonce,
          accountErrorPage(pc, 403, 'This form has expired. Reload the page and try again.'),
        );
      }
      try {
        return await run({
          request,
          reply,
          session: me.session,
          actor: actorOf(request, me.person.username),
          body,
          pc,
          nonce,
        });
      } catch (err) {
        if (isAppError(err, 'REAUTH_REQUIRED')) return send(reply, nonce, confirmFirstPage(pc));
        if (isAppError(err) && err.status < 500)
          return overview(request, reply, { error: err.message, status: err.status });
        throw err;
      }
    });
  }

  return { contextFor, send, signIn, signedIn, overview, post };
}
