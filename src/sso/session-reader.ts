import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProviderHolder } from './provider-holder.js';

/** The browser's SSO session as the self-service portal needs it. */
export interface SsoSession {
  /** Stable for the session's life (rotation changes its id, not this): binds CSRF tokens and challenges. */
  uid: string;
  accountId: string;
  acr: string | undefined;
  amr: string[];
  /** When the person last authenticated (epoch seconds, oidc-provider's clock). */
  loginTs: number;
}

/**
 * Reads the OIDC provider's session for a request (its signed session cookie), so pages outside
 * the provider (the /account portal) know who is signed in, how strongly and since when.
 */
export class SsoSessionReader {
  constructor(private readonly holder: ProviderHolder) {}

  /**
   * The signed-in session of this browser, or undefined (none, past its idle or overall limit on
   * the runtime's clock, signed out). Reading it is a use: its idle time starts again.
   */
  async read(req: IncomingMessage, res: ServerResponse): Promise<SsoSession | undefined> {
    const provider = await this.holder.current();
    const koa = provider.createContext(req, res);
    const session = await provider.Session.get(koa);
    if (!session.accountId || session.loginTs === undefined) return undefined;
    await session.persist();
    return {
      uid: session.uid,
      accountId: session.accountId,
      acr: session.acr,
      amr: session.amr ?? [],
      loginTs: session.loginTs,
    };
  }
}
