import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OIDC_PREFIX } from './provider.js';
import type { ProviderHolder } from './provider-holder.js';

/**
 * Readies a request for oidc-provider. It builds endpoint and return URLs from the request's
 * host and scheme: the public URL, never a client's header, decides them, so discovery always
 * matches the issuer and a forged Host cannot poison it. (TLS itself ends at the proxy in front.)
 */
export function publicRequest(publicUrl: string): (req: IncomingMessage) => void {
  const { host, protocol } = new URL(publicUrl);
  return (req) => {
    const headers = req.headers;
    headers.host = host;
    delete headers['x-forwarded-host'];
    if (protocol === 'https:') headers['x-forwarded-proto'] = 'https';
    else delete headers['x-forwarded-proto'];
  };
}

/**
 * Hands every OIDC request to oidc-provider: the discovery document at the root (CONTRACT.md)
 * and every endpoint under /oidc. Bodies are left unread (oidc-provider parses and limits them
 * itself) and the reply is hijacked, so Fastify adds nothing.
 */
export async function mountProvider(
  app: FastifyInstance,
  holder: ProviderHolder,
  publicUrl: string,
): Promise<void> {
  const ready = publicRequest(publicUrl);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const callback = await holder.callback();
    reply.hijack();
    ready(request.raw);
    await callback(request.raw, reply.raw);
  };
  app.get('/.well-known/openid-configuration', handle);
  app.all(`${OIDC_PREFIX}/*`, handle);
}
