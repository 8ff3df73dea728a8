import { isIP } from 'node:net';

/** Who the passkeys are for: the relying party id (a host name), its name, and the one origin. */
export interface RelyingParty {
  id: string;
  name: string;
  origin: string;
}

/**
 * The relying party from PUBLIC_URL (CONTRACT.md): its host name is the RP id and its origin the
 * only origin a ceremony may come from. Browsers refuse WebAuthn on an IP address, so such a
 * PUBLIC_URL gets `usable: false` and the pages do not offer passkeys.
 */
export function relyingPartyOf(publicUrl: string, orgName: string): RelyingParty & { usable: boolean } {
  const url = new URL(publicUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { id: host, name: orgName, origin: url.origin, usable: isIP(host) === 0 };
}
