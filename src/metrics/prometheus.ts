import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { constantTimeEqual } from '../crypto/constant-time.js';
import { AppError } from '../shared/errors.js';
import { registerFrictionGauges } from './friction-gauges.js';
import type { MetricsService } from './metrics-service.js';

export interface PrometheusOptions {
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (PORTCULLIS_METRICS_TOKEN). */
  token?: string | undefined;
}

/**
 * `GET /metrics` in the Prometheus text format, over a registry of this app's own (never the
 * global default: tests build many apps in one process): process metrics, the HTTP request
 * histogram and the friction gauges. Call before the routes are registered so the hook sees them.
 */
export function registerPrometheus(
  app: FastifyInstance,
  metrics: MetricsService,
  opts: PrometheusOptions = {},
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'portcullis_' });
  const requests = new Histogram({
    name: 'portcullis_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  registerFrictionGauges(registry, () => metrics.snapshot());

  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL: ids in paths would make a series per person.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/metrics', async (request, reply) => {
    if (opts.token !== undefined && !bearerMatches(request.headers.authorization, opts.token)) {
      throw new AppError('UNAUTHENTICATED', 'a valid metrics bearer token is required');
    }
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
  return registry;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match !== null && constantTimeEqual(match[1]!, token);
}
