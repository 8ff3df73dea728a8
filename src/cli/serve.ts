import { buildApp } from '../app.js';
import { openRuntime } from '../runtime.js';
import type { Command } from './command.js';

/** `serve`: applies migrations, prints the bootstrap link on an empty database, serves until a signal. */
export const serve: Command = async ({ config, logger }) => {
  const rt = await openRuntime(config, { logger, migrate: true });
  const app = await buildApp(rt);
  const link = await rt.services.bootstrap.mintIfEmpty();
  await app.listen({ port: config.port, host: config.host });
  // Jobs (mail, webhooks, sweeps) run in every instance; the database hands each job to one worker.
  const worker = rt.services.jobs.worker();
  worker.start();
  // Reminders are a self-renewing job chain; this restarts it if a run ever gave up.
  await rt.services.lifecycle.scheduleSweep();
  // Housekeeping (retention, expiry) is an hourly self-renewing job chain too.
  await rt.services.housekeeping.schedule();
  // So is the compaction of the metrics tallies, every minute.
  await rt.services.metricsCompaction.schedule();
  if (link) {
    // One plain line, easy to find among JSON logs; before "serving", so whoever waits for that has it.
    process.stdout.write(
      `Bootstrap the first administrator (single use, 24 h): ${config.publicUrl}/bootstrap/${link}\n`,
    );
  }
  logger.info(
    { url: `http://${config.host}:${config.port}`, database: config.databaseUrl.split(':')[0] },
    'serving',
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down: finishing requests in flight');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // Graceful: stop accepting, let in-flight requests and queued commits finish, then close the pool.
  await app.close();
  await worker.stop(); // drains the jobs in flight before the pool closes
  await rt.close();
  return 0;
};
