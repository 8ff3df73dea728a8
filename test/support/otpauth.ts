/** An `otpauth://` URI's fields, read back as authenticator apps read them. */
export interface ParsedOtpauth {
  type: string;
  issuer: string;
  account: string;
  /** The `issuer` parameter (apps prefer it to the label's prefix). */
  issuerParam: string | null;
  params: Record<string, string>;
}

/**
 * Parses a Key URI with the WHATWG URL parser: the label is split at its one bare ":" before
 * percent-decoding (a ":" inside the issuer or account arrives as `%3A`), then each part decoded.
 */
export function parseOtpauthUri(uri: string): ParsedOtpauth {
  const url = new URL(uri);
  if (url.protocol !== 'otpauth:') throw new Error(`not an otpauth URI: ${uri}`);
  const label = url.pathname.replace(/^\//, '');
  const colons = label.split(':').length - 1;
  if (colons !== 1) throw new Error(`the label must have exactly one bare ":" (found ${colons}): ${label}`);
  const [issuer, account] = label.split(':').map(decodeURIComponent) as [string, string];
  return {
    type: url.host,
    issuer,
    account,
    issuerParam: url.searchParams.get('issuer'),
    params: Object.fromEntries(url.searchParams),
  };
}
