/** Every absolute URL in a text (any scheme). */
export function urlsIn(text: string): string[] {
  return text.match(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi) ?? [];
}

/** Undoes the numeric character references (and &amp;) that HTML escaping puts in. */
export function decodeCharRefs(html: string): string {
  return html.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}

/** Every href in an HTML document, decoded. */
export function hrefsIn(html: string): string[] {
  return [...html.matchAll(/href\s*=\s*"([^"]*)"/gi)].map((m) => decodeCharRefs(m[1]!));
}
