import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AuditLog } from './audit/audit-log.js';
import type { Config } from './config.js';
import type { Context } from './context.js';
import { Keyring } from './crypto/keyring.js';
import { secureRandomBytes } from './crypto/random.js';
import { buildServices, type Services } from './services.js';
import { type Clock, systemClock } from './shared/clock.js';
import { AppError } from './shared/errors.js';
import { openStore } from './store/open-store.js';

export interface Runtime {
  ctx: Context;
  services: Services;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger: Logger;
  clock?: Clock;
  /** Apply pending migrations first (serve and migrate do; tests do). */
  migrate?: boolean;
  poolSize?: number;
  /** Bulk loads only (the demo): SQLite commits without waiting for the disk (see OpenStoreOptions). */
  relaxedDurability?: boolean;
}

/**
 * The master key: from PORTCULLIS_MASTER_KEY, else from (or newly into) `<data>/master.key`
 * with mode 0600. Production never gets here without the variable (config refuses).
 */
export function resolveMasterKey(config: Config, logger: Logger): Buffer {
  if (config.masterKey) return config.masterKey;
  const path = join(config.dataDir, 'master.key');
  if (existsSync(path)) {
    const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new AppError('CONFIG_INVALID', `${path} does not hold a 32-byte base64 key`);
    return key;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const key = secureRandomBytes(32);
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  logger.warn(
    { path },
    'no PORTCULLIS_MASTER_KEY set: created a new master key file (set the variable in production)',
  );
  return key;
}

/** Opens the store, loads the keys and builds every service. */
export async function openRuntime(config: Config, opts: RuntimeOptions): Promise<Runtime> {
  const clock = opts.clock ?? systemClock;
  const masterKey = resolveMasterKey(config, opts.logger);
  const store = openStore(config.databaseUrl, {
    groupCommitMs: config.groupCommitMs,
    poolSize: opts.poolSize,
    relaxedDurability: opts.relaxedDurability,
  });
  try {
    if (opts.migrate) await store.migrate();
    const keyring = new Keyring(store, masterKey, config.previousMasterKeys);
    await keyring.load(clock.now());
    const audit = new AuditLog(keyring, store.caps.rowLocks, () => clock.now());
    const ctx: Context = { config, store, keyring, audit, clock, logger: opts.logger };
    return { ctx, services: buildServices(ctx), close: () => store.close() };
  } catch (err) {
    await store.close();
    throw err;
  }
}
