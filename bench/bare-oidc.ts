import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { CLIENT_CREDENTIALS_TTL_SECONDS } from '../src/sso/token-lifetimes.js';

/**
 * The client_credentials baseline: a bare `oidc-provider` (the version Portcullis runs), its
 * in-memory adapter, one confidential client, and the token format Portcullis issues (opaque
 * access tokens: no resource indicators, so no JWT access tokens). Listens on 127.0.0.1:$PORT
 * at the same path as Portcullis (/oidc/token); run as a child process by bench/run.ts.
 */
const port = Number(process.env.PORT ?? 0);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: process.env.CLIENT_ID ?? 'bench',
      client_secret: process.env.CLIENT_SECRET ?? 'bench-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: {
    keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' }] as never,
  },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
  routes: { token: '/oidc/token' },
  ttl: { ClientCredentials: CLIENT_CREDENTIALS_TTL_SECONDS },
});
const server = createServer(provider.callback()).listen(port, '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
