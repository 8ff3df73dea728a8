import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { OIDC_PREFIX } from './provider.js';
import type { ProviderHolder } from './provider-holder.js';

/** The one request served straight from the HTTP server: a token request, exactly this path. */
const TOKEN_PATH = `${OIDC_PREFIX}/token`;

/** The request histogram's observation (see src/metrics/prometheus.ts), labelled as Fastify would. */
export type ObserveRequest = (
  labels: { method: string; route: string; status: string },
  seconds: number,
) => void;

/**
 * Token requests (`POST /oidc/token`, no query) go from Node's HTTP server straight to
 * oidc-provider, skipping Fastify's routing, hooks and reply objects: the hot path of every
 * machine client. Nothing Fastify does for them is lost:
 * - the path is exactly `/oidc/token`, so it holds no NUL (the onRequest check) and needs no
 *   route parameters or URL decoding (framework errors);
 * - Fastify never read these bodies nor added headers (the OIDC mount hijacks its replies, so
 *   onSend never ran): oidc-provider parses and limits the body and writes every header itself;
 * - the request histogram is observed here with the labels Fastify's hook gave it (route `/oidc/*`).
 * Anything else, a token request while the provider cannot be had (its keys failing to load),
 * and every request once the app is closing (Fastify answers those 503), goes to Fastify as
 * before, which answers it as before.
 */
export function serveTokenDirectly(
  app: FastifyInstance,
  holder: ProviderHolder,
  ready: (req: IncomingMessage) => void,
  observe: ObserveRequest,
): void {
  const server = app.server;
  const [fastify] = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  if (!fastify) throw new Error('the HTTP server has no request handler to put the token route before');

  const direct = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const start = performance.now();
    let callback: Awaited<ReturnType<ProviderHolder['callback']>>;
    try {
      callback = await holder.callback();
    } catch {
      fastify(req, res);
      return;
    }
    res.once('finish', () => {
      observe(
        { method: 'POST', route: `${OIDC_PREFIX}/*`, status: String(res.statusCode) },
        (performance.now() - start) / 1000,
      );
    });
    ready(req);
    await callback(req, res);
  };

  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  server.removeListener('request', fastify);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && req.url === TOKEN_PATH && !closing) {
      direct(req, res).catch((err: unknown) => {
        // Koa answers its own errors; this is only a last resort, never a hung request.
        app.log.error({ err }, 'token request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/problem+json' });
        res.end();
      });
    } else fastify(req, res);
  });
}
