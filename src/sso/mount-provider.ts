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
  https: boolean,
): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const callback = await holder.callback();
    reply.hijack();
    // TLS ends at the proxy in front; the public URL, not a client header, says the scheme.
    if (https) request.raw.headers['x-forwarded-proto'] = 'https';
    await callback(request.raw, reply.raw);
  };
  app.get('/.well-known/openid-configuration', handle);
  app.all(`${OIDC_PREFIX}/*`, handle);
}
