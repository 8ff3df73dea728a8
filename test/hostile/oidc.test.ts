import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNS } from '../support/arbitraries.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { stateFingerprint } from '../support/state-fingerprint.js';

const PUBLIC_URL = 'http://127.0.0.1:9';
const REDIRECT = 'https://rp.example.org/cb';

const junk = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    'x'.repeat(3_000),
    '%',
    '%ZZ',
    '{"a":',
    'null',
    '../',
    'javascript:alert(1)',
    'a.b.c',
  ),
);

/**
 * Authorization request parameters: each one right, wrong, or absent, so requests get past
 * the first checks as often as they fail them.
 */
function authorizationParams(clientId: string) {
  const pick = <T>(...good: T[]) => fc.oneof(fc.constantFrom(...good), junk);
  return fc.record(
    {
      client_id: pick(clientId, 'unknown-client'),
      response_type: pick('code', 'code id_token', 'token', 'none'),
      redirect_uri: pick(REDIRECT, 'https://evil.example/cb', `${REDIRECT}?x=1`),
      scope: pick('openid', 'openid profile email', 'openid offline_access', 'profile'),
      state: junk,
      nonce: junk,
      code_challenge: pick('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'short'),
      code_challenge_method: pick('S256', 'plain'),
      acr_values: pick(
        'urn:portcullis:aal:2',
        'urn:portcullis:aal:3',
        'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
      ),
      prompt: pick('login', 'consent', 'none', 'login consent', 'select_account'),
      max_age: pick('0', '-1', '300', '1e309', '99999999999999999999'),
      claims: pick(
        '{"id_token":{"acr":{"essential":true}}}',
        '{"userinfo":{"email":null}}',
        '{"id_token":{"acr":{"values":[1,{}]}}}',
      ),
      response_mode: pick('query', 'form_post', 'fragment', 'jwt'),
      request: pick('eyJhbGciOiJub25lIn0.e30.', 'a.b.c'),
      request_uri: pick('urn:ietf:params:oauth:request_uri:abc', 'https://evil.example/r'),
      id_token_hint: pick('eyJhbGciOiJSUzI1NiJ9.e30.sig'),
      login_hint: junk,
      ui_locales: pick('en', 'fr-CA en'),
      resource: pick('https://api.example.org', 'urn:x'),
    },
    { requiredKeys: [] },
  );
}

/**
 * OIDC under hostile relying parties and browsers (SQLite, in-process): random authorization
 * and token requests are answered with an OAuth error or a redirect, never a 5xx, and write
 * nothing but the provider's own interaction state (never a person, factor or audit event).
 */
describe('hostile OIDC parameters on sqlite', () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let clientId: string;
  let clientSecret: string;

  beforeAll(async () => {
    rt = await createTestRuntime('sqlite', { env: { PUBLIC_URL } });
    app = await rt.app();
    const created = await rt.services.sso.clients.create(
      { label: 'test' },
      { name: 'RP', redirectUris: [REDIRECT] },
    );
    clientId = created.clientId;
    clientSecret = created.clientSecret!;
  }, 30_000);
  afterAll(async () => rt?.dispose());

  it('authorization requests (GET and POST): never a 5xx, nothing written', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        authorizationParams(clientId),
        fc.boolean(),
        fc.boolean(),
        async (params, post, twice) => {
          const query = new URLSearchParams(params as Record<string, string>);
          // A parameter given twice must be refused, not crash.
          if (twice && params.scope !== undefined) query.append('scope', 'openid');
          const before = await stateFingerprint(rt.ctx.store);
          const res = await app.inject(
            post
              ? {
                  method: 'POST',
                  url: '/oidc/auth',
                  headers: { host: '127.0.0.1:9', 'content-type': 'application/x-www-form-urlencoded' },
                  payload: query.toString(),
                }
              : { method: 'GET', url: `/oidc/auth?${query}`, headers: { host: '127.0.0.1:9' } },
          );
          expect(res.statusCode, res.body.slice(0, 500)).toBeLessThan(500);
          statuses.add(res.statusCode);
          expect(await stateFingerprint(rt.ctx.store)).toBe(before);
        },
      ),
      {
        ...RUNS,
        numRuns: 150,
        // A well-formed request is always among them (random draws alone rarely make one).
        examples: [
          [
            {
              client_id: clientId,
              response_type: 'code',
              redirect_uri: REDIRECT,
              scope: 'openid',
              state: 'st',
              nonce: 'no',
              code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
              code_challenge_method: 'S256',
            },
            false,
            false,
          ],
        ],
      },
    );
    // Requests got through (a redirect to the sign-in page) as well as being refused.
    expect(statuses).toContain(303);
    expect([...statuses].some((s) => s >= 400)).toBe(true);
  }, 60_000);

  it('token requests with hostile grants: never a 5xx, nothing written', async () => {
    const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            grant_type: fc.oneof(
              fc.constantFrom('authorization_code', 'refresh_token', 'client_credentials', 'password'),
              junk,
            ),
            code: junk,
            refresh_token: junk,
            redirect_uri: fc.oneof(fc.constant(REDIRECT), junk),
            code_verifier: junk,
            scope: junk,
            client_assertion: junk,
          },
          { requiredKeys: [] },
        ),
        fc.boolean(),
        async (params, authenticated) => {
          const before = await stateFingerprint(rt.ctx.store);
          const res = await app.inject({
            method: 'POST',
            url: '/oidc/token',
            headers: {
              host: '127.0.0.1:9',
              'content-type': 'application/x-www-form-urlencoded',
              ...(authenticated ? { authorization: basic } : {}),
            },
            payload: new URLSearchParams(params as Record<string, string>).toString(),
          });
          expect(res.statusCode, res.body.slice(0, 500)).toBeLessThan(500);
          expect(await stateFingerprint(rt.ctx.store)).toBe(before);
        },
      ),
      { ...RUNS, numRuns: 100 },
    );
  }, 60_000);
});
