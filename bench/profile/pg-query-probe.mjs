// Preloaded into a benchmark server (NODE_OPTIONS=--import=…/pg-query-probe.mjs, PG_PROBE_OUT=file):
// counts every query the pg driver sends, by SQL text, and writes the counts to the file on
// SIGUSR2. Plain JS so it loads before tsx. Measurement only; the server's behaviour is unchanged.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const out = process.env.PG_PROBE_OUT;
if (out) {
  const require = createRequire(`${process.cwd()}/package.json`);
  const pg = require('pg');
  const counts = new Map();
  let total = 0;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (config, values, callback) {
    total++;
    const text = typeof config === 'string' ? config : config?.text;
    if (text) {
      const key = text.replace(/\s+/g, ' ').slice(0, 160);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return query.call(this, config, values, callback);
  };
  process.on('SIGUSR2', () => {
    writeFileSync(out, JSON.stringify({ total, counts: [...counts] }));
  });
}
