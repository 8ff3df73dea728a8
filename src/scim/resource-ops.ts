import type { Actor } from '../audit/audit-log.js';
import { AppError } from '../shared/errors.js';
import type { ListRequest } from './list-request.js';
import type { Projection } from './projection.js';
import type { Doc } from './resource-doc.js';
import type { ResourceTypeDef } from './scim-schemas.js';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** A resource as stored, rendered for the answer, with what the headers need. */
export interface Stored {
  id: string;
  resource: Doc;
  version: number;
  location: string;
}

/** A ListResponse (RFC 7644 §3.4.2). */
export interface ListResponse {
  schemas: [typeof LIST_RESPONSE_SCHEMA];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: Doc[];
}

/** Builds a ListResponse. */
export function listResponse(total: number, startIndex: number, resources: Doc[]): ListResponse {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** What every SCIM resource endpoint offers; Users and Groups implement it, routes and Bulk use it. */
export interface ResourceOps {
  readonly rt: ResourceTypeDef;
  get(id: string, projection: Projection): Promise<Stored>;
  list(req: ListRequest): Promise<ListResponse>;
  create(actor: Actor, body: unknown): Promise<Stored>;
  replace(actor: Actor, id: string, body: unknown, ifMatch?: string): Promise<Stored>;
  patch(actor: Actor, id: string, body: unknown, ifMatch?: string): Promise<Stored>;
  remove(actor: Actor, id: string, ifMatch?: string): Promise<void>;
}

/** Ids this server hands out are base64url (crypto/random.ts newId); anything else names nothing. */
const ID_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * NOT_FOUND for an id no resource can have, before it reaches SQL (PostgreSQL refuses NUL in
 * text with an error, which must not become a 500).
 */
export function checkIdShape(id: string, resourceType: string): void {
  if (!ID_SHAPE.test(id)) throw new AppError('NOT_FOUND', `no ${resourceType} with id ${id.slice(0, 64)}`);
}
