import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The @simplewebauthn/browser bundle, read once from node_modules (no CDN). */
function loadBundle(): { body: Buffer; path: string } {
  const require = createRequire(import.meta.url);
  // The package exports only its entry points; the UMD bundle sits beside them in the package.
  const root = dirname(dirname(require.resolve('@simplewebauthn/browser')));
  const body = readFileSync(join(root, 'dist', 'bundle', 'index.umd.min.js'));
  // The content hash in the path lets browsers keep it for a year: a new version is a new URL.
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { body, path: `/assets/simplewebauthn-browser.${hash}.js` };
}

const bundle = loadBundle();

/** Where pages load the WebAuthn browser helper from (defines `window.SimpleWebAuthnBrowser`). */
export const PASSKEY_BUNDLE_PATH = bundle.path;

/** Serves the WebAuthn browser bundle, immutable under its content-hashed path. */
export async function passkeyAssetRoutes(app: FastifyInstance): Promise<void> {
  app.get(PASSKEY_BUNDLE_PATH, async (_request, reply) =>
    reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .type('text/javascript; charset=utf-8')
      .send(bundle.body),
  );
}
