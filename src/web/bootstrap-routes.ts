import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BootstrapService } from '../tokens/bootstrap-service.js';
import { html, page } from './html.js';

const params = z.object({ token: z.string().min(10).max(100) });

/** The one-time bootstrap link: a page, and a POST that mints the first admin token. */
export async function bootstrapRoutes(
  app: FastifyInstance,
  bootstrap: BootstrapService,
  org: string,
): Promise<void> {
  app.addHook('onSend', async (_req, reply) => {
    reply.header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    );
    reply.header('x-frame-options', 'DENY');
  });

  app.get('/bootstrap/:token', async (request, reply) => {
    const { token } = params.parse(request.params);
    const live = await bootstrap.isLive(token);
    const body = live
      ? html`<h1>Set up Portcullis</h1><p>This single-use link creates the first administrator's API token.</p>
<form method="post"><button type="submit">Create the administrator token</button></form>`
      : html`<h1>Link not valid</h1><p>This bootstrap link was used or has expired. Restart the server on an empty database for a new one, or use <code>portcullis token create --role admin --name NAME</code>.</p>`;
    return reply
      .code(live ? 200 : 404)
      .type('text/html; charset=utf-8')
      .send(page('Set up', org, body));
  });

  app.post('/bootstrap/:token', async (request, reply) => {
    const { token } = params.parse(request.params);
    const { token: apiToken } = await bootstrap.redeem(token, request.ip);
    if (String(request.headers.accept ?? '').includes('application/json')) {
      return reply.code(201).send({ token: apiToken, role: 'admin' });
    }
    const body = html`<h1>Administrator token</h1><p>Copy it now: it is shown only once.</p><pre>${apiToken}</pre>
<p>Use it as <code>Authorization: Bearer …</code> on <code>/api/v1</code>.</p>`;
    return reply
      .code(201)
      .type('text/html; charset=utf-8')
      .send(page('Administrator token', org, body));
  });
}
