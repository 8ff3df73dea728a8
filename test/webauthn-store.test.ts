import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../src/crypto/random.js';
import { webauthnCredentialsRepo } from '../src/store/repos/webauthn.js';
import { CHALLENGE_TTL_MS, consumeChallenge, issueChallenge } from '../src/webauthn/challenges.js';
import { DIALECTS } from './support/databases.js';
import { createPerson } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

describe.each(DIALECTS)('WebAuthn storage on %s', (dialect) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(dialect, { env: { PUBLIC_URL: 'http://localhost:8080' } });
  });
  afterAll(() => rt.dispose());

  it('spends a challenge once, only for its purpose and binding, and never after it expired', async () => {
    const db = rt.ctx.store.db;
    const now = rt.clock.now();
    const a = await issueChallenge(db, {
      purpose: 'authenticate',
      binding: 'interaction:x',
      userId: null,
      now,
    });
    expect(Buffer.from(a.challenge, 'base64url').length).toBeGreaterThanOrEqual(16);
    const stored = await db
      .selectFrom('webauthn_challenges')
      .selectAll()
      .where('id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(stored.challenge_hash).not.toContain(a.challenge);
    expect(stored.expires_at - stored.created_at).toBeLessThanOrEqual(10 * 60 * 1000);
    const wrongBinding = { id: a.id, purpose: 'authenticate' as const, binding: 'interaction:y', now };
    expect(await consumeChallenge(db, wrongBinding)).toBeUndefined();
    expect(
      await consumeChallenge(db, { ...wrongBinding, purpose: 'register', binding: 'interaction:x' }),
    ).toBeUndefined();
    const right = { ...wrongBinding, binding: 'interaction:x' };
    const [one, two] = await Promise.all([consumeChallenge(db, right), consumeChallenge(db, right)]);
    expect([one, two].filter(Boolean)).toHaveLength(1);
    const won = (one ?? two)!;
    expect(won.matches(a.challenge)).toBe(true);
    expect(won.matches('something-else')).toBe(false);

    const late = await issueChallenge(db, { purpose: 'register', binding: 'b', userId: null, now });
    const after = { id: late.id, purpose: 'register' as const, binding: 'b', now: now + CHALLENGE_TTL_MS };
    expect(await consumeChallenge(db, after)).toBeUndefined();
  });

  it('refuses a credential id already bound to someone else (UNIQUE)', async () => {
    const db = rt.ctx.store.db;
    const now = rt.clock.now();
    const add = async (userId: string) => {
      const id = newId();
      await db
        .insertInto('authenticators')
        .values({
          id,
          user_id: userId,
          type: 'webauthn',
          state: 'active',
          name: null,
          serial: null,
          secret_enc: null,
          params: '{}',
          counter: null,
          created_at: now,
          updated_at: now,
          activated_at: now,
          last_used_at: null,
          expires_at: null,
          state_reason: null,
        })
        .execute();
      await webauthnCredentialsRepo.insert(db, {
        authenticator_id: id,
        user_id: userId,
        credential_id: 'same-credential-id',
        public_key: 'pk',
        sign_count: 0,
        aaguid: '00000000-0000-0000-0000-000000000000',
        transports: '[]',
        backup_eligible: 0,
        backup_state: 0,
        device_type: 'singleDevice',
        user_handle: 'h',
        user_verified: 1,
        created_at: now,
      });
      return id;
    };
    const alice = await createPerson(rt, 'wa-alice');
    const mallory = await createPerson(rt, 'wa-mallory');
    const id = await add(alice.id);
    await expect(add(mallory.id)).rejects.toThrow();
    expect((await webauthnCredentialsRepo.byCredentialId(db, 'same-credential-id'))?.user_id).toBe(alice.id);
    // The counter moves by compare-and-set from what was read: of two uses of one reading, one wins.
    const moves = await Promise.all([
      webauthnCredentialsRepo.recordUse(db, id, 0, 5, 0),
      webauthnCredentialsRepo.recordUse(db, id, 0, 5, 0),
    ]);
    expect(moves.filter(Boolean)).toHaveLength(1);
  });
});
