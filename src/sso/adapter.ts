import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Keyring } from '../crypto/keyring.js';
import type { Clock } from '../shared/clock.js';
import type { Db, Store } from '../store/open-store.js';
import { oidcClientsRepo } from '../store/repos/oidc-clients.js';
import { oidcModelsRepo } from '../store/repos/oidc-models.js';
import type { OidcClientRow, OidcModelRow } from '../store/schema.js';
import { aalOfAcr } from './acr-amr.js';
import { clientSecretAad } from './client-service.js';
import { key, plausible } from './model-ids.js';
import { type SessionLimits, sessionAlive } from './session-limits.js';
import { STAMPS, type SessionStamps, stampsOf } from './session-stamps.js';

/**
 * oidc-provider's clock is the system clock (token `exp`, session `loginTs`), so the expiry of
 * its artifacts follows it too; Portcullis' own rules keep reading ctx.clock.
 */
const systemNow = () => Date.now();

/** The payload as stored: without its id (`jti`), and without the session cookie an interaction copies. */
function forStorage(payload: AdapterPayload): AdapterPayload {
  const { jti: _jti, ...rest } = payload;
  if (rest.session && typeof rest.session === 'object' && 'cookie' in rest.session) {
    const { cookie: _cookie, ...session } = rest.session as Record<string, unknown>;
    return { ...rest, session } as AdapterPayload;
  }
  return rest;
}

/**
 * SSO sessions age on the runtime's clock (ctx.clock), not oidc-provider's: each stored session
 * carries when its sign-in happened and when it was last used, in ms of that clock.
 */
export interface SessionAging {
  clock: Clock;
  limits: SessionLimits;
}

function toPayload(row: OidcModelRow | undefined, id?: string): AdapterPayload | undefined {
  if (!row) return undefined;
  const { [STAMPS]: _stamps, ...payload } = JSON.parse(row.payload) as AdapterPayload & {
    [STAMPS]?: SessionStamps;
  };
  if (id !== undefined) payload.jti = id;
  return row.consumed_at === null ? payload : { ...payload, consumed: Math.floor(row.consumed_at / 1000) };
}

/** Every model but clients, stored by kind and id in `oidc_models`. */
/** Told when a lost consume race revoked a grant (so it is audited like any reuse). */
export type OnReuse = (grantId: string, accountId: string | null) => void;

class ModelAdapter implements Adapter {
  constructor(
    private readonly kind: string,
    private readonly store: Store,
    private readonly onReuse: OnReuse,
    /** Set for sessions: their idle and overall limits are checked on this clock. */
    private readonly aging?: SessionAging,
  ) {}

  /**
   * Writes go through group commit: the writes of concurrent requests (a token, a session save)
   * share one transaction and one fsync, and each still resolves only once it is durable.
   */
  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const stored: Record<string, unknown> = forStorage(payload);
    const expiresAt = typeof expiresIn === 'number' ? systemNow() + expiresIn * 1000 : null;
    await this.store.groupCommit(async (trx) => {
      if (this.aging) stored[STAMPS] = await this.stamp(trx, id, payload);
      await oidcModelsRepo.upsert(trx, {
        kind: this.kind,
        id: key(id),
        payload: JSON.stringify(stored),
        grant_id: payload.grantId ?? null,
        user_code: payload.userCode ?? null,
        uid: payload.uid ?? null,
        account_id: payload.accountId ?? null,
        expires_at: expiresAt,
      });
    });
  }

  /**
   * Reads go to `store.reader` (committed data; on SQLite a connection that never waits behind a
   * group commit): every write of ours resolves only once committed, and consuming re-checks in
   * its own conditional UPDATE.
   */
  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!plausible(id)) return undefined;
    return toPayload(this.alive(await oidcModelsRepo.find(this.store.reader, this.kind, key(id))), id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    if (!plausible(uid)) return undefined;
    return toPayload(this.alive(await oidcModelsRepo.findByUid(this.store.reader, this.kind, uid)));
  }

  /**
   * Every save of a session is a use of it (oidc-provider saves it on each request it serves):
   * `seenAt` is now; `signedInAt` is kept while the stored sign-in (person and loginTs) is the
   * same one, and is now for a new sign-in.
   */
  private async stamp(trx: Db, id: string, payload: AdapterPayload): Promise<SessionStamps> {
    const now = this.aging!.clock.now();
    if (!payload.accountId) return { seenAt: now };
    const before = stampsOf(await oidcModelsRepo.find(trx, this.kind, key(id)));
    const same =
      before?.signedInAt !== undefined &&
      before.accountId === payload.accountId &&
      before.loginTs === payload.loginTs;
    return { signedInAt: same ? before.signedInAt : now, seenAt: now };
  }

  /** A session past its idle or overall limit on the runtime's clock is as good as gone. */
  private alive(row: OidcModelRow | undefined): OidcModelRow | undefined {
    if (!row || !this.aging) return row;
    const s = stampsOf(row)!;
    if (s.seenAt === undefined) return row;
    const sec = (ms: number) => Math.floor(ms / 1000);
    const live = sessionAlive(
      this.aging.limits,
      s.accountId ? aalOfAcr(s.acr) : 0,
      { signedInAt: s.signedInAt === undefined ? undefined : sec(s.signedInAt), seenAt: sec(s.seenAt) },
      sec(this.aging.clock.now()),
    );
    return live ? row : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    if (!plausible(userCode)) return undefined;
    return toPayload(await oidcModelsRepo.findByUserCode(this.store.reader, this.kind, userCode));
  }

  /**
   * Consumes a code or refresh token with a conditional UPDATE. oidc-provider checked it was
   * unconsumed just before; if the update finds it consumed after all, another request (on any
   * instance) redeemed it in between: that is reuse, so the whole grant is revoked and this
   * request fails with invalid_grant, exactly as for a sequential reuse.
   */
  async consume(id: string): Promise<void> {
    const lost = await this.store.groupCommit(async (trx) => {
      if (await oidcModelsRepo.consume(trx, this.kind, key(id), systemNow())) return undefined;
      const row = await oidcModelsRepo.find(trx, this.kind, key(id));
      if (row?.grant_id) await oidcModelsRepo.revokeGrant(trx, row.grant_id, key(row.grant_id));
      return { grantId: row?.grant_id ?? null, accountId: row?.account_id ?? null };
    });
    if (lost) {
      if (lost.grantId) this.onReuse(lost.grantId, lost.accountId);
      throw new errors.InvalidGrant(`${this.kind} already consumed`);
    }
  }

  async destroy(id: string): Promise<void> {
    if (plausible(id)) await this.store.groupCommit((trx) => oidcModelsRepo.destroy(trx, this.kind, key(id)));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.store.groupCommit((trx) => oidcModelsRepo.revokeByGrantId(trx, this.kind, grantId));
  }
}

/** Most clients whose opened metadata an instance keeps (a deployment registers far fewer). */
const OPENED_CLIENTS_MAX = 1_000;

/** A client as last opened, with the stored row it came from. */
interface OpenedClient {
  metadata: string;
  firstParty: number;
  payload: AdapterPayload;
}

/**
 * Clients come from `oidc_clients` (registered by the CLI or the admin API), with the sealed
 * secret opened for oidc-provider, which compares it in constant time. Dynamic registration is
 * off, so oidc-provider never writes clients.
 *
 * oidc-provider looks the client up on every token request. The row is read every time (one
 * indexed read of committed data), so a client removed or changed on any instance is seen at
 * once; only opening it (parsing, decrypting the secret) is kept per instance, and reused while
 * the stored row is exactly the one it was opened from — a rotated secret, re-sealed data key
 * or any other change makes the row differ and opens it again.
 */
class ClientAdapter implements Adapter {
  private readonly opened = new Map<string, OpenedClient>();

  constructor(
    private readonly store: Store,
    private readonly keyring: Keyring,
  ) {}

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!plausible(id)) return undefined;
    const row = await oidcClientsRepo.byId(this.store.reader, id);
    if (!row) {
      this.opened.delete(id);
      return undefined;
    }
    const cached = this.opened.get(id);
    if (cached && cached.metadata === row.metadata && cached.firstParty === row.first_party) {
      return { ...cached.payload };
    }
    const payload = await this.open(row);
    if (this.opened.size >= OPENED_CLIENTS_MAX) this.opened.delete(this.opened.keys().next().value!);
    this.opened.set(id, { metadata: row.metadata, firstParty: row.first_party, payload });
    return { ...payload };
  }

  private async open(row: OidcClientRow): Promise<AdapterPayload> {
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
export function storeAdapter(
  store: Store,
  keyring: Keyring,
  onReuse: OnReuse = () => {},
  sessions?: SessionAging,
): AdapterFactory {
  return (name) =>
    name === 'Client'
      ? new ClientAdapter(store, keyring)
      : new ModelAdapter(name, store, onReuse, name === 'Session' ? sessions : undefined);
}
