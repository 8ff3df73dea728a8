import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { CONSOLE_SCRIPT } from './console-script.js';

interface Asset {
  body: Buffer;
  path: string;
}

/** An asset under a content-hashed path: a new version is a new URL, so browsers keep it for a year. */
function hashed(name: string, ext: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { body, path: `/assets/${name}.${hash}.${ext}` };
}

/** Chart.js's UMD bundle, read once from node_modules (no CDN); it defines `window.Chart`. */
function chartJs(): Asset {
  const require = createRequire(import.meta.url);
  // The package exports its module entry points; the UMD bundle sits beside them in dist/.
  const dist = dirname(require.resolve('chart.js'));
  return hashed('chart', 'js', readFileSync(join(dist, 'chart.umd.min.js')));
}

const chart = chartJs();
const script = hashed('console', 'js', Buffer.from(CONSOLE_SCRIPT));

/** Where console pages load Chart.js and their own script from. */
export const CHART_JS_PATH = chart.path;
export const CONSOLE_SCRIPT_PATH = script.path;

/** Serves the console's scripts, immutable under their content-hashed paths. */
export async function consoleAssetRoutes(app: FastifyInstance): Promise<void> {
  for (const asset of [chart, script]) {
    app.get(asset.path, async (_request, reply) =>
      reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .type('text/javascript; charset=utf-8')
        .send(asset.body),
    );
  }
}
