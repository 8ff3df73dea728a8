import { pathToFileURL } from 'node:url';
import { AuditLog } from '../src/audit/audit-log.js';
import { eventHash, GENESIS_HASH, headMacInput } from '../src/audit/chain.js';
import { Keyring } from '../src/crypto/keyring.js';
import { openStore, type Store } from '../src/store/open-store.js';
import { auditRepo } from '../src/store/repos/audit-events.js';
import type { AuditEventRow } from '../src/store/schema.js';
import { createTestDatabase, type Dialect } from '../test/support/databases.js';

/** What one run of the audit-verify benchmark measured. */
export interface AuditVerifyResult {
  events: number;
  /** Wall-clock time of the verify. */
  seconds: number;
  eventsPerSecond: number;
  /** This process's CPU time during the verify (PostgreSQL's own work not included): on a shared, busy machine it shows what the code costs. */
  cpuSeconds: number;
}

const MASTER = Buffer.alloc(32, 9);
const ACTIONS = ['person.created', 'token.created', 'authenticator.enrolled', 'validate.accepted'];

/** Rows per INSERT: 10 columns each stays under SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const INSERT_BATCH = 3_000;

/** Fills the chain with `events` synthetic, correctly linked events and signs the head. */
async function fillChain(store: Store, keyring: Keyring, events: number): Promise<void> {
  let prev = GENESIS_HASH;
  const start = Date.UTC(2026, 0, 1);
  for (let from = 1; from <= events; from += INSERT_BATCH) {
    const rows: AuditEventRow[] = [];
    for (let seq = from; seq < Math.min(from + INSERT_BATCH, events + 1); seq++) {
      const fields = {
        seq,
        at: start + seq * 1_000,
        actor: `token:bench-${seq % 7}(admin)`,
        action: ACTIONS[seq % ACTIONS.length]!,
        subject: `user-${(seq * 7919) % 50_000}`,
        source_ip: seq % 3 === 0 ? null : `10.0.${(seq >> 8) & 255}.${seq & 255}`,
        outcome: 'success' as const,
        details: JSON.stringify({ n: seq, note: 'synthetic event for the verify benchmark' }),
        prev_hash: prev,
      };
      prev = eventHash(fields);
      rows.push({ ...fields, hash: prev });
    }
    // One transaction per batch keeps PostgreSQL's WAL and SQLite's journal small.
    await store.transaction((trx) => auditRepo.insertEvents(trx, rows));
  }
  await auditRepo.writeHead(
    store.db,
    {
      seq: events,
      hash: prev,
      mac: keyring.mac('audit-head', headMacInput(events, prev)),
      master_kid: keyring.masterKid,
    },
    false,
  );
}

/**
 * Times `AuditLog.verify` over a chain of `events` synthetic events on a fresh database of the
 * dialect (created and dropped here). Filling the chain is not timed.
 */
export async function benchAuditVerify(opts: {
  dialect: Dialect;
  events: number;
}): Promise<AuditVerifyResult> {
  const tdb = await createTestDatabase(opts.dialect);
  const store = openStore(tdb.url);
  try {
    await store.migrate();
    const keyring = new Keyring(store, MASTER);
    await keyring.load(Date.now());
    await fillChain(store, keyring, opts.events);
    const log = new AuditLog(keyring, store.caps.rowLocks, () => Date.now());
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const result = await log.verify(store);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    if (!result.ok || result.count !== opts.events) {
      throw new Error(`verify disagrees with the generated chain: ${JSON.stringify(result)}`);
    }
    return {
      events: opts.events,
      seconds,
      eventsPerSecond: Math.round(opts.events / seconds),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } finally {
    await store.close();
    await tdb.drop();
  }
}

// `node --import tsx bench/audit-verify.ts [EVENTS] [sqlite|postgres ...]` runs it alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const events = Number(process.argv[2] ?? 1_000_000);
  const dialects = (process.argv.slice(3) as Dialect[]).length
    ? (process.argv.slice(3) as Dialect[])
    : (['sqlite', 'postgres'] as const);
  for (const dialect of dialects) {
    const r = await benchAuditVerify({ dialect, events });
    console.log(
      `audit verify ${dialect}: ${r.events} events in ${r.seconds.toFixed(2)} s = ${r.eventsPerSecond} events/s` +
        ` (process CPU ${r.cpuSeconds.toFixed(2)} s = ${Math.round(r.events / r.cpuSeconds)} events/CPU-s)`,
    );
  }
}
