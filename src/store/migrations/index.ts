import type { Migration, MigrationProvider } from 'kysely';
import { migration0001 } from './0001-core.js';
import { migration0002 } from './0002-scim.js';
import { migration0003 } from './0003-jobs-mail.js';
import { migration0004 } from './0004-oidc.js';
import { migration0005 } from './0005-webauthn.js';
import { migration0006 } from './0006-lifecycle.js';
import { migration0007 } from './0007-policy.js';
import { migration0008 } from './0008-recovery.js';
import { migration0009 } from './0009-console-roles.js';
import { migration0010 } from './0010-start-date.js';
import { migration0011 } from './0011-metrics-aggregates.js';
import { migration0012 } from './0012-requirement-counts-from.js';
import { migration0013 } from './0013-metrics-trigger-conditions.js';
import { migration0014 } from './0014-oidc-partial-indexes.js';

/** Every migration, in order. Names sort; never rename or edit one that has shipped. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-core': migration0001,
  '0002-scim': migration0002,
  '0003-jobs-mail': migration0003,
  '0004-oidc': migration0004,
  '0005-webauthn': migration0005,
  '0006-lifecycle': migration0006,
  '0007-policy': migration0007,
  '0008-recovery': migration0008,
  '0009-console-roles': migration0009,
  '0010-start-date': migration0010,
  '0011-metrics-aggregates': migration0011,
  '0012-requirement-counts-from': migration0012,
  '0013-metrics-trigger-conditions': migration0013,
  '0014-oidc-partial-indexes': migration0014,
};

/** Kysely's provider over the compiled-in list (no file scanning, so `dist/` is enough). */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
