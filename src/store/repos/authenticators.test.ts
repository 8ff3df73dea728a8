import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedTestDatabase, DIALECTS, type TestDatabase } from '../../../test/support/databases.js';
import { openStore, type Store } from '../open-store.js';
import type { AuthenticatorRow } from '../schema.js';
import { authenticatorsRepo } from './authenticators.js';
import { usersRepo } from './users.js';

const person = (id: string, username: string, status: 'active' | 'suspended' = 'active') => ({
  id,
  username,
  username_lower: username.toLowerCase(),
  email: null,
  display_name: null,
  status,
  external_id: null,
  password_hash: null,
  locked_until: status === 'active' ? null : 5_000,
  created_at: 1,
  updated_at: 1,
});

const factor = (
  id: string,
  userId: string,
  type: AuthenticatorRow['type'],
  state: AuthenticatorRow['state'],
) => ({
  id,
  user_id: userId,
  type,
  state,
  name: null,
  serial: null,
  secret_enc: 'sealed',
  params: '{}',
  counter: null,
  created_at: 1,
  updated_at: 1,
  activated_at: null,
  last_used_at: null,
  expires_at: null,
  state_reason: null,
});

const OTP: AuthenticatorRow['type'][] = ['totp', 'hotp'];

/** `verifiableOf`: a person's gate and their code-checking authenticators in one statement. */
describe.each(DIALECTS)('authenticatorsRepo.verifiableOf on %s', (dialect) => {
  let tdb: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    tdb = await createMigratedTestDatabase(dialect);
    store = openStore(tdb.url);
    await usersRepo.insert(store.db, person('u1', 'Alice'));
    await usersRepo.insert(store.db, person('u2', 'bob', 'suspended'));
    await usersRepo.insert(store.db, person('u3', 'carol'));
    for (const [id, type, state] of [
      ['a-totp', 'totp', 'active'],
      ['a-hotp', 'hotp', 'pending'],
      ['a-revoked', 'totp', 'revoked'],
      ['a-suspended', 'hotp', 'suspended'],
      ['a-codes', 'recovery_codes', 'active'],
    ] as const)
      await authenticatorsRepo.insert(store.db, factor(id, 'u1', type, state));
    await authenticatorsRepo.insert(store.db, factor('b-totp', 'u2', 'totp', 'active'));
  });
  afterAll(async () => {
    await store.close();
    await tdb.drop();
  });

  it('reads the gate with the pending and active authenticators of the types, by username or id', async () => {
    for (const db of [store.reader, store.db]) {
      for (const by of [{ username: 'ALICE' }, { userId: 'u1' }]) {
        const found = await authenticatorsRepo.verifiableOf(db, by, OTP);
        expect(found?.gate).toEqual({ id: 'u1', status: 'active', locked_until: null });
        expect(found?.authenticators.map((a) => a.id).sort()).toEqual(['a-hotp', 'a-totp']);
        expect(found?.authenticators.find((a) => a.id === 'a-hotp')).toMatchObject({
          user_id: 'u1',
          type: 'hotp',
          state: 'pending',
          params: '{}',
        });
      }
      const totpOnly = await authenticatorsRepo.verifiableOf(db, { userId: 'u1' }, ['totp']);
      expect(totpOnly?.authenticators.map((a) => a.id)).toEqual(['a-totp']);
    }
  });

  it('reads a person without such authenticators, an inactive one, and nobody for an unknown name', async () => {
    const carol = await authenticatorsRepo.verifiableOf(store.reader, { username: 'carol' }, OTP);
    expect(carol).toEqual({ gate: { id: 'u3', status: 'active', locked_until: null }, authenticators: [] });
    const bob = await authenticatorsRepo.verifiableOf(store.reader, { username: 'bob' }, OTP);
    expect(bob?.gate).toEqual({ id: 'u2', status: 'suspended', locked_until: 5_000 });
    expect(bob?.authenticators.map((a) => a.id)).toEqual(['b-totp']);
    expect(await authenticatorsRepo.verifiableOf(store.reader, { username: 'nobody' }, OTP)).toBeUndefined();
    expect(await authenticatorsRepo.verifiableOf(store.reader, { userId: 'nope' }, OTP)).toBeUndefined();
  });
});
