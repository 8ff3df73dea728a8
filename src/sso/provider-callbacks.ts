import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Store } from '../store/open-store.js';
import { usersRepo } from '../store/repos/users.js';

/** The first-party flag the adapter adds to each client's metadata. */
function firstParty(ctx: KoaContextWithOIDC): boolean {
  return (ctx.oidc.client as unknown as { first_party?: boolean } | undefined)?.first_party === true;
}

/**
 * The existing grant, or for a first-party client a grant of what it asks for (no consent page
 * for the organisation's own applications). Third-party clients go through consent.
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const client = oidc.client!;
  const accountId = oidc.session!.accountId!;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (grant && grant.accountId !== accountId) grant = undefined;
  if (!firstParty(ctx)) return grant;
  grant ??= new oidc.provider.Grant({ clientId: client.clientId, accountId });
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  const claims = [...oidc.requestParamClaims];
  if (claims.length) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}

/**
 * Claims of an active person (anyone else has no account as far as OIDC goes). oidc-provider
 * asks several times per sign-in (resuming it, redeeming its code): one read of the person's
 * committed row each time, so a person disabled on any instance has no account at once.
 */
export function findAccount(store: Store): Configuration['findAccount'] {
  return async (_ctx, sub) => {
    const person = await usersRepo.byId(store.reader, sub).catch(() => undefined);
    if (person?.status !== 'active') return undefined;
    return {
      accountId: person.id,
      async claims() {
        return {
          sub: person.id,
          preferred_username: person.username,
          ...(person.display_name ? { name: person.display_name } : {}),
          ...(person.email ? { email: person.email } : {}),
        };
      },
    };
  };
}
