import type { Migration, MigrationProvider } from 'kysely';
import { migration0001 } from './0001-core.js';

/** Every migration, in order. Names sort; never rename or edit one that has shipped. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-core': migration0001,
};

/** Kysely's provider over the compiled-in list (no file scanning, so `dist/` is enough). */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
