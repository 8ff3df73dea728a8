import { parseArgs } from 'node:util';
import { DEMO_MONTHS_DAYS, runDemo } from '../demo/run-demo.js';
import { openRuntime } from '../runtime.js';
import { ManualClock } from '../shared/clock.js';
import { type Command, UsageError } from './command.js';

/**
 * `demo [--people N] [--seed S]`: fills an empty database with a demo organisation and six
 * months of history (see demo/run-demo.ts), then prints how to sign in. A database that holds
 * anything already is refused (exit 1): the demo never mixes with real data.
 */
export const demo: Command = async (io) => {
  const { values } = parseArgs({
    args: io.args,
    options: { people: { type: 'string' }, seed: { type: 'string' } },
    strict: true,
  });
  const people = Number(values.people ?? 2000);
  const seed = Number(values.seed ?? 1);
  if (!Number.isInteger(people) || people < 1 || people > 100_000) {
    throw new UsageError('--people must be a whole number from 1 to 100000');
  }
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be a whole number');
  const end = Date.now();
  // The simulated clock the services read: history is written as if it happened over months.
  const clock = new ManualClock(end - DEMO_MONTHS_DAYS * 86_400_000);
  const rt = await openRuntime(io.config, {
    logger: io.logger,
    clock,
    migrate: true,
    poolSize: 2,
    // A crash part-way leaves a non-empty database anyway: start over on a fresh one.
    relaxedDurability: true,
  });
  try {
    const started = performance.now();
    const result = await runDemo(rt.services, clock, { people, seed, end });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    io.out(
      `Demo organisation ready: ${result.people} people, ${result.events} simulated events (${seconds} s).`,
    );
    io.out(`Admin API token:   ${result.adminToken}`);
    io.out(
      `Dashboard:         curl -H "Authorization: Bearer ${result.adminToken}" ${io.config.publicUrl}/api/v1/metrics/dashboard`,
    );
    io.out(`Metrics:           ${io.config.publicUrl}/metrics`);
    io.out(`Admin console:     ${io.config.publicUrl}/console (sign in as the demo person)`);
    io.out(`Demo person:       ${result.demoUser.username} / ${result.demoUser.password}`);
    io.out(`Their TOTP secret: ${result.demoUser.totpSecret} (add it to an authenticator app)`);
    return 0;
  } finally {
    await rt.close();
  }
};
