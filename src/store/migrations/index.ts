import type { Migration, MigrationProvider } from 'kysely';
import { migration0001 } from './0001-core.js';
import { migration0002 } from './0002-scim.js';
import { migration0003 } from './0003-jobs-mail.js';
import { migration0004 } from './0004-oidc.js';

/** Every migration, in order. Names sort; never rename or edit one that has shipped. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-core': migration0001,
  '0002-scim': migration0002,
  '0003-jobs-mail': migration0003,
  '0004-oidc': migration0004,
};

/** Kysely's provider over the compiled-in list (no file scanning, so `dist/` is enough). */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
