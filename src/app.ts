import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { registerApiAuth } from './api/auth.js';
import { sendProblem, toProblem } from './api/problem.js';
import { apiRoutes } from './api/routes.js';
import type { Context } from './context.js';
import { enrolRoutes } from './enrolment/enrol-routes.js';
import type { Histogram } from 'prom-client';
import { HTTP_REQUESTS, registerPrometheus } from './metrics/prometheus.js';
import { workloadCounts } from './metrics/workload-counts.js';
import { sendScimError, toScimError } from './scim/scim-errors.js';
import { scimRoutes } from './scim/scim-routes.js';
import type { Services } from './services.js';
import { AppError } from './shared/errors.js';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './shared/json-depth.js';
import { ssoRoutes } from './sso/sso-routes.js';
import { bootstrapRoutes } from './web/bootstrap-routes.js';

export interface AppDeps {
  ctx: Context;
  services: Services;
}

/** Largest request body any route accepts; larger ones are refused before parsing (413). */
const BODY_LIMIT = 64 * 1024;

/** The HTTP app with every face. It never listens by itself (tests use inject or listen(0)). */
export async function buildApp({ ctx, services }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    // Per-request info lines cost throughput; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // Huge bodies are refused before parsing (bodyLimit); this caps path parameters too.
    routerOptions: { maxParamLength: 200 },
    // Errors raised before routing (oversized params, bad URLs) get the same problem+json.
    frameworkErrors: (err, request, reply) => {
      // /scim/v2 answers in the SCIM error schema even before routing (CONTRACT.md).
      if (request.url.startsWith('/scim/v2/')) sendScimError(reply, toScimError(err));
      else sendProblem(reply, toProblem(err));
    },
  });

  // JSON with NUL characters is refused up front: PostgreSQL cannot store them in text, and no
  // field of ours has a use for them (without this, a NUL reached the database as a 500).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.includes('\u0000') || /\\u0000/i.test(text)) {
      done(new AppError('BAD_REQUEST', 'the body must not contain NUL characters'), undefined);
      return;
    }
    if (jsonNestsDeeperThan(text)) {
      done(new AppError('BAD_REQUEST', `the body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    parseJson(request, text, done);
  });

  // The same for NUL in the path or query (ids, filters, searches).
  // (Hooks without I/O take `done`: an async hook costs a promise on every request.)
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.url.includes('%00')) {
      done(new AppError('BAD_REQUEST', 'the URL must not contain NUL characters'));
    } else done();
  });

  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err);
    if (problem.status >= 500) request.log.error({ err }, 'request failed');
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      type: 'about:blank',
      title: 'NOT_FOUND',
      status: 404,
      detail: `no route ${request.method} ${request.url.split('?')[0]}`,
      code: 'NOT_FOUND',
    }),
  );

  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    // Pages and API answers are never cached; a static asset may say otherwise (passkey bundle).
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  app.get('/healthz', async (_request, reply) => {
    try {
      await services.health.check();
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });

  // Before the routes, so its request histogram sees every one of them.
  const registry = registerPrometheus(app, services.metrics, {
    token: ctx.config.metricsToken,
    workload: workloadCounts(ctx, services.policies.exceptions),
  });
  const requests = registry.getSingleMetric(HTTP_REQUESTS) as Histogram;
  registerApiAuth(app, services.tokens);
  await app.register(async (api) => apiRoutes(api, services), { prefix: '/api/v1' });
  await app.register(async (s) => scimRoutes(s, services), { prefix: '/scim/v2' });
  await app.register(async (web) => bootstrapRoutes(web, services.bootstrap, ctx.config.orgName));
  await app.register(async (sso) =>
    ssoRoutes(sso, ctx, services, (labels, seconds) => requests.observe(labels, seconds)),
  );
  await app.register(async (enrol) => enrolRoutes(enrol, ctx, services.invitations));
  return app;
}
