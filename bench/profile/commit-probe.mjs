// Preloaded into a benchmark server (NODE_OPTIONS=--import=…/commit-probe.mjs, COMMIT_PROBE_OUT=file):
// times every SQLite statement run on the main thread and, per group commit, counts its units
// (savepoints) and the time its COMMIT (the fsync of synchronous=FULL) held the event loop.
// Plain JS so it loads before tsx. Measurement only; the server's behaviour is unchanged.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const out = process.env.COMMIT_PROBE_OUT;
if (out) {
  const require = createRequire(`${process.cwd()}/package.json`);
  const Database = require('better-sqlite3');
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1'));
  probe.close();
  const batches = []; // [units, commitMs, spanMs]
  let units = -1;
  let began = 0;
  let commitMs = 0;
  let statements = 0;
  let statementMs = 0;
  const run = proto.run;
  const all = proto.all;
  const timed = (fn) =>
    function (...args) {
      const t0 = performance.now();
      try {
        return fn.apply(this, args);
      } finally {
        const dt = performance.now() - t0;
        statements++;
        statementMs += dt;
        const sql = this.source;
        if (sql === 'begin immediate') {
          units = 0;
          began = t0;
        } else if (sql === 'savepoint gc_unit' && units >= 0) units++;
        else if (sql === 'commit') {
          commitMs += dt;
          if (units > 0) batches.push([units, dt, t0 + dt - began]);
          units = -1;
        }
      }
    };
  proto.run = timed(run);
  proto.all = timed(all);
  // SIGUSR2 starts the measured window: what came before (seeding, warm-up) is dropped.
  process.on('SIGUSR2', () => {
    batches.length = 0;
    commitMs = 0;
    statements = 0;
    statementMs = 0;
  });
  process.on('exit', () => {
    writeFileSync(out, JSON.stringify({ batches, commitMs, statements, statementMs }));
  });
}
