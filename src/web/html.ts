/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Tags a template literal as HTML, escaping every interpolated value unless it is `raw()`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce((out, s, i) => {
    const v = i < values.length ? values[i] : '';
    const text = v instanceof RawHtml ? v.value : escapeHtml(String(v ?? ''));
    return out + s + (i < values.length ? text : '');
  }, '');
}

class RawHtml {
  constructor(readonly value: string) {}
}

/** Marks already-safe HTML so html`` does not escape it. */
export function raw(value: string): RawHtml {
  return new RawHtml(value);
}

/** Options of the page frame. */
export interface PageOptions {
  /** CSP nonce for the frame's <style> (pages served with a nonce-based CSP). */
  nonce?: string;
}

/** The shared page frame: the organisation's name, a strict CSP, no scripts unless a page adds one. */
export function page(title: string, org: string, body: string, opts: PageOptions = {}): string {
  const nonce = opts.nonce ? ` nonce="${escapeHtml(opts.nonce)}"` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · ${escapeHtml(org)}</title>
<style${nonce}>
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1c2330;margin:0}
main{max-width:30rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:.75rem;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin-top:0}label{display:block;margin:.75rem 0 .25rem;font-weight:600}
button{background:#2450d3;color:#fff;border:0;border-radius:.4rem;padding:.6rem 1.1rem;font-size:1rem;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #f0b400;outline-offset:2px}
code,pre{background:#eef0f4;padding:.2rem .4rem;border-radius:.3rem;word-break:break-all;white-space:pre-wrap}
.org{color:#56607a;font-size:.9rem;margin-bottom:1rem}
input{box-sizing:border-box;width:100%;padding:.6rem;font-size:1rem;border:1px solid #b8bfcc;border-radius:.4rem}
form button{margin-top:1rem}button.link{background:none;color:#2450d3;padding:0;text-decoration:underline}
.error{background:#fdecec;color:#8a1c1c;border-left:4px solid #c62828;padding:.6rem .8rem;border-radius:.3rem}
button.secondary{background:#fff;color:#2450d3;border:1px solid #2450d3}button:disabled{opacity:.6;cursor:progress}
h2{font-size:1.05rem;margin:1.5rem 0 .25rem}.or{display:flex;align-items:center;gap:.75rem;color:#56607a;font-size:.9rem;margin:1.25rem 0 0}
.or::before,.or::after{content:"";flex:1;border-top:1px solid #dfe3ea}
.muted{color:#56607a;font-size:.9rem}.qr{display:block;width:12rem;height:12rem;margin:1rem auto}
</style></head>
<body><main><div class="org">${escapeHtml(org)}</div>${body}</main></body></html>`;
}
