import { secureRandomBytes } from '../../crypto/random.js';

/** A fresh CSP nonce (128 bits) for one response. */
export function newNonce(): string {
  return secureRandomBytes(16).toString('base64');
}

function origins(uris: readonly string[]): string[] {
  const out = new Set<string>();
  for (const u of uris) {
    const parsed = URL.parse(u);
    if (parsed && (parsed.protocol === 'https:' || parsed.protocol === 'http:')) out.add(parsed.origin);
  }
  return [...out];
}

/**
 * Headers for every sign-in page: a nonce-based CSP (only this response's nonce'd scripts run:
 * the passkey pages' own script and the locally served WebAuthn bundle; they may fetch only
 * from this origin), no framing, no referrer (step URLs carry the interaction id).
 * `formTargets`: where a form submission may end up after its redirects (the client's
 * redirect URI), since browsers apply form-action to the whole redirect chain.
 */
export function securityHeaders(nonce: string, formTargets: readonly string[] = []): Record<string, string> {
  const formAction = ["'self'", ...origins(formTargets)].join(' ');
  return {
    'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; connect-src 'self'; style-src 'nonce-${nonce}'; img-src data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
}
