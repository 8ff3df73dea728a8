import { sql } from 'kysely';
import type { Store } from '../store/open-store.js';

/** Whether the database answers. */
export class HealthService {
  constructor(private readonly store: Store) {}

  async check(): Promise<void> {
    await sql`select 1`.execute(this.store.db);
  }
}
