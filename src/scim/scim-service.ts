import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import type { LifecycleEvents } from '../lifecycle/lifecycle-events.js';
import { AppError } from '../shared/errors.js';
import { type BulkOp, type BulkOutcome, parseBulkRequest, runBulk } from './bulk.js';
import { etagOf } from './etag.js';
import type { ResourceOps, Stored } from './resource-ops.js';
import { scimError } from './scim-errors.js';
import { ScimGroups } from './scim-groups.js';
import { ScimUsers } from './scim-users.js';

/**
 * The SCIM 2.0 service provider (RFC 7643/7644) behind /scim/v2: Users, Groups and Bulk. Every
 * write is one transaction with its audit event (`scim.user_created`, `scim.group_patched`, …);
 * deactivation and deletion run the leaver (lifecycle/leaver.ts) inside it.
 */
export class ScimService {
  readonly baseUrl: string;
  readonly users: ScimUsers;
  readonly groups: ScimGroups;

  constructor(ctx: Context, lifecycle: LifecycleEvents) {
    this.baseUrl = `${ctx.config.publicUrl}/scim/v2`;
    this.users = new ScimUsers(ctx, this.baseUrl, lifecycle);
    this.groups = new ScimGroups(ctx, this.baseUrl, lifecycle);
  }

  /** The operations behind an endpoint segment (`Users`, `Groups`), or undefined. */
  endpoint(segment: string | undefined): ResourceOps | undefined {
    if (segment === 'Users') return this.users;
    if (segment === 'Groups') return this.groups;
    return undefined;
  }

  /** Runs a BulkRequest (RFC 7644 §3.7); each operation as its own request would run. */
  bulk(actor: Actor, body: unknown) {
    const { ops, failOnErrors } = parseBulkRequest(body);
    return runBulk(ops, failOnErrors, (op) => this.dispatch(actor, op));
  }

  private async dispatch(actor: Actor, op: BulkOp): Promise<BulkOutcome> {
    const [, segment, id, ...rest] = op.path.split('/');
    const ops = this.endpoint(segment);
    if (!ops || rest.length > 0) throw new AppError('NOT_FOUND', `no endpoint ${op.path.slice(0, 100)}`);
    if (op.method === 'POST') {
      if (id) throw scimError('invalidSyntax', 'POST goes to a resource type endpoint such as /Users');
      return outcome(201, await ops.create(actor, op.data));
    }
    if (!id) throw scimError('invalidSyntax', `${op.method} needs a resource path such as /Users/{id}`);
    switch (op.method) {
      case 'PUT':
        return outcome(200, await ops.replace(actor, id, op.data, op.version));
      case 'PATCH':
        return outcome(200, await ops.patch(actor, id, op.data, op.version));
      case 'DELETE':
        await ops.remove(actor, id, op.version);
        return { status: 204, location: `${this.baseUrl}/${segment}/${id}` };
    }
  }
}

function outcome(status: number, s: Stored): BulkOutcome {
  return { status, id: s.id, location: s.location, version: etagOf(s.version) };
}
