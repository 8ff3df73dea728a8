import type { FastifyInstance } from 'fastify';
import * as oidc from 'openid-client';
import { freePort } from './server-process.js';
import { createTestRuntime, type TestRuntime } from './runtime.js';
import type { Dialect } from './databases.js';

/** A fetch-level browser: a manual cookie jar, redirects followed by hand, forms read from the HTML. */
export class Browser {
  readonly cookies = new Map<string, string>();

  /** `transport` defaults to real HTTP (fetch); tests over app.inject pass their own. */
  constructor(
    readonly base: string,
    private readonly transport: (url: URL, init: RequestInit) => Promise<Response> = (url, init) =>
      fetch(url, init),
  ) {}

  /** One request, no redirect following; cookies are stored and sent. */
  async request(url: string | URL, init: { method?: string; form?: Record<string, string> } = {}) {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await this.transport(new URL(url, this.base), {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (!value || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return {
      status: res.status,
      location: res.headers.get('location'),
      headers: res.headers,
      setCookies: res.headers.getSetCookie(),
      body: await res.text(),
    };
  }

  /** Follows same-origin redirects; stops at a page or at a redirect to another origin (the relying party). */
  async go(url: string | URL, init: { form?: Record<string, string> } = {}) {
    let res = await this.request(url, init);
    for (let hops = 0; hops < 10 && res.location; hops++) {
      const next = new URL(res.location, this.base);
      if (next.origin !== new URL(this.base).origin || next.pathname === '/cb') return res;
      res = await this.request(next);
    }
    return res;
  }

  /** Submits the page's form posting to `action` (ending), with its hidden fields plus `fields`. */
  async submit(page: { body: string }, action: string, fields: Record<string, string> = {}) {
    const form = forms(page.body).find((f) => f.action.endsWith(`/${action}`));
    if (!form) throw new Error(`no form posting to ${action} in:\n${page.body}`);
    return this.go(form.action, { form: { ...form.fields, ...fields } });
  }
}

function decode(s: string): string {
  return s.replace(/&#(\d+);/g, (_m, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}

/** The page's POST forms: action and hidden fields. */
export function forms(html: string): Array<{ action: string; fields: Record<string, string> }> {
  const out: Array<{ action: string; fields: Record<string, string> }> = [];
  for (const m of html.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const i of m[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
      fields[i[1]!] = decode(i[2]!);
    out.push({ action: decode(m[1]!), fields });
  }
  return out;
}

/** A runtime whose app listens on a real port, with PUBLIC_URL (the issuer) set to it. */
export async function listeningRuntime(
  dialect: Dialect,
  env: Record<string, string> = {},
): Promise<TestRuntime & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const rt = await createTestRuntime(dialect, { env: { PUBLIC_URL: url, ...env } });
  const app = await rt.app();
  await app.listen({ port, host: '127.0.0.1' });
  return Object.assign(rt, { url });
}

export const REDIRECT_PATH = '/cb';

/** A registered client and openid-client's configuration for it (ID token signatures checked against the JWKS). */
export async function relyingParty(rt: TestRuntime & { url: string }, body: Record<string, unknown> = {}) {
  const redirectUri = `${rt.url}${REDIRECT_PATH}`;
  const created = await rt.services.sso.clients.create(
    { label: 'test' },
    { name: 'Test App', redirectUris: [redirectUri], ...body },
  );
  const auth = created.clientSecret ? oidc.ClientSecretBasic(created.clientSecret) : oidc.None();
  const config = await oidc.discovery(new URL(rt.url), created.clientId, undefined, auth, {
    execute: [oidc.allowInsecureRequests],
  });
  oidc.enableNonRepudiationChecks(config);
  return { config, clientId: created.clientId, clientSecret: created.clientSecret, redirectUri };
}

/** The SSO tests' common setup: a listening runtime, an admin token and a registered relying party. */
export interface SsoSetup {
  rt: TestRuntime & { url: string };
  admin: string;
  rp: Awaited<ReturnType<typeof relyingParty>>;
}

export async function ssoSetup(dialect: Dialect): Promise<SsoSetup> {
  const rt = await listeningRuntime(dialect);
  return { rt, admin: await rt.token('admin'), rp: await relyingParty(rt) };
}

/** Starts an authorization request with PKCE S256; `finish` redeems the redirect for tokens. */
export async function authorize(
  rp: Awaited<ReturnType<typeof relyingParty>>,
  extra: Record<string, string> = {},
) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp.config, {
    redirect_uri: rp.redirectUri,
    scope: 'openid profile email',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  return {
    url,
    verifier,
    state,
    finish: (location: string) =>
      oidc.authorizationCodeGrant(rp.config, new URL(location), {
        pkceCodeVerifier: verifier,
        expectedState: state,
      }),
  };
}

/** The claims of a JWT, and its header (no verification: openid-client did that). */
export function decodeJwt(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h = '', p = ''] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    claims: JSON.parse(Buffer.from(p, 'base64url').toString()),
  };
}

/** A whole password + TOTP sign-in in a fresh browser; returns the tokens (ID token checked by openid-client). */
export async function signInWithTotp(
  rt: TestRuntime & { url: string },
  rp: Awaited<ReturnType<typeof relyingParty>>,
  username: string,
  password: string,
  code: () => string,
  extra: Record<string, string> = {},
) {
  const req = await authorize(rp, extra);
  const browser = new Browser(rt.url);
  const second = await browser.submit(await browser.go(req.url), 'password', { username, password });
  const back = await browser.submit(second, 'otp', { code: code() });
  if (!back.location?.includes('code=')) throw new Error(`sign-in did not complete:\n${back.body}`);
  return { browser, tokens: await req.finish(back.location) };
}

/** A transport that sends a browser's requests through app.inject (for a PUBLIC_URL nothing listens on). */
export function injectTransport(app: FastifyInstance) {
  return async (url: URL, init: RequestInit): Promise<Response> => {
    const res = await app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: url.pathname + url.search,
      headers: { ...(init.headers as Record<string, string>), host: url.host },
      payload: init.body as string | undefined,
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      for (const one of [v ?? []].flat()) headers.append(k, String(one));
    }
    return new Response(res.statusCode === 204 || res.statusCode === 304 ? null : res.body, {
      status: res.statusCode,
      headers,
    });
  };
}
