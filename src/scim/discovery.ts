import { BULK_LIMITS } from './bulk.js';
import { LIST_LIMITS } from './list-request.js';
import { LIST_RESPONSE_SCHEMA } from './resource-ops.js';
import { type AttrDef, RESOURCE_TYPES, type SchemaDef } from './scim-schemas.js';

const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** What this server supports (RFC 7643 §5), from the same limits the code enforces. */
export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: [SPC_SCHEMA],
    patch: { supported: true },
    bulk: { supported: true, ...BULK_LIMITS },
    filter: { supported: true, maxResults: LIST_LIMITS.maxResults },
    changePassword: { supported: true },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description:
          'An API token of role scim (portcullis token create --role scim), as Authorization: Bearer.',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

/** The resource types (RFC 7643 §6). */
export function resourceTypes(baseUrl: string) {
  return RESOURCE_TYPES.map((rt) => ({
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: rt.name,
    name: rt.name,
    endpoint: rt.endpoint,
    description: rt.description,
    schema: rt.core.id,
    schemaExtensions: rt.extensions.map((e) => ({ schema: e.id, required: false })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${rt.name}` },
  }));
}

/** An attribute as the Schema resource describes it (without this server's internal marks). */
function describe(a: AttrDef): Record<string, unknown> {
  const { derived: _derived, ignoredSubs: _ignored, subAttributes, ...rest } = a;
  return { ...rest, ...(subAttributes ? { subAttributes: subAttributes.map(describe) } : {}) };
}

/** The schemas (RFC 7643 §7), the core ones and the enterprise extension. */
export function schemas(baseUrl: string) {
  const all: SchemaDef[] = RESOURCE_TYPES.flatMap((rt) => [rt.core, ...rt.extensions]);
  return all.map((s) => ({
    schemas: [SCHEMA_SCHEMA],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes.map(describe),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${s.id}` },
  }));
}

/** A ListResponse of every item (discovery lists are small and never paged). */
export function listOf<T>(items: T[]) {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: items.length,
    startIndex: 1,
    itemsPerPage: items.length,
    Resources: items,
  };
}
