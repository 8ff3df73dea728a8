import { openStore } from '../store/open-store.js';
import type { Command } from './command.js';

/** `migrate`: applies pending migrations and exits. */
export const migrate: Command = async ({ config, out }) => {
  const store = openStore(config.databaseUrl);
  try {
    const applied = await store.migrate();
    out(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply');
    return 0;
  } finally {
    await store.close();
  }
};
