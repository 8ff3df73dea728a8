import type { FastifyInstance } from 'fastify';
import { toProblem } from '../../api/problem.js';
import type { Context } from '../../context.js';
import type { Services } from '../../services.js';
import { CONSOLE_CALLBACK_PATH } from '../../sso/console-client.js';
import type { SsoSessionReader } from '../../sso/session-reader.js';
import { consoleAssetRoutes } from './console-assets.js';
import { CONSOLE_PAGES, type ConsolePageEntry, mayOpen } from './console-pages.js';
import { ConsoleRouter } from './console-router.js';
import { auditPages } from './pages/audit-page.js';
import { authenticatorPages } from './pages/authenticators-page.js';
import { clientPages } from './pages/clients-page.js';
import { dashboardPage } from './pages/dashboard-page.js';
import { errorPage } from './pages/error-page.js';
import { helpdeskPages } from './pages/helpdesk-page.js';
import { outboxPage } from './pages/outbox-page.js';
import { peoplePages } from './pages/people-page.js';
import { personPages } from './pages/person-page.js';
import { policyPages } from './pages/policies-page.js';

/**
 * The admin console at /console: server-rendered pages over the services, for people who sign
 * in through Portcullis itself (the first-party client `portcullis-console`, AAL2) and hold a
 * console role. Each page needs the same roles as the /api/v1 routes it stands for.
 */
export async function consoleRoutes(
  app: FastifyInstance,
  deps: { ctx: Context; services: Services; sessions: SsoSessionReader },
): Promise<void> {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  const router = new ConsoleRouter(app, deps.ctx, deps.services, deps.sessions);

  app.setErrorHandler((err, request, reply) => {
    const { status } = toProblem(err);
    if (status >= 500) request.log.error({ err }, 'console page failed');
    const message = status >= 500 ? 'Something went wrong on our side.' : 'The request was not valid.';
    return router.errorReply(reply, status, message);
  });

  await app.register(consoleAssetRoutes);

  app.get('/console', async (request, reply) => {
    const who = await router.who(request, reply);
    if (!who) return reply;
    const first = Object.values(CONSOLE_PAGES as Record<string, ConsolePageEntry>).find((p) =>
      mayOpen(p, who.me.roles),
    );
    if (first) return reply.redirect(first.path, 303);
    const message = 'You hold no console role. An administrator can grant you one.';
    return router.send(reply, who.view, errorPage(who.view, 403, 'Not allowed', message));
  });

  app.get(CONSOLE_CALLBACK_PATH, async (request, reply) => {
    if ((request.query as Record<string, unknown>).error) {
      return router.errorReply(reply, 401, 'You are not signed in. Open the console again to sign in.');
    }
    return reply.redirect('/console', 303);
  });

  dashboardPage(router);
  peoplePages(router);
  personPages(router);
  authenticatorPages(router);
  policyPages(router);
  helpdeskPages(router);
  auditPages(router);
  clientPages(router);
  if (!deps.ctx.config.smtpUrl) outboxPage(router);
}
