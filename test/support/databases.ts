import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/open-store.js';

/** The PostgreSQL server the suite uses (CI and every dev machine run one on 127.0.0.1:5432). */
export const PG_ADMIN_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type Dialect = 'sqlite' | 'postgres';
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database of the dialect, dropped by `drop()`. */
export function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  return newDatabase(dialect);
}

/**
 * A fresh database of the dialect with every migration applied (what a runtime opened with
 * `migrate: true` starts from), dropped by `drop()`. It is a copy of a template migrated once per
 * schema version (per set of migration sources): SQLite copies the file, PostgreSQL clones with
 * `CREATE DATABASE … TEMPLATE`. The migrations themselves stay covered where a test starts from
 * `createTestDatabase` (src/store/store.test.ts, the CLI tests).
 */
export async function createMigratedTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  try {
    return await newDatabase(dialect, await migratedTemplate(dialect));
  } catch (err) {
    // The template went away under us (another run replaced a stale one): make it again once.
    if (!['3D000', 'ENOENT'].includes((err as { code?: string }).code ?? '')) throw err;
    templates.delete(dialect);
    return newDatabase(dialect, await migratedTemplate(dialect));
  }
}

/** An empty database, or a copy of `template` (a SQLite file path or a PostgreSQL database name). */
async function newDatabase(dialect: Dialect, template?: string): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
    try {
      if (template) copyFileSync(template, join(dir, 'test.db'));
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return {
      url: `sqlite:${join(dir, 'test.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `pc_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await adminQuery(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
  const url = pgUrl(name);
  return {
    url,
    drop: async () => void (await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}

function pgUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** One statement on the admin database, over a connection of its own. */
async function adminQuery(text: string): Promise<pg.QueryResult> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    return await admin.query(text);
  } finally {
    await admin.end();
  }
}

const STORE_DIR = fileURLToPath(new URL('../../src/store/', import.meta.url));

/**
 * Names the schema: a hash of the names of the migrations this process loaded (so a template
 * never lacks or adds one, even while the files change) and of the sources of the migrations and
 * of the store that applies them.
 */
async function schemaVersion(): Promise<string> {
  const hash = createHash('sha256');
  for (const name of Object.keys(await migrationProvider.getMigrations())) hash.update(name);
  const files = readdirSync(join(STORE_DIR, 'migrations'))
    .sort()
    .map((f) => join(STORE_DIR, 'migrations', f));
  // Names relative to the store, so two checkouts of the same code share their templates.
  for (const file of [join(STORE_DIR, 'open-store.ts'), ...files])
    hash.update(relative(STORE_DIR, file)).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/** Per process, per dialect: the template for the current schema, made by whoever needs it first. */
const templates = new Map<Dialect, Promise<string>>();

function migratedTemplate(dialect: Dialect): Promise<string> {
  let template = templates.get(dialect);
  if (!template) {
    template = schemaVersion().then((v) => (dialect === 'sqlite' ? sqliteTemplate(v) : postgresTemplate(v)));
    templates.set(dialect, template);
    template.catch(() => templates.delete(dialect));
  }
  return template;
}

async function migrate(url: string): Promise<void> {
  const store = openStore(url);
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
}

/**
 * A migrated SQLite file in the temp directory, built beside it and renamed in (so readers never
 * see half of it); templates of other schema versions are removed.
 */
async function sqliteTemplate(version: string): Promise<string> {
  const name = `portcullis-template-${version}.db`;
  const path = join(tmpdir(), name);
  if (existsSync(path)) return path;
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-template-'));
  try {
    await migrate(`sqlite:${join(dir, 'template.db')}`);
    if (existsSync(join(dir, 'template.db-wal'))) throw new Error('the SQLite template kept a WAL file');
    renameSync(join(dir, 'template.db'), path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const stale of readdirSync(tmpdir())) {
    if (/^portcullis-template-\w+\.db$/.test(stale) && stale !== name)
      rmSync(join(tmpdir(), stale), { force: true });
  }
  return path;
}

/**
 * A migrated PostgreSQL database nobody may connect to (a connection would block every clone),
 * built under a name of its own and renamed in; templates of other schema versions are dropped.
 */
async function postgresTemplate(version: string): Promise<string> {
  const name = `pc_template_${version}`;
  const found = await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE 'pc_template_%'`);
  const names = found.rows.map((r: { datname: string }) => r.datname);
  if (names.includes(name)) return name;
  const building = `pc_tpl_build_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await adminQuery(`CREATE DATABASE ${building}`);
  try {
    await migrate(pgUrl(building));
    await adminQuery(`ALTER DATABASE ${building} WITH ALLOW_CONNECTIONS false`);
    await adminQuery(`ALTER DATABASE ${building} RENAME TO ${name}`);
  } catch (err) {
    await adminQuery(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
    // 42P04: another process renamed its identical template in first.
    if ((err as { code?: string }).code !== '42P04') throw err;
  }
  for (const stale of names) await adminQuery(`DROP DATABASE IF EXISTS ${stale}`).catch(() => {});
  return name;
}
