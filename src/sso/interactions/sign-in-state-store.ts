import type { Context } from '../../context.js';
import type { Db } from '../../store/open-store.js';
import { oidcModelsRepo } from '../../store/repos/oidc-models.js';
import { requiredAal } from '../acr-amr.js';
import { FLOOR_AAL } from '../interaction-policy.js';
import type { InteractionView } from '../protocol.js';
import { INTERACTION_TTL_SECONDS } from '../token-lifetimes.js';
import { type SignInState, startSignIn } from './sign-in-flow.js';

/** The sign-in flow's state, keyed by the oidc-provider interaction it belongs to. */
const KIND = 'SignIn';

/** A loaded state and the exact text it was read as (the compare-and-set's expectation). */
export interface LoadedState {
  state: SignInState;
  /** null: the sign-in's first state, not saved yet (its first step inserts it, if still absent). */
  version: string | null;
}

/** The first state of the sign-in an interaction asks for (the level its acr_values require). */
export function newSignIn(view: InteractionView, clientName?: string): SignInState {
  return {
    ...startSignIn(requiredAal(view.acrValues, FLOOR_AAL)),
    ...(clientName === undefined ? {} : { clientName }),
  };
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

  /**
   * The sign-in's saved state, else `start()` unsaved: showing a page writes nothing, and the
   * first step that moves the sign-in on saves it.
   */
  async current(uid: string, start: () => SignInState | Promise<SignInState>): Promise<LoadedState> {
    return (await this.load(uid)) ?? { state: await start(), version: null };
  }

  /** Moves the state on; false when another request moved it first (or saved the first state first). */
  async advance(uid: string, from: LoadedState, to: SignInState): Promise<boolean> {
    const payload = JSON.stringify(to);
    const version = from.version;
    const now = Date.now();
    return this.ctx.store.groupCommit((trx) =>
      version === null
        ? oidcModelsRepo.insertIfAbsent(
            trx,
            {
              kind: KIND,
              id: uid,
              payload,
              grant_id: null,
              user_code: null,
              uid,
              account_id: null,
              expires_at: now + INTERACTION_TTL_SECONDS * 1000,
            },
            now,
          )
        : oidcModelsRepo.replacePayload(trx, KIND, uid, version, payload),
    );
  }

  /** Ends a sign-in's state (no commit at all for one never saved). */
  async drop(uid: string, loaded?: LoadedState): Promise<void> {
    if (loaded?.version === null) return;
    await this.ctx.store.groupCommit((trx) => this.dropIn(trx, uid));
  }

  /**
   * Drops the state inside a caller's transaction (with the audit event that ends the sign-in);
   * nothing to do for one never saved.
   */
  async dropIn(trx: Db, uid: string, loaded?: LoadedState): Promise<void> {
    if (loaded?.version === null) return;
    await oidcModelsRepo.destroy(trx, KIND, uid);
  }
}
