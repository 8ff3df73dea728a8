import type { Context } from '../../context.js';
import type { Db } from '../../store/open-store.js';
import { oidcModelsRepo } from '../../store/repos/oidc-models.js';
import { INTERACTION_TTL_SECONDS } from '../token-lifetimes.js';
import type { SignInState } from './sign-in-flow.js';

/** The sign-in flow's state, keyed by the oidc-provider interaction it belongs to. */
const KIND = 'SignIn';

/** A loaded state and the exact text it was read as (the compare-and-set's expectation). */
export interface LoadedState {
  state: SignInState;
  version: string;
}

/**
 * Sign-in states in the database (never in memory: any instance serves the next step). A step
 * saves with compare-and-set against what it read, so of two concurrent submissions of one
 * step only one moves the sign-in on.
 */
export class SignInStateStore {
  constructor(private readonly ctx: Context) {}

  async load(uid: string): Promise<LoadedState | undefined> {
    // Committed data, off the writer: a step's save is a compare-and-set against what it read.
    const row = await oidcModelsRepo.find(this.ctx.store.reader, KIND, uid);
    if (!row || (row.expires_at !== null && row.expires_at <= Date.now())) return undefined;
    return { state: JSON.parse(row.payload) as SignInState, version: row.payload };
  }

  /** Creates the state of a new sign-in (expiring with its interaction). */
  async create(uid: string, state: SignInState): Promise<LoadedState> {
    const payload = JSON.stringify(state);
    const expiresAt = Date.now() + INTERACTION_TTL_SECONDS * 1000;
    // Group commit: shares its fsync with the writes of other sign-ins (resolves once durable).
    await this.ctx.store.groupCommit((trx) =>
      oidcModelsRepo.upsert(trx, {
        kind: KIND,
        id: uid,
        payload,
        grant_id: null,
        user_code: null,
        uid,
        account_id: null,
        expires_at: expiresAt,
      }),
    );
    return { state, version: payload };
  }

  /** Moves the state on; false when another request moved it first. */
  async advance(uid: string, from: LoadedState, to: SignInState): Promise<boolean> {
    const payload = JSON.stringify(to);
    return this.ctx.store.groupCommit((trx) =>
      oidcModelsRepo.replacePayload(trx, KIND, uid, from.version, payload),
    );
  }

  async drop(uid: string): Promise<void> {
    await this.ctx.store.groupCommit((trx) => this.dropIn(trx, uid));
  }

  /** Drops the state inside a caller's transaction (with the audit event that ends the sign-in). */
  async dropIn(trx: Db, uid: string): Promise<void> {
    await oidcModelsRepo.destroy(trx, KIND, uid);
  }
}
