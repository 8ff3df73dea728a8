import type { Logger } from 'pino';
import type { AuditLog } from './audit/audit-log.js';
import type { Config } from './config.js';
import type { Keyring } from './crypto/keyring.js';
import type { Clock } from './shared/clock.js';
import type { Store } from './store/open-store.js';

/** What every service is built from: plain values, no framework. */
export interface Context {
  config: Config;
  store: Store;
  keyring: Keyring;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
}
