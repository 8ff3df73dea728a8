import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Webhooks end to end: an admin subscribes a local node:http receiver; an event emitted inside a
 * transaction is POSTed as JSON signed with HMAC-SHA256 of the raw body; a 500 is retried by the
 * queue after back-off.
 */
describe.each(DIALECTS)('webhooks on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let admin: string;
  let receiver: Server;
  let receiverUrl: string;
  const deliveries: Delivery[] = [];
  const answers: number[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/portcullis`;
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    admin = await rt.token('admin');
  });
  afterAll(async () => {
    await rt?.dispose();
    await new Promise((resolve) => receiver.close(resolve));
  });

  const api = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${admin}` },
      ...(payload ? { payload } : {}),
    });

  it('accepts only http(s) URLs without credentials, and at least one event type', async () => {
    for (const body of [
      { url: 'ftp://127.0.0.1/x', events: ['*'] },
      { url: 'javascript:alert(1)', events: ['*'] },
      { url: 'http://user:pw@127.0.0.1/x', events: ['*'] },
      { url: receiverUrl, events: [] },
      { url: receiverUrl, events: ['Not An Event'] },
      { url: receiverUrl, events: ['*'], extra: true },
    ]) {
      const res = await api('POST', '/api/v1/webhooks', body);
      expect(res.json(), JSON.stringify(body)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    }
    expect((await api('GET', '/api/v1/webhooks')).json()).toEqual({ webhooks: [] });
  });

  it('delivers a signed event and retries after the receiver answers 500', async () => {
    const created = await api('POST', '/api/v1/webhooks', {
      url: receiverUrl,
      events: ['person.deprovisioned'],
    });
    expect(created.statusCode).toBe(201);
    const { id, secret } = created.json() as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    expect((await api('GET', '/api/v1/webhooks')).body).not.toContain(secret);

    const queued = await rt.ctx.store.transaction(async (trx) => [
      await rt.services.webhooks.emit(trx, { type: 'person.deprovisioned', data: { userId: 'u-1' } }),
      await rt.services.webhooks.emit(trx, { type: 'person.created', data: { userId: 'u-2' } }),
    ]);
    expect(queued).toEqual([1, 0]); // only the subscribed type

    answers.push(500);
    const worker = rt.services.jobs.worker({ workerId: 'hooks' });
    const firstTry = rt.clock.now();
    expect(await worker.runOnce()).toBe(1);
    const [job] = (await rt.services.jobs.list({ kind: 'webhook' })).filter((j) => j.state === 'queued');
    expect(job).toMatchObject({ attempts: 1 });
    expect(job!.lastError).toContain('500');
    expect(await worker.runOnce()).toBe(0); // backing off
    rt.clock.advance(30_000);
    expect(await worker.runOnce()).toBe(1);
    expect((await rt.services.jobs.get(job!.id)).state).toBe('done');

    expect(deliveries).toHaveLength(2);
    const times = [firstTry, firstTry + 30_000];
    deliveries.forEach((d, i) => {
      const expected = `sha256=${createHmac('sha256', secret).update(d.body).digest('hex')}`;
      expect(d.headers['x-portcullis-signature']).toBe(expected);
      expect(d.headers['x-portcullis-timestamp']).toBe(String(Math.floor(times[i]! / 1000)));
      expect(d.headers['x-portcullis-event']).toBe('person.deprovisioned');
      expect(d.headers['x-portcullis-delivery']).toBe(job!.id);
      expect(d.headers['content-type']).toBe('application/json');
    });
    expect(deliveries[1]!.body).toBe(deliveries[0]!.body); // a retry is the same event
    expect(JSON.parse(deliveries[0]!.body)).toMatchObject({
      type: 'person.deprovisioned',
      data: { userId: 'u-1' },
    });
    const tampered = deliveries[0]!.body.replace('u-1', 'u-9');
    expect(`sha256=${createHmac('sha256', secret).update(tampered).digest('hex')}`).not.toBe(
      deliveries[0]!.headers['x-portcullis-signature'],
    );

    // Deactivated: no new deliveries are queued, and one already queued is dropped.
    await rt.ctx.store.transaction((trx) =>
      rt.services.webhooks.emit(trx, { type: 'person.deprovisioned', data: {} }),
    );
    expect((await api('DELETE', `/api/v1/webhooks/${id}`)).json()).toMatchObject({ id, active: false });
    expect(
      await rt.ctx.store.transaction((trx) =>
        rt.services.webhooks.emit(trx, { type: 'person.deprovisioned', data: {} }),
      ),
    ).toBe(0);
    expect(await worker.runOnce()).toBe(1);
    expect(deliveries).toHaveLength(2);
    expect((await api('DELETE', `/api/v1/webhooks/${id}`)).json()).toMatchObject({ code: 'INVALID_STATE' });
    const audit = await rt.services.audit.forSubject(id);
    expect(audit.map((e) => e.action)).toEqual(['webhook.deactivated', 'webhook.created']);
    expect(JSON.stringify(audit)).not.toContain(secret);
  });
});
