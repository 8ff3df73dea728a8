import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { constantTimeEqual } from '../crypto/constant-time.js';
import { passwordHashing } from '../crypto/passwords.js';
import { AppError } from '../shared/errors.js';
import { registerFrictionGauges } from './friction-gauges.js';
import type { MetricsService } from './metrics-service.js';
import type { WorkloadCounts } from './workload-counts.js';

export interface PrometheusOptions {
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (PORTCULLIS_METRICS_TOKEN). */
  token?: string | undefined;
  /** Open work beside the snapshot: requirements, exceptions, recovery requests (gauges below). */
  workload?: () => Promise<WorkloadCounts>;
}

/** A gauge set from `read` on every scrape; labels gone since the last one are dropped. */
function workloadGauge(
  registry: Registry,
  counts: () => Promise<WorkloadCounts>,
  name: string,
  help: string,
  label: string,
  read: (c: WorkloadCounts) => Record<string, number>,
): void {
  new Gauge({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    async collect() {
      const values = read(await counts());
      this.reset();
      for (const [k, v] of Object.entries(values)) this.set({ [label]: k }, v);
    },
  });
}

/**
 * The workload gauges; each scrape reads the counts once (the three gauges share one promise).
 * The help-desk-assisted share of recoveries is `portcullis_resets_helpdesk_assisted_ratio`.
 */
function registerWorkloadGauges(registry: Registry, read: () => Promise<WorkloadCounts>): void {
  let pending: Promise<WorkloadCounts> | undefined;
  const counts = () => {
    pending ??= read().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  workloadGauge(
    registry,
    counts,
    'portcullis_enrolment_requirements',
    'Unmet enrolment requirements: open (before the deadline) and overdue.',
    'status',
    (c) => c.requirements,
  );
  workloadGauge(
    registry,
    counts,
    'portcullis_policy_exceptions',
    'Policy exceptions: active now, expiring within 7 days, overdue (expired, not yet swept).',
    'status',
    (c) => c.exceptions,
  );
  workloadGauge(
    registry,
    counts,
    'portcullis_recovery_requests',
    'Help-desk recovery requests by state (an open request past its deadline counts as expired).',
    'state',
    (c) => c.recoveryRequests,
  );
}

/** The HTTP request histogram's name (routes served outside Fastify observe it themselves). */
export const HTTP_REQUESTS = 'portcullis_http_request_duration_seconds';

/**
 * `GET /metrics` in the Prometheus text format, over a registry of this app's own (never the
 * global default: tests build many apps in one process): process metrics, the argon2id counter,
 * the HTTP request histogram and the friction gauges. Call before the routes are registered so
 * the hook sees them.
 */
export function registerPrometheus(
  app: FastifyInstance,
  metrics: MetricsService,
  opts: PrometheusOptions = {},
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'portcullis_' });
  const requests = new Histogram({
    name: HTTP_REQUESTS,
    help: 'HTTP request duration by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Counter({
    name: 'portcullis_password_hashing_total',
    help: 'argon2id computations started by this process: hash (a password set) and verify (a sign-in or check).',
    labelNames: ['op'],
    registers: [registry],
    collect() {
      const work = passwordHashing();
      this.reset();
      this.inc({ op: 'hash' }, work.hash);
      this.inc({ op: 'verify' }, work.verify);
    },
  });
  registerFrictionGauges(registry, () => metrics.snapshot());
  if (opts.workload) registerWorkloadGauges(registry, opts.workload);

  // Takes `done` rather than being async: no promise per request for a synchronous observation.
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: ids in paths would make a series per person.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
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
