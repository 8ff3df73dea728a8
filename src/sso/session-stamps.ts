import type { AdapterPayload } from 'oidc-provider';
import type { Store } from '../store/open-store.js';
import { oidcModelsRepo } from '../store/repos/oidc-models.js';
import type { OidcModelRow } from '../store/schema.js';
import { key, plausible } from './model-ids.js';

/*
 * The runtime-clock stamps the adapter keeps in a stored SSO session (see SessionAging in
 * adapter.ts). Free of oidc-provider at run time, so policy code can read them without loading it.
 */

/** The runtime-clock stamps kept beside a stored session's payload. */
export interface SessionStamps {
  signedInAt?: number;
  seenAt?: number;
}

export const STAMPS = '_portcullis';

export function stampsOf(row: OidcModelRow | undefined): (SessionStamps & AdapterPayload) | undefined {
  if (!row) return undefined;
  const payload = JSON.parse(row.payload) as AdapterPayload & { [STAMPS]?: SessionStamps };
  return { ...payload, ...payload[STAMPS] };
}

/** When a stored session's sign-in happened, in ms of the runtime clock (SessionAging); undefined when unknown. */
export async function sessionSignedInAt(store: Store, sessionId: string): Promise<number | undefined> {
  if (!plausible(sessionId)) return undefined;
  return stampsOf(await oidcModelsRepo.find(store.db, 'Session', key(sessionId)))?.signedInAt;
}
