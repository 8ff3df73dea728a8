import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import type { TestRuntime } from './support/runtime.js';
import { listeningRuntime } from './support/sso.js';

/**
 * `POST /oidc/token` is served straight from the HTTP server (src/sso/direct-token-route.ts);
 * these check, over a real socket, that it answers as the Fastify mount did and keeps what
 * Fastify gave it: the request histogram, the NUL refusal, the public host, the client read.
 */
describe.each(DIALECTS)('the direct token route on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  let service: { clientId: string; clientSecret?: string };

  beforeAll(async () => {
    rt = await listeningRuntime(dialect);
    service = await rt.services.sso.clients.create(
      { label: 'test' },
      { name: 'Direct job', grantTypes: ['client_credentials'] },
    );
  });
  afterAll(() => rt.dispose());

  const token = (path = '/oidc/token', headers: Record<string, string> = {}) =>
    fetch(`${rt.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${service.clientId}:${service.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: 'grant_type=client_credentials',
    });

  /** The histogram's count for token requests with `status`. */
  async function counted(status: string): Promise<number> {
    const body = (await (await rt.app()).inject({ method: 'GET', url: '/metrics' })).body;
    const line = body
      .split('\n')
      .find((l) =>
        l.startsWith(
          `portcullis_http_request_duration_seconds_count{method="POST",route="/oidc/*",status="${status}"}`,
        ),
      );
    return line ? Number(line.split(' ').pop()) : 0;
  }

  it('issues a token, stored before the answer, and counts it in the request histogram', async () => {
    const before = await counted('200');
    const res = await token('/oidc/token', { host: 'evil.example', 'x-forwarded-host': 'evil.example' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe('Bearer');
    const stored = await rt.ctx.store.db
      .selectFrom('oidc_models')
      .select(['grant_id', 'uid', 'user_code', 'account_id'])
      .where('kind', '=', 'ClientCredentials')
      .execute();
    expect(stored.length).toBeGreaterThan(0);
    expect(stored[0]).toEqual({ grant_id: null, uid: null, user_code: null, account_id: null });
    expect(await counted('200')).toBe(before + 1);
    // The token was issued for the public URL's issuer, not the forged Host.
    const introspect = await fetch(`${rt.url}/oidc/token/introspection`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${service.clientId}:${service.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `token=${body.access_token}`,
    });
    expect(((await introspect.json()) as { iss: string; active: boolean }).iss).toBe(rt.url);
  });

  it('leaves any other URL to Fastify: a NUL in the query is still a 400 problem', async () => {
    const res = await token('/oidc/token?x=%00');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('refuses a client removed from the database on the very next request', async () => {
    const other = await rt.services.sso.clients.create(
      { label: 'test' },
      { name: 'Short-lived job', grantTypes: ['client_credentials'] },
    );
    const ask = () =>
      fetch(`${rt.url}/oidc/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${other.clientId}:${other.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
    expect((await ask()).status).toBe(200);
    await rt.ctx.store.db.deleteFrom('oidc_clients').where('client_id', '=', other.clientId).execute();
    const refused = await ask();
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_client');
    expect(await counted('401')).toBeGreaterThan(0);
  });

  it('indexes grant, uid, user code and person only where set (migration 0014), and lookups use them', async () => {
    const db = rt.ctx.store.db;
    const names = ['oidc_models_grant', 'oidc_models_uid', 'oidc_models_user_code', 'oidc_models_account'];
    if (dialect === 'sqlite') {
      const rows = await sql<{ name: string; sql: string }>`
        SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'oidc_models'`.execute(db);
      for (const n of names)
        expect(rows.rows.find((r) => r.name === n)?.sql).toMatch(/WHERE \w+ IS NOT NULL$/);
      const plan = await sql<{ detail: string }>`
        EXPLAIN QUERY PLAN SELECT * FROM oidc_models WHERE grant_id = ${'g'}`.execute(db);
      expect(plan.rows.map((r) => r.detail).join(' ')).toContain('oidc_models_grant');
    } else {
      const rows = await sql<{ indexname: string; indexdef: string }>`
        SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'oidc_models'`.execute(db);
      for (const n of names)
        expect(rows.rows.find((r) => r.indexname === n)?.indexdef).toMatch(/WHERE \(\w+ IS NOT NULL\)$/);
    }
  });
});
