import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { DIALECTS } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

describe.each(DIALECTS)('OIDC clients: admin API and CLI on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let admin: string;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    admin = await rt.token('admin');
  });
  afterAll(() => rt.dispose());

  const call = (method: 'GET' | 'POST', url: string, token: string, payload?: unknown) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, payload: payload as object });

  it('registers a confidential client: the secret is in the 201 only, sealed at rest, and the act audited', async () => {
    const res = await call('POST', '/api/v1/clients', admin, {
      name: 'Wiki',
      redirectUris: ['https://wiki.example.org/oidc/callback'],
    });
    expect(res.statusCode).toBe(201);
    const created = res.json() as {
      clientId: string;
      clientSecret: string;
      firstParty: boolean;
      public: boolean;
      grantTypes: string[];
    };
    expect(created.clientSecret.length).toBeGreaterThanOrEqual(43);
    expect(created).toMatchObject({
      firstParty: true,
      public: false,
      grantTypes: ['authorization_code', 'refresh_token'],
    });
    const list = await call('GET', '/api/v1/clients', admin);
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(created.clientId);
    expect(list.body).not.toContain(created.clientSecret);
    const one = await call('GET', `/api/v1/clients/${created.clientId}`, admin);
    expect(one.json()).toMatchObject({ clientId: created.clientId, name: 'Wiki' });
    const row = await rt.ctx.store.db
      .selectFrom('oidc_clients')
      .selectAll()
      .where('client_id', '=', created.clientId)
      .executeTakeFirstOrThrow();
    expect(row.metadata).not.toContain(created.clientSecret);
    const events = await rt.services.audit.forSubject(created.clientId);
    expect(events.map((e) => e.action)).toContain('oidc.client_created');
    expect(JSON.stringify(events)).not.toContain(created.clientSecret);
  });

  it('registers a public client without a secret', async () => {
    const res = await call('POST', '/api/v1/clients', admin, {
      name: 'SPA',
      redirectUris: ['http://localhost:5173/cb'],
      public: true,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().clientSecret).toBeUndefined();
    expect(res.json().tokenEndpointAuthMethod).toBe('none');
  });

  it('refuses redirect URIs that could not be matched exactly or safely, and changes nothing', async () => {
    const before = (await call('GET', '/api/v1/clients', admin)).json().clients.length;
    for (const uri of [
      'http://127.0.0.1:1@evil.example/cb',
      'https://user:pw@app.example.org/cb',
      'https://app.example.org/cb#frag',
      'http://app.example.org/cb',
      'https://APP.example.org/cb',
      'javascript:alert(1)',
      'not a uri',
    ]) {
      const res = await call('POST', '/api/v1/clients', admin, { name: 'Bad', redirectUris: [uri] });
      expect(res.statusCode, uri).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    for (const body of [
      { name: 'No URI' },
      { name: 'Public service', public: true, grantTypes: ['client_credentials'] },
      { name: 'Refresh only', grantTypes: ['refresh_token'] },
      { name: 'Extra', redirectUris: ['https://a.example/cb'], secret: 'mine' },
    ]) {
      const res = await call('POST', '/api/v1/clients', admin, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect((await call('GET', '/api/v1/clients', admin)).json().clients.length).toBe(before);
  });

  it("refuses the built-in clients' ids (portcullis-console, portcullis-account), as id or name, with 409", async () => {
    const before = await rt.services.sso.clients.list();
    const uris = ['https://evil.example/cb'];
    for (const body of [
      { name: 'Console', clientId: 'portcullis-console', redirectUris: uris },
      { name: 'Account', client_id: 'portcullis-account', redirectUris: uris },
      { name: 'portcullis-console', redirectUris: uris },
      { name: ' Portcullis-Account ', redirectUris: uris },
    ]) {
      const res = await call('POST', '/api/v1/clients', admin, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(409);
      expect(res.json().code).toBe('CONFLICT');
      expect(res.json().detail).toMatch(/portcullis-(console|account) is reserved for a built-in client/);
    }
    // Any other id asked for is an unknown field: ids are generated.
    const own = await call('POST', '/api/v1/clients', admin, {
      name: 'Own',
      clientId: 'mine',
      redirectUris: uris,
    });
    expect(own.statusCode).toBe(400);
    expect(await rt.services.sso.clients.list()).toEqual(before);
    const built = await rt.ctx.store.db
      .selectFrom('oidc_clients')
      .select('client_id')
      .where('client_id', 'in', ['portcullis-console', 'portcullis-account'])
      .execute();
    expect(built).toEqual([]);
  });

  it('lets only admins register; auditors read; others are forbidden', async () => {
    const body = { name: 'X', redirectUris: ['https://x.example/cb'] };
    for (const role of ['helpdesk', 'auditor', 'scim', 'validator', 'approver']) {
      expect((await call('POST', '/api/v1/clients', await rt.token(role), body)).statusCode, role).toBe(403);
    }
    expect((await call('GET', '/api/v1/clients', await rt.token('auditor'))).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/clients', await rt.token('helpdesk'))).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/clients' })).statusCode).toBe(401);
    expect((await call('GET', '/api/v1/clients/nope', admin)).json().code).toBe('NOT_FOUND');
  });
});

describe('portcullis client create', () => {
  let rt: TestRuntime;

  beforeAll(async () => {
    rt = await createTestRuntime('sqlite');
  });
  afterAll(() => rt.dispose());

  it('prints {"client_id", "client_secret"} for a confidential client and no secret for --public; usage errors exit 2', async () => {
    const confidential = await runCli(rt.db.url, [
      'client',
      'create',
      '--name',
      'Intranet',
      '--redirect-uri',
      'https://intranet.example.org/cb',
    ]);
    expect(confidential.code).toBe(0);
    const out = JSON.parse(confidential.stdout) as Record<string, string>;
    expect(Object.keys(out).sort()).toEqual(['client_id', 'client_secret']);
    const pub = await runCli(rt.db.url, [
      'client',
      'create',
      '--name',
      'App',
      '--redirect-uri',
      'http://localhost:3000/cb',
      '--public',
    ]);
    expect(pub.code).toBe(0);
    expect(Object.keys(JSON.parse(pub.stdout))).toEqual(['client_id']);
    const listed = await rt.services.sso.clients.list();
    expect(listed.map((c) => c.clientId)).toEqual(
      expect.arrayContaining([out.client_id, JSON.parse(pub.stdout).client_id]),
    );
    expect((await runCli(rt.db.url, ['client', 'create', '--name', 'X'])).code).toBe(2);
    const bad = await runCli(rt.db.url, [
      'client',
      'create',
      '--name',
      'X',
      '--redirect-uri',
      'https://u:p@x.example/cb',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('user info');
  });

  it("refuses the built-in clients' ids: a reserved name exits 1 with the reason, --client-id is a usage error", async () => {
    const uri = ['--redirect-uri', 'https://evil.example/cb'];
    const taken = await runCli(rt.db.url, ['client', 'create', '--name', 'portcullis-console', ...uri]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('portcullis-console is reserved for a built-in client [CONFLICT]');
    const id = await runCli(rt.db.url, [
      'client',
      'create',
      '--name',
      'X',
      '--client-id',
      'portcullis-account',
      ...uri,
    ]);
    expect(id.code).toBe(2);
    expect((await rt.services.sso.clients.list()).map((c) => c.name)).not.toContain('portcullis-console');
  }, 60_000);
});
