import type { Context } from '../../context.js';
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
    const row = await oidcModelsRepo.find(this.ctx.store.db, KIND, uid);
    if (!row || (row.expires_at !== null && row.expires_at <= Date.now())) return undefined;
    return { state: JSON.parse(row.payload) as SignInState, version: row.payload };
  }

  /** Creates the state of a new sign-in (expiring with its interaction). */
  async create(uid: string, state: SignInState): Promise<LoadedState> {
    const payload = JSON.stringify(state);
    await oidcModelsRepo.upsert(this.ctx.store.db, {
      kind: KIND,
      id: uid,
      payload,
      grant_id: null,
      user_code: null,
      uid,
      account_id: null,
      expires_at: Date.now() + INTERACTION_TTL_SECONDS * 1000,
    });
    return { state, version: payload };
  }

  /** Moves the state on; false when another request moved it first. */
  async advance(uid: string, from: LoadedState, to: SignInState): Promise<boolean> {
    return oidcModelsRepo.replacePayload(this.ctx.store.db, KIND, uid, from.version, JSON.stringify(to));
  }

  async drop(uid: string): Promise<void> {
    await oidcModelsRepo.destroy(this.ctx.store.db, KIND, uid);
  }
}
