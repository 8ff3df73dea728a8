import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from 'oidc-provider';
import type { ProviderHolder } from './provider-holder.js';

/** What the sign-in pages need to know of the authorization request they serve. */
export interface InteractionView {
  uid: string;
  /** `login` (sign in) or `consent`. */
  prompt: string;
  reasons: string[];
  clientId: string;
  acrValues: string | undefined;
  loginHint: string | undefined;
  redirectUri: string | undefined;
  /** Scopes a consent page must ask for. */
  missingScopes: string[];
  /** The signed-in person of the browser's session (consent comes after sign-in). */
  accountId: string | undefined;
}

/** The result of a completed sign-in, as the ID token will carry it. */
export interface LoginResult {
  accountId: string;
  acr: string;
  amr: string[];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * The sign-in pages' view of oidc-provider: read the interaction this browser is in, and end it
 * with a login, a consent or an OAuth error. Interactions are found through their signed cookie,
 * so a page can only act on the sign-in of the browser that started it.
 */
export class SsoProtocol {
  constructor(private readonly holder: ProviderHolder) {}

  /** The browser's interaction, or undefined when it has none (expired, finished, no cookie). */
  async interaction(req: IncomingMessage, res: ServerResponse): Promise<InteractionView | undefined> {
    const provider = await this.holder.current();
    // No cookie, an expired or finished interaction: not found. Anything else is a real failure.
    const details = await provider.interactionDetails(req, res).catch((err: unknown) => {
      if (err instanceof errors.SessionNotFound) return undefined;
      throw err;
    });
    if (!details) return undefined;
    const params = details.params as Record<string, unknown>;
    const missing = (details.prompt.details as { missingOIDCScope?: unknown }).missingOIDCScope;
    return {
      uid: details.uid,
      prompt: details.prompt.name,
      reasons: details.prompt.reasons,
      clientId: String(params.client_id),
      acrValues: str(params.acr_values),
      loginHint: str(params.login_hint),
      redirectUri: str(params.redirect_uri),
      missingScopes: Array.isArray(missing) ? missing.map(String) : [],
      accountId: details.session?.accountId,
    };
  }

  /** Ends the interaction with a sign-in; the answer is where to send the browser. */
  async finishLogin(req: IncomingMessage, res: ServerResponse, login: LoginResult): Promise<string> {
    const provider = await this.holder.current();
    return provider.interactionResult(
      req,
      res,
      { login: { accountId: login.accountId, acr: login.acr, amr: login.amr, remember: true } },
      { mergeWithLastSubmission: false },
    );
  }

  /** Ends the interaction with an OAuth error for the client (access_denied, unmet_authentication_requirements). */
  async finishError(
    req: IncomingMessage,
    res: ServerResponse,
    error: string,
    description: string,
  ): Promise<string> {
    const provider = await this.holder.current();
    return provider.interactionResult(
      req,
      res,
      { error, error_description: description },
      { mergeWithLastSubmission: false },
    );
  }

  /** Grants what the consent page showed and ends the interaction. */
  async grantConsent(req: IncomingMessage, res: ServerResponse): Promise<string> {
    const provider = await this.holder.current();
    const details = await provider.interactionDetails(req, res);
    const accountId = details.session?.accountId;
    if (!accountId) throw new Error('consent without a signed-in session');
    const grant =
      (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
      new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    const prompt = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (prompt.missingOIDCScope) grant.addOIDCScope(prompt.missingOIDCScope.join(' '));
    if (prompt.missingOIDCClaims) grant.addOIDCClaims(prompt.missingOIDCClaims);
    const grantId = await grant.save();
    return provider.interactionResult(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
}
