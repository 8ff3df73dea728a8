import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../shared/errors.js';
import type { Role } from '../tokens/roles.js';
import type { TokenPrincipal, TokenService } from '../tokens/token-service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles that may call this route; every /api/v1 route must declare them. */
    roles?: readonly Role[];
  }
  interface FastifyRequest {
    principal: TokenPrincipal | undefined;
  }
  interface FastifyInstance {
    /** Every /api/v1 route with its roles: drives the role matrix test and the docs. */
    apiRouteTable: ApiRoute[];
  }
}

/** One /api/v1 route and the roles that may call it. */
export interface ApiRoute {
  method: string;
  url: string;
  roles: readonly Role[];
}

/**
 * Bearer-token authentication and role checks for /api/v1. Routes declare `config.roles`; a
 * route under /api/v1 without it fails at start-up, so no route can forget its check.
 */
export function registerApiAuth(app: FastifyInstance, tokens: TokenService): void {
  app.decorateRequest('principal', undefined);
  const table: ApiRoute[] = [];
  app.decorate('apiRouteTable', table);
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1')) return;
    const roles = (route.config as { roles?: readonly Role[] } | undefined)?.roles;
    if (!roles) throw new Error(`route ${route.method} ${route.url} declares no roles`);
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') table.push({ method, url: route.url, roles });
    }
    // The check is attached to the route itself, first among its own hooks: other routes pay
    // nothing for it, and its roles are known here instead of looked up on every request.
    // (A new array: Fastify copies a GET's options for its HEAD route, which gets its own.)
    const own = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [authenticateFor(tokens, roles), ...own];
  });
}

/** The onRequest hook of one /api/v1 route: a valid bearer token whose role is among `roles`. */
function authenticateFor(tokens: TokenService, roles: readonly Role[]) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const principal = match ? await tokens.authenticate(match[1]!) : undefined;
    if (!principal) throw new AppError('UNAUTHENTICATED', 'a valid bearer token is required');
    if (!roles.includes(principal.role)) {
      throw new AppError('FORBIDDEN', `role ${principal.role} may not call this route`);
    }
    request.principal = principal;
  };
}
