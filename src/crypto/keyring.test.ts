import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.js';
import { createTestRuntime, TEST_MASTER_KEY, type TestRuntime } from '../../test/support/runtime.js';
import { sealedKeyId } from './envelope.js';
import { Keyring } from './keyring.js';

const MASTER = Buffer.from(TEST_MASTER_KEY, 'base64');

/** Another instance's keyring and `keys rotate` elsewhere: values name their key, readers fetch it. */
describe.each(DIALECTS)('keyring across instances on %s', (dialect) => {
  let rt: TestRuntime;
  beforeEach(async () => {
    rt = await createTestRuntime(dialect);
  });
  afterEach(async () => rt.dispose());

  it('opens a value sealed under a key made after it loaded, then seals under that key', async () => {
    const other = new Keyring(rt.ctx.store, MASTER);
    await other.load(rt.clock.now());
    const oldKid = other.currentKeyId;
    const { keyId } = await rt.services.keys.rotate({ label: 'test' });
    expect(keyId).not.toBe(oldKid);
    const sealed = rt.ctx.keyring.encrypt(Buffer.from('seed'), 'aad');
    expect(sealedKeyId(sealed)).toBe(keyId);
    // Until it meets the new key the other instance seals under its old one, which stays readable.
    const stale = other.encrypt(Buffer.from('late'), 'aad');
    expect(sealedKeyId(stale)).toBe(oldKid);
    expect((await rt.ctx.keyring.decrypt(stale, 'aad')).toString()).toBe('late');
    expect((await other.decrypt(sealed, 'aad')).toString()).toBe('seed');
    expect(other.currentKeyId).toBe(keyId);
    expect(sealedKeyId(other.encrypt(Buffer.from('x'), 'aad'))).toBe(keyId);
  });

  it('fetches an unknown key without waiting for a write transaction the caller holds', async () => {
    await rt.services.keys.rotate({ label: 'test' });
    const sealed = rt.ctx.keyring.encrypt(Buffer.from('inside'), 'aad');
    const fresh = new Keyring(rt.ctx.store, MASTER);
    // A keyring that loaded before the rotation, asked inside an open transaction (on SQLite
    // the one writer connection): the key is read on the reader, not behind the transaction.
    await rt.ctx.store.transaction(async () => {
      expect((await fresh.decrypt(sealed, 'aad')).toString()).toBe('inside');
    });
  });

  it('refuses a key id that does not exist with an error naming it', async () => {
    const sealed = rt.ctx.keyring.encrypt(Buffer.from('x'), 'aad').replace(/^v1\.[^.]+\./, 'v1.dek-missing.');
    await expect(rt.ctx.keyring.decrypt(sealed, 'aad')).rejects.toThrow('unknown data key dek-missing');
  });
});
