import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { newId, secureRandomBytes } from '../crypto/random.js';
import { AppError } from '../shared/errors.js';
import { oidcClientsRepo } from '../store/repos/oidc-clients.js';
import { type ClientView, newClientSchema, toClientView, toOidcMetadata } from './client-metadata.js';
import { refuseReservedClient } from './reserved-clients.js';

/** The AAD that binds a sealed client secret to its client. */
export function clientSecretAad(clientId: string): string {
  return `oidc-client:${clientId}`;
}

/** A new registration: the view, plus the secret this once (confidential clients only). */
export interface CreatedClient extends ClientView {
  clientSecret?: string;
}

/** OIDC clients: register (audited, secret shown once and stored sealed), list, read. */
export class ClientService {
  constructor(private readonly ctx: Context) {}

  /**
   * Registers a client from an admin API body (validated strictly before anything is written);
   * the built-in clients' ids are refused (409), as an id or a name.
   */
  async create(actor: Actor, body: unknown): Promise<CreatedClient> {
    refuseReservedClient(body);
    const input = newClientSchema.parse(body);
    const clientId = newId();
    // 256 bits: a bearer-strength secret; kept sealed because oidc-provider compares it in clear.
    const secret = input.public ? undefined : secureRandomBytes(32).toString('base64url');
    const metadata: Record<string, unknown> = toOidcMetadata(clientId, input);
    if (secret)
      metadata.client_secret_enc = this.ctx.keyring.encrypt(Buffer.from(secret), clientSecretAad(clientId));
    const view = await this.ctx.store.transaction(async (trx) => {
      const row = {
        client_id: clientId,
        metadata: JSON.stringify(metadata),
        first_party: input.firstParty ? 1 : 0,
        created_at: this.ctx.clock.now(),
      };
      await oidcClientsRepo.insert(trx, row);
      const created = toClientView(row);
      await this.ctx.audit.append(trx, actor, {
        action: 'oidc.client_created',
        subject: clientId,
        details: {
          name: created.name,
          public: created.public,
          firstParty: created.firstParty,
          grantTypes: created.grantTypes,
          redirectUris: created.redirectUris,
        },
      });
      return created;
    });
    return secret ? { ...view, clientSecret: secret } : view;
  }

  /** Every client, oldest first. */
  async list(): Promise<ClientView[]> {
    return (await oidcClientsRepo.list(this.ctx.store.db)).map(toClientView);
  }

  /** One client, or NOT_FOUND (committed data: every sign-in page names its client). */
  async get(clientId: string): Promise<ClientView> {
    const row = await oidcClientsRepo.byId(this.ctx.store.reader, clientId);
    if (!row) throw new AppError('NOT_FOUND', `no client with id ${clientId}`);
    return toClientView(row);
  }
}
