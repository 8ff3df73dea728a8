import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import Provider, { type Adapter, type AdapterPayload, type ClientMetadata } from 'oidc-provider';
import { newJwkPair } from '../src/crypto/jwk-pair.js';
import { CLIENT_CREDENTIALS_TTL_SECONDS } from '../src/sso/token-lifetimes.js';

/**
 * The client_credentials baseline: a bare `oidc-provider` (the version Portcullis runs), one
 * confidential client, and the token format Portcullis issues (opaque access tokens: no resource
 * indicators, so no JWT access tokens). Listens on 127.0.0.1:$PORT at the same path as
 * Portcullis (/oidc/token); run as a child process by bench/run.ts and bench/profile/cpu-per-op.ts.
 *
 * Same persistence class as Portcullis: opaque tokens are only worth anything when stored where
 * every instance can find (introspect, revoke) them, so the baseline's adapter is the plainest
 * durable one — one SQLite file (WAL, synchronous = FULL, as Portcullis serves), prepared
 * statements, and the writes of one event-loop turn committed together (as Portcullis' group
 * commit does), so neither side pays an fsync per token the other does not. The client is
 * registered in that store too and looked up on every request, as oidc-provider does for any
 * client not fixed in its configuration. Nothing Portcullis adds is here: no sealed secrets,
 * hashed token ids, audit, metrics or web framework.
 *
 * BARE_STORE=memory runs the earlier baseline instead (oidc-provider's in-memory adapter, the
 * client fixed in the configuration): it persists nothing, so it is not what Portcullis is
 * compared with, only a reference for what storage costs.
 */
const port = Number(process.env.PORT ?? 0);
const dir = mkdtempSync(join(tmpdir(), 'bare-oidc-'));
const sqlite = new SqliteDatabase(join(dir, 'oidc.db'));
sqlite.pragma('journal_mode = WAL');
sqlite.pragma('synchronous = FULL');
sqlite.exec(`create table models (
  kind text not null, id text not null, payload text not null, grant_id text, uid text,
  user_code text, expires_at integer, consumed_at integer, primary key (kind, id))`);
const upsertStmt = sqlite.prepare(
  `insert into models (kind, id, payload, grant_id, uid, user_code, expires_at) values (?, ?, ?, ?, ?, ?, ?)
   on conflict (kind, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
   uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
);
const findStmt = sqlite.prepare('select payload, consumed_at from models where kind = ? and id = ?');
const byUidStmt = sqlite.prepare('select payload, consumed_at from models where kind = ? and uid = ?');
const byUserCodeStmt = sqlite.prepare(
  'select payload, consumed_at from models where kind = ? and user_code = ?',
);
const consumeStmt = sqlite.prepare('update models set consumed_at = ? where kind = ? and id = ?');
const destroyStmt = sqlite.prepare('delete from models where kind = ? and id = ?');
const revokeStmt = sqlite.prepare('delete from models where kind = ? and grant_id = ?');

/** Group commit: the writes queued in one event-loop turn share one transaction and one fsync. */
const queued: Array<{ write: () => void; resolve: () => void; reject: (err: unknown) => void }> = [];
const commitAll = sqlite.transaction((batch: typeof queued) => {
  for (const w of batch) w.write();
});
function flush(): void {
  const batch = queued.splice(0);
  try {
    commitAll(batch);
    for (const w of batch) w.resolve();
  } catch (err) {
    for (const w of batch) w.reject(err);
  }
}
function write(w: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    queued.push({ write: w, resolve, reject });
    if (queued.length === 1) setImmediate(flush);
  });
}

type Row = { payload: string; consumed_at: number | null } | undefined;
const toPayload = (row: Row): AdapterPayload | undefined =>
  row
    ? {
        ...(JSON.parse(row.payload) as AdapterPayload),
        ...(row.consumed_at ? { consumed: row.consumed_at } : {}),
      }
    : undefined;

class SqliteAdapter implements Adapter {
  constructor(private readonly kind: string) {}
  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : null;
    const json = JSON.stringify(payload);
    return write(() =>
      upsertStmt.run(
        this.kind,
        id,
        json,
        payload.grantId ?? null,
        payload.uid ?? null,
        payload.userCode ?? null,
        expiresAt,
      ),
    );
  }
  async find(id: string) {
    return toPayload(findStmt.get(this.kind, id) as Row);
  }
  async findByUid(uid: string) {
    return toPayload(byUidStmt.get(this.kind, uid) as Row);
  }
  async findByUserCode(userCode: string) {
    return toPayload(byUserCodeStmt.get(this.kind, userCode) as Row);
  }
  consume(id: string): Promise<void> {
    return write(() => consumeStmt.run(Math.floor(Date.now() / 1000), this.kind, id));
  }
  destroy(id: string): Promise<void> {
    return write(() => destroyStmt.run(this.kind, id));
  }
  revokeByGrantId(grantId: string): Promise<void> {
    return write(() => revokeStmt.run(this.kind, grantId));
  }
}

const clientId = process.env.CLIENT_ID ?? 'bench';
const clientMetadata: ClientMetadata = {
  client_id: clientId,
  client_secret: process.env.CLIENT_SECRET ?? 'bench-secret',
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
};
const inMemory = process.env.BARE_STORE === 'memory';
if (!inMemory) upsertStmt.run('Client', clientId, JSON.stringify(clientMetadata), null, null, null, null);

const { privateJwk } = newJwkPair('RS256');
const provider = new Provider(`http://127.0.0.1:${port}`, {
  ...(inMemory ? { clients: [clientMetadata] } : { adapter: (name: string) => new SqliteAdapter(name) }),
  jwks: {
    keys: [{ ...privateJwk, kid: 'bench', alg: 'RS256', use: 'sig' }] as never,
  },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
  routes: { token: '/oidc/token' },
  ttl: { ClientCredentials: CLIENT_CREDENTIALS_TTL_SECONDS },
});
const server = createServer(provider.callback()).listen(port, '127.0.0.1');
const stop = () =>
  server.close(() => {
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
