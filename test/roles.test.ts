import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES } from '../src/tokens/roles.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

/** The CONTRACT.md admin routes that must exist (the matrix below covers every route there is). */
const CONTRACT_ROUTES = [
  'POST /api/v1/users/:id/authenticators',
  'GET /api/v1/users/:id/authenticators',
  'POST /api/v1/authenticators/:id/revoke',
  'GET /api/v1/inventory',
  'POST /api/v1/inventory/:serial/assign',
  'POST /api/v1/validate',
];

/** The role × route matrix: every /api/v1 route checks the caller's role, none forgets. */
describe('role matrix', () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    rt = await createTestRuntime('sqlite');
    app = await rt.app();
    for (const role of ROLES) tokens[role] = await rt.token(role);
  });
  afterAll(() => rt.dispose());

  it('has every route CONTRACT.md names', () => {
    const present = app.apiRouteTable.map((r) => `${r.method} ${r.url}`);
    for (const route of CONTRACT_ROUTES) expect(present).toContain(route);
  });

  it('answers 401 without a token and 403 for every role the route does not allow', async () => {
    expect(app.apiRouteTable.length).toBeGreaterThan(10);
    for (const route of app.apiRouteTable) {
      const url = route.url.replace(/:(\w+)/g, 'no-such-$1');
      const call = (token?: string) =>
        app.inject({
          method: route.method as 'GET',
          url,
          headers: token ? { authorization: `Bearer ${token}` } : {},
          ...(route.method === 'GET' ? {} : { payload: {} }),
        });
      expect((await call()).statusCode, `${route.method} ${route.url} without a token`).toBe(401);
      for (const role of ROLES) {
        const res = await call(tokens[role]);
        const label = `${route.method} ${route.url} as ${role}`;
        if (route.roles.includes(role)) {
          expect([401, 403], label).not.toContain(res.statusCode);
          expect(res.statusCode, label).toBeLessThan(500);
        } else {
          expect(res.statusCode, label).toBe(403);
        }
      }
    }
  });

  it('a revoked token stops working at once', async () => {
    const { id, token } = await rt.services.tokens.create({ label: 'test' }, 'auditor', 'short-lived');
    const call = () => app.inject({ url: '/api/v1/users', headers: { authorization: `Bearer ${token}` } });
    expect((await call()).statusCode).toBe(200);
    await rt.services.tokens.revoke({ label: 'test' }, id);
    expect((await call()).statusCode).toBe(401);
  });

  it('auditors only read: no auditor route writes', () => {
    const writes = app.apiRouteTable.filter((r) => r.method !== 'GET' && r.roles.includes('auditor'));
    expect(writes).toEqual([]);
  });

  it('a scim token reaches no credential or admin route', () => {
    const scimRoutes = app.apiRouteTable.filter((r) => r.roles.includes('scim'));
    expect(scimRoutes).toEqual([]);
  });
});
