import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileBody, RUNS } from '../support/arbitraries.js';
import type { Dialect } from '../support/databases.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { stateFingerprint } from '../support/state-fingerprint.js';

const DAY = 24 * 60 * 60 * 1000;

/** One admin API route under attack: who calls it and a valid body to mutate. */
interface Target {
  label: string;
  method: 'POST' | 'PUT' | 'PATCH';
  url: (ids: Ids) => string;
  role: string;
  valid: (ids: Ids) => Record<string, unknown>;
}

interface Ids {
  userId: string;
  authenticatorId: string;
  policyId: string;
  now: number;
}

const TARGETS: Target[] = [
  {
    label: 'create a person',
    method: 'POST',
    url: () => '/api/v1/users',
    role: 'admin',
    valid: () => ({
      username: 'fuzz-person',
      email: 'fuzz@example.org',
      displayName: 'Fuzz',
      groups: ['ops'],
    }),
  },
  {
    label: 'change a person',
    method: 'PATCH',
    url: (ids) => `/api/v1/users/${ids.userId}`,
    role: 'admin',
    valid: () => ({
      displayName: 'Fuzzed',
      email: 'fuzzed@example.org',
      externalId: 'HR-1',
      startDate: '2027-01-04',
      managerId: null,
    }),
  },
  {
    label: "change a person's status",
    method: 'POST',
    url: (ids) => `/api/v1/users/${ids.userId}/status`,
    role: 'admin',
    valid: () => ({ status: 'suspended', reason: 'fuzz' }),
  },
  {
    label: 'issue an authenticator',
    method: 'POST',
    url: (ids) => `/api/v1/users/${ids.userId}/authenticators`,
    role: 'admin',
    valid: () => ({ type: 'totp', name: 'phone', algorithm: 'SHA256', digits: 8, period: 60 }),
  },
  {
    label: 'rename an authenticator',
    method: 'PATCH',
    url: (ids) => `/api/v1/authenticators/${ids.authenticatorId}`,
    role: 'admin',
    valid: () => ({ name: 'work phone' }),
  },
  {
    label: 'create a policy',
    method: 'POST',
    url: () => '/api/v1/policies',
    role: 'admin',
    valid: () => ({
      name: 'fuzz-policy',
      targetKind: 'group',
      target: 'ops',
      priority: 5,
      rules: { aal: 3, allowedTypes: ['webauthn'], graceDays: 3, recoveryPaths: ['helpdesk'] },
    }),
  },
  {
    label: 'replace a policy',
    method: 'PUT',
    url: (ids) => `/api/v1/policies/${ids.policyId}`,
    role: 'admin',
    valid: () => ({ name: 'base', targetKind: 'default', rules: { aal: 2, reminderDays: [7, 1] } }),
  },
  {
    label: 'grant an exception',
    method: 'POST',
    url: () => '/api/v1/exceptions',
    role: 'approver',
    valid: (ids) => ({
      userId: ids.userId,
      waives: { aal: 2 },
      owner: 'owner@example.org',
      reason: 'waiting for a key',
      ticket: 'IT-1',
      expiresAt: new Date(ids.now + 5 * DAY).toISOString(),
    }),
  },
  {
    label: 'open a recovery request',
    method: 'POST',
    url: () => '/api/v1/recovery-requests',
    role: 'helpdesk',
    valid: (ids) => ({
      userId: ids.userId,
      proofingMethod: 'video_call',
      proofingReference: 'INC-1',
      notes: 'lost phone',
      revokeOld: false,
    }),
  },
  {
    label: 'register an OIDC client',
    method: 'POST',
    url: () => '/api/v1/clients',
    role: 'admin',
    valid: () => ({
      name: 'Wiki',
      redirectUris: ['https://wiki.example.org/cb'],
      public: false,
      grantTypes: ['authorization_code', 'refresh_token'],
      tokenEndpointAuthMethod: 'client_secret_basic',
    }),
  },
  {
    label: 'subscribe a webhook',
    method: 'POST',
    url: () => '/api/v1/webhooks',
    role: 'admin',
    valid: () => ({ url: 'https://hooks.example.org/in', events: ['person.created'] }),
  },
];

/**
 * Hostile bodies (mutated valid ones, random JSON, non-JSON, deep nesting) to every admin API
 * route that writes: never a 5xx, and a refused request (4xx) changes nothing, not even the
 * audit chain.
 */
function adminApiProperties(dialect: Dialect, targets: Target[], numRuns: number) {
  describe(`hostile admin API bodies on ${dialect}`, () => {
    let rt: TestRuntime;
    let app: FastifyInstance;
    let ids: Ids;
    const tokens: Record<string, string> = {};

    beforeAll(async () => {
      rt = await createTestRuntime(dialect);
      app = await rt.app();
      for (const role of ['admin', 'helpdesk', 'approver']) tokens[role] = await rt.token(role);
      const person = await rt.services.identity.create(
        { label: 'test' },
        { username: 'target', email: 'target@example.org' },
      );
      const issued = await rt.services.authenticators.issue({ label: 'test' }, person.id, { type: 'totp' });
      const policy = await rt.services.policy.create(
        { label: 'test' },
        { name: 'base', targetKind: 'default', rules: { aal: 2 } },
      );
      ids = { userId: person.id, authenticatorId: issued.id, policyId: policy.id, now: rt.clock.now() };
    }, 30_000);
    afterAll(async () => rt?.dispose());

    it('refuses nesting past the limit (400) and oversize bodies (413) before parsing', async () => {
      const send = (payload: string) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/users',
          headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
          payload,
        });
      const deep = await send(`{"username":${'['.repeat(33)}${']'.repeat(33)}}`);
      expect([deep.statusCode, deep.json().code]).toEqual([400, 'BAD_REQUEST']);
      expect(deep.json().detail).toContain('nests deeper than 32');
      const shallow = await send(`{"username":${'['.repeat(31)}${']'.repeat(31)}}`);
      expect(shallow.json().code).toBe('VALIDATION_FAILED');
      const huge = await send(JSON.stringify({ username: 'x'.repeat(70_000) }));
      expect([huge.statusCode, huge.json().code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    });

    it.each(targets.map((t) => [t.label, t] as const))(
      '%s: no 5xx, a refusal writes nothing',
      async (_label, target) => {
        await fc.assert(
          fc.asyncProperty(hostileBody(target.valid(ids)), async (payload) => {
            const before = await stateFingerprint(rt.ctx.store);
            const res = await app.inject({
              method: target.method,
              url: target.url(ids),
              headers: { authorization: `Bearer ${tokens[target.role]}`, 'content-type': 'application/json' },
              payload,
            });
            expect(res.statusCode, res.body).toBeLessThan(500);
            if (res.statusCode >= 400) {
              expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
              expect(await stateFingerprint(rt.ctx.store)).toBe(before);
            }
          }),
          { ...RUNS, numRuns },
        );
      },
      60_000,
    );
  });
}

adminApiProperties('sqlite', TARGETS, RUNS.numRuns);
// One smoke property on PostgreSQL: its type checks (text vs NUL, integer ranges) differ from SQLite's.
adminApiProperties(
  'postgres',
  TARGETS.filter((t) => ['create a person', 'change a person', 'create a policy'].includes(t.label)),
  25,
);
