import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toProblem } from '../../api/problem.js';
import type { Actor } from '../../audit/audit-log.js';
import type { Context } from '../../context.js';
import type { ConsoleRole } from '../../identity/person-roles-service.js';
import type { Services } from '../../services.js';
import { AppError } from '../../shared/errors.js';
import { aalOfAcr } from '../../sso/acr-amr.js';
import { CONSOLE_CALLBACK_PATH, CONSOLE_CLIENT_ID } from '../../sso/console-client.js';
import { csrfToken, csrfValid } from '../../sso/interactions/csrf.js';
import { newNonce, securityHeaders } from '../../sso/pages/security-headers.js';
import type { SsoSessionReader } from '../../sso/session-reader.js';
import { signInUrl } from '../../sso/sign-in-redirect.js';
import type { ConsoleMe, ConsolePage, ConsoleView, PageMessages } from './console-view.js';
import { errorPage } from './pages/error-page.js';

/** The console needs a multi-factor sign-in (AAL2) whatever the person's policy says. */
export const CONSOLE_AAL = 2;

/** What a page renderer gets: the request, the signed-in person, and any message to show. */
export interface PageArgs {
  request: FastifyRequest;
  view: ConsoleView;
  me: ConsoleMe;
  messages: PageMessages;
}
export type Renderer = (a: PageArgs) => Promise<ConsolePage>;

/** What a form handler gets: the parsed body, the person as an audit actor. */
export interface ActionArgs {
  request: FastifyRequest;
  view: ConsoleView;
  me: ConsoleMe;
  actor: Actor;
  body: Record<string, string>;
}

/**
 * Routing for console pages: every page and form is reached only by a person signed in through
 * the provider at AAL2 or more who holds one of the route's roles; forms carry CSRF tokens
 * bound to the session; a refused form shows its page again with the reason.
 */
export class ConsoleRouter {
  constructor(
    readonly app: FastifyInstance,
    readonly ctx: Context,
    readonly services: Services,
    private readonly sessions: SsoSessionReader,
  ) {}

  private view(uid: string | undefined, me: ConsoleMe | undefined, nonce: string): ConsoleView {
    return {
      org: this.ctx.config.orgName,
      nonce,
      csrf: (form) => csrfToken(this.ctx.keyring, `console:${uid ?? ''}`, form),
      me,
      devOutbox: !this.ctx.config.smtpUrl,
    };
  }

  send(reply: FastifyReply, view: ConsoleView, page: ConsolePage) {
    return reply
      .headers(securityHeaders(view.nonce))
      .code(page.status)
      .type('text/html; charset=utf-8')
      .send(page.html);
  }

  /** Sends the browser to sign in for the console (again, when the session is below AAL2). */
  signIn(reply: FastifyReply, reauth = false) {
    const redirectUri = `${this.ctx.config.publicUrl}${CONSOLE_CALLBACK_PATH}`;
    return reply.redirect(
      signInUrl({ clientId: CONSOLE_CLIENT_ID, redirectUri, aal: CONSOLE_AAL, reauth }),
      303,
    );
  }

  /** The signed-in person with their roles; `undefined` with the reply sent when there is none. */
  async who(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ uid: string; me: ConsoleMe; view: ConsoleView } | undefined> {
    const session = await this.sessions.read(request.raw, reply.raw);
    if (!session) {
      await this.signIn(reply);
      return undefined;
    }
    const person = await this.services.account.person(session);
    if (!person || aalOfAcr(session.acr) < CONSOLE_AAL) {
      await this.signIn(reply, true);
      return undefined;
    }
    const roles = await this.services.personRoles.of(person.id);
    const me = { id: person.id, username: person.username, roles };
    return { uid: session.uid, me, view: this.view(session.uid, me, newNonce()) };
  }

  /** The signed-in person if they hold one of `roles`; otherwise the reply is sent (sign in, or 403). */
  async allowed(request: FastifyRequest, reply: FastifyReply, roles: readonly ConsoleRole[]) {
    const who = await this.who(request, reply);
    if (!who) return undefined;
    if (!roles.some((r) => who.me.roles.includes(r))) {
      const message =
        who.me.roles.length === 0
          ? 'You hold no console role. An administrator can grant you one.'
          : 'Your console roles do not include this page.';
      await this.send(reply, who.view, errorPage(who.view, 403, 'Not allowed', message));
      return undefined;
    }
    return who;
  }

  /** A GET page. */
  page(path: string, roles: readonly ConsoleRole[], render: Renderer): void {
    this.app.get(path, async (request, reply) => {
      const who = await this.allowed(request, reply, roles);
      if (!who) return reply;
      return this.send(reply, who.view, await render({ request, view: who.view, me: who.me, messages: {} }));
    });
  }

  /**
   * A form: POST → service → redirect (303) to what `run` returns (or, where a secret is shown
   * once, the page it returns). A refused change (4xx from
   * the service or bad input) shows `back` again with the reason and that status.
   */
  action(
    path: string,
    roles: readonly ConsoleRole[],
    form: string,
    run: (a: ActionArgs) => Promise<string | ConsolePage>,
    back: Renderer,
    opts: { bodyLimit?: number } = {},
  ): void {
    this.app.post(path, opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}, async (request, reply) => {
      const who = await this.allowed(request, reply, roles);
      if (!who) return reply;
      const body = (request.body ?? {}) as Record<string, string>;
      const args = { request, view: who.view, me: who.me };
      if (!csrfValid(this.ctx.keyring, `console:${who.uid}`, form, body.csrf)) {
        const error = 'This form has expired. Reload the page and try again.';
        return this.send(reply, who.view, await back({ ...args, messages: { error, status: 403 } }));
      }
      try {
        const actor = { label: `user:${who.me.username}`, sourceIp: request.ip };
        const done = await run({ request, me: who.me, actor, body, view: who.view });
        // A page instead of a redirect only where a secret is shown once (never cached: no-store).
        return typeof done === 'string' ? reply.redirect(done, 303) : this.send(reply, who.view, done);
      } catch (err) {
        const problem = toProblem(err);
        if (problem.status >= 500) throw err;
        return this.send(
          reply,
          who.view,
          await back({ ...args, messages: { error: problem.detail, status: problem.status } }),
        );
      }
    });
  }

  /** The error page for a request that failed outside a page (bad URL, unexpected failure). */
  errorReply(reply: FastifyReply, status: number, message: string) {
    const view = this.view(undefined, undefined, newNonce());
    return this.send(reply, view, errorPage(view, status, 'Something is not right', message));
  }
}

/** The form fields of a request body, as strings (a missing field is ''). */
export function field(body: Record<string, string>, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v.trim() : '';
}

/**
 * The fields a form cannot do without, named with the message that refuses the form (400) when one
 * is missing or blank; checked in the order given.
 */
export function requiredFields<F extends string>(
  body: Record<string, string>,
  required: Record<F, string>,
): Record<F, string> {
  const out = {} as Record<F, string>;
  for (const [name, message] of Object.entries(required) as [F, string][]) {
    out[name] = field(body, name);
    if (!out[name]) throw new AppError('BAD_REQUEST', message);
  }
  return out;
}
