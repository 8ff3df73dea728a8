import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { ManualClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { createMigratedTestDatabase, type Dialect, type TestDatabase } from './databases.js';

export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestRuntime extends Runtime {
  db: TestDatabase;
  clock: ManualClock;
  config: Config;
  /** Builds (once) the HTTP app over this runtime. */
  app(): Promise<FastifyInstance>;
  /** An API bearer token of the role. */
  token(role: string, name?: string): Promise<string>;
  /** Closes the app and runtime and drops the database. */
  dispose(): Promise<void>;
}

/** A runtime over a fresh (already migrated) database, with a manual clock and silent logs. */
export async function createTestRuntime(
  dialect: Dialect,
  opts: { env?: Record<string, string>; db?: TestDatabase; clock?: ManualClock; logger?: Logger } = {},
): Promise<TestRuntime> {
  const db = opts.db ?? (await createMigratedTestDatabase(dialect));
  const config = loadConfig({
    DATABASE_URL: db.url,
    PORTCULLIS_MASTER_KEY: TEST_MASTER_KEY,
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 10, 28, 12, 0, 0));
  const rt = await openRuntime(config, {
    logger: opts.logger ?? createLogger('silent'),
    clock,
    migrate: true,
  });
  let app: FastifyInstance | undefined;
  return {
    ...rt,
    db,
    clock,
    config,
    async app() {
      app ??= await buildApp(rt);
      return app;
    },
    async token(role, name = `${role}-test`) {
      return (await rt.services.tokens.create({ label: 'test' }, role, name)).token;
    },
    async dispose() {
      await app?.close();
      await rt.close();
      if (!opts.db) await db.drop();
    },
  };
}

/** A request to /api/v1 on the runtime's app with a bearer token (the API tests' `api` helper). */
export async function apiRequest(
  rt: TestRuntime,
  token: string,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  payload?: object,
) {
  return (await rt.app()).inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
    ...(payload ? { payload } : {}),
  });
}

/** The mail queued to one address, oldest first. */
export async function mailTo(rt: TestRuntime, address: string) {
  return (await rt.services.outbox.list(500)).filter((m) => m.to === address).reverse();
}
