import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OIDC_PREFIX } from './provider.js';
import type { ProviderHolder } from './provider-holder.js';

/**
 * Hands every OIDC request to oidc-provider untouched: the discovery document at the root
 * (CONTRACT.md) and every endpoint under /oidc. Bodies are left unread (oidc-provider parses
 * and limits them itself) and the reply is hijacked, so Fastify adds nothing.
 */
export async function mountProvider(
  app: FastifyInstance,
  holder: ProviderHolder,
  publicUrl: string,
): Promise<void> {
  const { host, protocol } = new URL(publicUrl);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const callback = await holder.callback();
    reply.hijack();
    // oidc-provider builds endpoint and return URLs from the request's host and scheme. The
    // public URL, never a client's header, decides them: discovery always matches the issuer
    // and a forged Host cannot poison it. (TLS itself ends at the proxy in front.)
    const headers = request.raw.headers;
    headers.host = host;
    delete headers['x-forwarded-host'];
    if (protocol === 'https:') headers['x-forwarded-proto'] = 'https';
    else delete headers['x-forwarded-proto'];
    await callback(request.raw, reply.raw);
  };
  app.get('/.well-known/openid-configuration', handle);
  app.all(`${OIDC_PREFIX}/*`, handle);
}
