import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Keyring } from '../crypto/keyring.js';
import type { Store } from '../store/open-store.js';
import { oidcClientsRepo } from '../store/repos/oidc-clients.js';
import { oidcModelsRepo } from '../store/repos/oidc-models.js';
import type { OidcModelRow } from '../store/schema.js';
import { clientSecretAad } from './client-service.js';

/**
 * oidc-provider's clock is the system clock (token `exp`, session `loginTs`), so the expiry of
 * its artifacts follows it too; Portcullis' own rules keep reading ctx.clock.
 */
const systemNow = () => Date.now();

function toPayload(row: OidcModelRow | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  const payload = JSON.parse(row.payload) as AdapterPayload;
  return row.consumed_at === null ? payload : { ...payload, consumed: Math.floor(row.consumed_at / 1000) };
}

/** Every model but clients, stored by kind and id in `oidc_models`. */
class ModelAdapter implements Adapter {
  constructor(
    private readonly kind: string,
    private readonly store: Store,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await oidcModelsRepo.upsert(this.store.db, {
      kind: this.kind,
      id,
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      user_code: payload.userCode ?? null,
      uid: payload.uid ?? null,
      account_id: payload.accountId ?? null,
      expires_at: typeof expiresIn === 'number' ? systemNow() + expiresIn * 1000 : null,
    });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return toPayload(await oidcModelsRepo.find(this.store.db, this.kind, id));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return toPayload(await oidcModelsRepo.findByUid(this.store.db, this.kind, uid));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return toPayload(await oidcModelsRepo.findByUserCode(this.store.db, this.kind, userCode));
  }

  /**
   * Consumes a code or refresh token with a conditional UPDATE. oidc-provider checked it was
   * unconsumed just before; if the update finds it consumed after all, another request (on any
   * instance) redeemed it in between: that is reuse, so the whole grant is revoked and this
   * request fails with invalid_grant, exactly as for a sequential reuse.
   */
  async consume(id: string): Promise<void> {
    const lostRace = await this.store.transaction(async (trx) => {
      if (await oidcModelsRepo.consume(trx, this.kind, id, systemNow())) return false;
      const row = await oidcModelsRepo.find(trx, this.kind, id);
      if (row?.grant_id) await oidcModelsRepo.revokeGrant(trx, row.grant_id);
      return true;
    });
    if (lostRace) throw new errors.InvalidGrant(`${this.kind} already consumed`);
  }

  async destroy(id: string): Promise<void> {
    await oidcModelsRepo.destroy(this.store.db, this.kind, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await oidcModelsRepo.revokeByGrantId(this.store.db, this.kind, grantId);
  }
}

/**
 * Clients come from `oidc_clients` (registered by the CLI or the admin API), with the sealed
 * secret opened for oidc-provider, which compares it in constant time. Dynamic registration is
 * off, so oidc-provider never writes clients.
 */
class ClientAdapter implements Adapter {
  constructor(
    private readonly store: Store,
    private readonly keyring: Keyring,
  ) {}

  async find(id: string): Promise<AdapterPayload | undefined> {
    const row = await oidcClientsRepo.byId(this.store.db, id);
    if (!row) return undefined;
    const { client_secret_enc: sealed, ...metadata } = JSON.parse(row.metadata) as Record<string, unknown>;
    const secret =
      typeof sealed === 'string'
        ? (await this.keyring.decrypt(sealed, clientSecretAad(row.client_id))).toString('utf8')
        : undefined;
    return {
      ...metadata,
      ...(secret ? { client_secret: secret } : {}),
      first_party: row.first_party === 1,
    } as AdapterPayload;
  }

  async upsert(): Promise<void> {
    throw new Error('clients are registered through Portcullis, not by oidc-provider');
  }

  async destroy(): Promise<void> {
    throw new Error('clients are removed through Portcullis, not by oidc-provider');
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(): Promise<void> {}

  async revokeByGrantId(): Promise<void> {}
}

/** The adapter factory oidc-provider calls once per model name; both dialects through the store. */
export function storeAdapter(store: Store, keyring: Keyring): AdapterFactory {
  return (name) => (name === 'Client' ? new ClientAdapter(store, keyring) : new ModelAdapter(name, store));
}
