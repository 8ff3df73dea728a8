import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.js';
import { AppError } from '../shared/errors.js';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../shared/json-depth.js';
import { tokenActor } from '../tokens/token-service.js';
import { BULK_LIMITS } from './bulk.js';
import { listOf, resourceTypes, schemas, serviceProviderConfig } from './discovery.js';
import { etagOf, noneMatchHits } from './etag.js';
import { parseListRequest, projectionOf } from './list-request.js';
import { project } from './projection.js';
import type { ResourceOps, Stored } from './resource-ops.js';
import { SCIM_ERROR_SCHEMA, scimError, sendScimError, toScimError } from './scim-errors.js';

const MEDIA_TYPE = 'application/scim+json; charset=utf-8';

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

/** Sends a SCIM document with the SCIM media type. */
function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(MEDIA_TYPE).send(body);
}

/** Sends one resource with its ETag (and Location when created), shaped by attributes / excludedAttributes. */
function sendStored(
  reply: FastifyReply,
  ops: ResourceOps,
  request: FastifyRequest,
  status: number,
  s: Stored,
) {
  reply.header('etag', etagOf(s.version));
  if (status === 201) reply.header('location', s.location);
  return send(reply, status, project(projectionOf(ops.rt, request.query), s.resource));
}

const ifMatch = (request: FastifyRequest) => {
  const h = request.headers['if-match'];
  return Array.isArray(h) ? h.join(',') : h;
};

/** One resource endpoint (/Users or /Groups): list, search, create, read, replace, patch, delete. */
function resourceRoutes(app: FastifyInstance, ops: ResourceOps): void {
  const base = ops.rt.endpoint;
  const actor = (request: FastifyRequest) => tokenActor(request.principal!, request.ip);

  app.get(base, async (request, reply) =>
    send(reply, 200, await ops.list(parseListRequest(ops.rt, request.query))),
  );
  app.post(`${base}/.search`, async (request, reply) =>
    send(reply, 200, await ops.list(parseListRequest(ops.rt, request.body ?? {}))),
  );
  app.post(base, async (request, reply) =>
    sendStored(reply, ops, request, 201, await ops.create(actor(request), request.body)),
  );
  app.get(`${base}/:id`, async (request: IdRequest, reply) => {
    const s = await ops.get(request.params.id, projectionOf(ops.rt, request.query));
    if (noneMatchHits(request.headers['if-none-match'], s.version))
      return reply.code(304).header('etag', etagOf(s.version)).send();
    return sendStored(reply, ops, request, 200, s);
  });
  app.put(`${base}/:id`, async (request: IdRequest, reply) =>
    sendStored(
      reply,
      ops,
      request,
      200,
      await ops.replace(actor(request), request.params.id, request.body, ifMatch(request)),
    ),
  );
  app.patch(`${base}/:id`, async (request: IdRequest, reply) =>
    sendStored(
      reply,
      ops,
      request,
      200,
      await ops.patch(actor(request), request.params.id, request.body, ifMatch(request)),
    ),
  );
  app.delete(`${base}/:id`, async (request: IdRequest, reply) => {
    await ops.remove(actor(request), request.params.id, ifMatch(request));
    return reply.code(204).send();
  });
}

/**
 * The SCIM 2.0 face (RFC 7644), registered under /scim/v2. Only a bearer token of role `scim`
 * gets in. Bodies may be application/scim+json or application/json; answers are
 * application/scim+json; every error, including malformed JSON and unknown routes, is a SCIM
 * error document, never problem+json and never a 5xx for bad input.
 */
export async function scimRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const scim = services.scim;
  // JSON under either media type; an empty body (a DELETE that still names its type) is no body.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['application/json', 'application/scim+json'],
    { parseAs: 'string' },
    (request, body, done) => {
      if (body.length === 0) return done(null, undefined);
      if (jsonNestsDeeperThan(body as string)) {
        return done(
          scimError('invalidSyntax', `the body nests deeper than ${MAX_JSON_DEPTH} levels`),
          undefined,
        );
      }
      json(request, body as string, done);
    },
  );

  app.setErrorHandler((err, request, reply) => {
    const body = toScimError(err);
    if (Number(body.status) >= 500) request.log.error({ err }, 'scim request failed');
    return sendScimError(reply, body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendScimError(reply, {
      schemas: [SCIM_ERROR_SCHEMA],
      status: '404',
      detail: `no endpoint ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}`,
    }),
  );

  app.addHook('onRequest', async (request) => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const principal = match ? await services.tokens.authenticate(match[1]!) : undefined;
    if (!principal) throw new AppError('UNAUTHENTICATED', 'a bearer token of role scim is required');
    if (principal.role !== 'scim') throw new AppError('FORBIDDEN', `role ${principal.role} may not use SCIM`);
    request.principal = principal;
  });

  resourceRoutes(app, scim.users);
  resourceRoutes(app, scim.groups);

  app.post('/Bulk', { bodyLimit: BULK_LIMITS.maxPayloadSize }, async (request, reply) =>
    send(reply, 200, await scim.bulk(tokenActor(request.principal!, request.ip), request.body)),
  );

  app.get('/ServiceProviderConfig', async (_request, reply) =>
    send(reply, 200, serviceProviderConfig(scim.baseUrl)),
  );
  app.get('/ResourceTypes', async (_request, reply) => send(reply, 200, listOf(resourceTypes(scim.baseUrl))));
  app.get('/ResourceTypes/:name', async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const found = resourceTypes(scim.baseUrl).find((r) => r.id === request.params.name);
    if (!found) throw new AppError('NOT_FOUND', `no resource type ${request.params.name}`);
    return send(reply, 200, found);
  });
  app.get('/Schemas', async (_request, reply) => send(reply, 200, listOf(schemas(scim.baseUrl))));
  app.get('/Schemas/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const found = schemas(scim.baseUrl).find((s) => s.id === request.params.id);
    if (!found) throw new AppError('NOT_FOUND', `no schema ${request.params.id}`);
    return send(reply, 200, found);
  });
}
