import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import type { TestRuntime } from './support/runtime.js';
import { listeningRuntime } from './support/sso.js';

/** `GET /api/v1/audit/events`: the whole trail as JSON lines, streamed page by page. */
describe.each(DIALECTS)('audit export over HTTP on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  let auditor: string;
  const EVENTS = 1_234;

  const get = (path: string, token = auditor) =>
    fetch(`${rt.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    rt = await listeningRuntime(dialect);
    auditor = await rt.token('auditor');
    // More events than one page of the store (5,000 is the page; chunks are 500 lines).
    await rt.ctx.store.transaction((trx) =>
      rt.ctx.audit.append(
        trx,
        { label: 'test' },
        ...Array.from({ length: EVENTS }, (_, i) => ({
          action: 'test.exported',
          subject: `s-${i}`,
          details: { i, text: 'line\nbreak "quoted"' },
        })),
      ),
    );
  });
  afterAll(() => rt.dispose());

  it('every event once, in chain order, each line one JSON object, the same as the CLI export', async () => {
    const res = await get('/audit/events');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    // Streamed: no length known up front (the whole trail is never built in memory).
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('content-length')).toBeNull();
    const body = await res.text();
    expect(body.endsWith('\n')).toBe(true);
    const lines = body.slice(0, -1).split('\n');
    const events = lines.map((l) => JSON.parse(l) as { seq: number; action: string; details: unknown });
    const expected: unknown[] = [];
    for await (const e of rt.services.audit.export()) expected.push(e);
    expect(events).toEqual(expected);
    expect(events.filter((e) => e.action === 'test.exported')).toHaveLength(EVENTS);
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
    expect(events.find((e) => e.action === 'test.exported')?.details).toEqual({
      i: 0,
      text: 'line\nbreak "quoted"',
    });
  });

  it('since a time after every event: an empty body; a bad time: 400; no token or a validator token: refused', async () => {
    const later = new Date(rt.clock.now() + 60_000).toISOString();
    const empty = await get(`/audit/events?since=${encodeURIComponent(later)}`);
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
    expect((await get('/audit/events?since=yesterday')).status).toBe(400);
    expect((await fetch(`${rt.url}/api/v1/audit/events`)).status).toBe(401);
    expect((await get('/audit/events', await rt.token('validator'))).status).toBe(403);
  });
});
