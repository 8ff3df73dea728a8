import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { oidcModelsRepo } from '../store/repos/oidc-models.js';
import { storeAdapter } from './adapter.js';
import { clientSecretAad } from './client-service.js';

describe.each(DIALECTS)('oidc-provider adapter over the store on %s', (dialect) => {
  let rt: TestRuntime;
  let adapter: ReturnType<typeof storeAdapter>;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    adapter = storeAdapter(rt.ctx.store, rt.ctx.keyring);
  });
  afterAll(() => rt.dispose());

  it('upserts, finds by id, uid and user code, and destroys', async () => {
    const sessions = adapter('Session');
    await sessions.upsert('s1', { uid: 'uid-1', accountId: 'acc-1', loginTs: 1 }, 60);
    expect(await sessions.find('s1')).toMatchObject({ uid: 'uid-1', accountId: 'acc-1' });
    expect(await sessions.findByUid('uid-1')).toMatchObject({ accountId: 'acc-1' });
    await sessions.upsert('s1', { uid: 'uid-1', accountId: 'acc-1', loginTs: 2 }, 60);
    expect(await sessions.find('s1')).toMatchObject({ loginTs: 2 });
    // Kinds are separate namespaces.
    expect(await adapter('Grant').find('s1')).toBeUndefined();
    const codes = adapter('DeviceCode');
    await codes.upsert('d1', { userCode: 'ABCD-EFGH', grantId: 'g0' }, 60);
    expect(await codes.findByUserCode('ABCD-EFGH')).toMatchObject({ grantId: 'g0' });
    await sessions.destroy('s1');
    expect(await sessions.find('s1')).toBeUndefined();
  });

  it('inserts a model only where no live one is: a live one stays, an expired one is replaced', async () => {
    const db = rt.ctx.store.db;
    const row = (payload: string, expiresAt: number | null) => ({
      kind: 'SignIn',
      id: 'once-1',
      payload,
      grant_id: null,
      user_code: null,
      uid: 'once-1',
      account_id: null,
      expires_at: expiresAt,
    });
    const now = Date.now();
    const payloadOf = async () => (await oidcModelsRepo.find(db, 'SignIn', 'once-1'))?.payload;
    expect(await oidcModelsRepo.insertIfAbsent(db, row('first', now + 60_000), now)).toBe(true);
    expect(await oidcModelsRepo.insertIfAbsent(db, row('second', now + 60_000), now)).toBe(false);
    expect(await payloadOf()).toBe('first');
    // Once it has expired, a new one takes its place.
    expect(await oidcModelsRepo.insertIfAbsent(db, row('third', now + 120_000), now + 60_000)).toBe(true);
    expect(await payloadOf()).toBe('third');
    await oidcModelsRepo.upsert(db, row('never', null));
    expect(await oidcModelsRepo.insertIfAbsent(db, row('fourth', now), now + 1e9)).toBe(false);
    expect(await payloadOf()).toBe('never');
  });

  it('stores ids (bearer tokens, codes, session cookies) only as hashes, and no cookie in an interaction', async () => {
    const secret = 'tok_secret_value_0123456789abcdefghijklmnop';
    await adapter('AccessToken').upsert(secret, { jti: secret, grantId: 'g9', accountId: 'acc-9' }, 60);
    await adapter('Interaction').upsert(
      'ix-1',
      { jti: 'ix-1', session: { accountId: 'acc-9', uid: 'u9', cookie: `${secret}-cookie` } },
      60,
    );
    const rows = await rt.ctx.store.db.selectFrom('oidc_models').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(await adapter('AccessToken').find(secret)).toMatchObject({ jti: secret, accountId: 'acc-9' });
    expect(await adapter('Interaction').find('ix-1')).toMatchObject({
      session: { accountId: 'acc-9', uid: 'u9' },
    });
  });

  it('consumes once: a second consume is invalid_grant and revokes the whole grant', async () => {
    const codes = adapter('AuthorizationCode');
    const tokens = adapter('AccessToken');
    const grants = adapter('Grant');
    await grants.upsert('g1', { accountId: 'acc-1', clientId: 'c' }, 60);
    await codes.upsert('code-1', { grantId: 'g1', accountId: 'acc-1' }, 60);
    await tokens.upsert('at-1', { grantId: 'g1', accountId: 'acc-1' }, 60);
    await codes.consume('code-1');
    expect((await codes.find('code-1'))?.consumed).toEqual(expect.any(Number));
    const again = await codes.consume('code-1').catch((e: unknown) => e);
    expect((again as { error?: string }).error).toBe('invalid_grant');
    expect(await tokens.find('at-1')).toBeUndefined();
    expect(await grants.find('g1')).toBeUndefined();
  });

  it('lets exactly one of many concurrent consumers win', async () => {
    const codes = adapter('RefreshToken');
    await codes.upsert('rt-1', { grantId: 'g2', accountId: 'acc-2' }, 60);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => codes.consume('rt-1')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('revokes by grant id, one kind at a time', async () => {
    const at = adapter('AccessToken');
    const rtk = adapter('RefreshToken');
    await at.upsert('at-3', { grantId: 'g3' }, 60);
    await rtk.upsert('rt-3', { grantId: 'g3' }, 60);
    await at.revokeByGrantId('g3');
    expect(await at.find('at-3')).toBeUndefined();
    expect(await rtk.find('rt-3')).toBeDefined();
  });

  it('serves clients from oidc_clients with the sealed secret opened, and refuses writes', async () => {
    const created = await rt.services.sso.clients.create(
      { label: 'test' },
      { name: 'App', redirectUris: ['https://app.example/cb'] },
    );
    const clients = adapter('Client');
    const found = await clients.find(created.clientId);
    expect(found).toMatchObject({
      client_id: created.clientId,
      client_secret: created.clientSecret,
      first_party: true,
    });
    expect(found).not.toHaveProperty('client_secret_enc');
    expect(await clients.find('unknown')).toBeUndefined();
    await expect(clients.upsert('x', {}, 1)).rejects.toThrow();
  });

  it('opens a client once per instance, yet every instance sees a rotated secret, a changed flag or a removal at once', async () => {
    const created = await rt.services.sso.clients.create(
      { label: 'test' },
      { name: 'Service', grantTypes: ['client_credentials'] },
    );
    const id = created.clientId;
    // Two instances: each its own adapter (and its own opened clients) over the one database.
    const one = storeAdapter(rt.ctx.store, rt.ctx.keyring)('Client');
    const two = storeAdapter(rt.ctx.store, rt.ctx.keyring)('Client');
    const decrypt = vi.spyOn(rt.ctx.keyring, 'decrypt');
    try {
      const first = await one.find(id);
      expect(first).toMatchObject({ client_secret: created.clientSecret, first_party: true });
      // What oidc-provider gets can be changed by it without touching what the instance keeps.
      (first as Record<string, unknown>).client_secret = 'tampered';
      expect(await one.find(id)).toMatchObject({ client_secret: created.clientSecret });
      expect(decrypt).toHaveBeenCalledTimes(1);
      expect(await two.find(id)).toMatchObject({ client_secret: created.clientSecret });
      expect(decrypt).toHaveBeenCalledTimes(2);

      // The secret is rotated (written as a rotation on any instance would write it).
      const row = await rt.ctx.store.db
        .selectFrom('oidc_clients')
        .selectAll()
        .where('client_id', '=', id)
        .executeTakeFirstOrThrow();
      const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
      metadata.client_secret_enc = rt.ctx.keyring.encrypt(Buffer.from('rotated-secret'), clientSecretAad(id));
      await rt.ctx.store.db
        .updateTable('oidc_clients')
        .set({ metadata: JSON.stringify(metadata) })
        .where('client_id', '=', id)
        .execute();
      expect(await one.find(id)).toMatchObject({ client_secret: 'rotated-secret' });
      expect(await two.find(id)).toMatchObject({ client_secret: 'rotated-secret' });

      await rt.ctx.store.db
        .updateTable('oidc_clients')
        .set({ first_party: 0 })
        .where('client_id', '=', id)
        .execute();
      expect(await one.find(id)).toMatchObject({ first_party: false });

      await rt.ctx.store.db.deleteFrom('oidc_clients').where('client_id', '=', id).execute();
      expect(await one.find(id)).toBeUndefined();
      expect(await two.find(id)).toBeUndefined();
    } finally {
      decrypt.mockRestore();
    }
  });
});
