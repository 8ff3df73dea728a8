import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../store/schema.js';
import { parseFilter } from './filter-parser.js';
import { filterToSql } from './filter-to-sql.js';
import { GROUP_SQL, USER_SQL } from './sql-maps.js';

/** Kysely instances that only compile (no database), one per dialect. */
const compilers = {
  sqlite: new Kysely<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  }),
  postgres: new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  }),
};

const HOSTILE = [
  `x" or "1"="1`,
  `x' or '1'='1`,
  `'); drop table users; --`,
  `%_\\`,
  `$1 $2 ? ?`,
  `*/ or 1=1 /*`,
];

describe.each(Object.entries(compilers))('filterToSql on %s', (_name, db) => {
  const compile = (text: string, map = USER_SQL) =>
    db
      .selectFrom('users')
      .selectAll()
      .where(filterToSql(map, parseFilter(text)))
      .compile();

  it.each(HOSTILE)('binds %j as a parameter; it never appears in the SQL text', (value) => {
    const literal = JSON.stringify(value);
    for (const op of ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'le']) {
      for (const attr of ['userName', 'displayName', 'externalId', 'emails.value', 'members.display']) {
        const map = attr.startsWith('members') ? GROUP_SQL : USER_SQL;
        const q = compile(`${attr} ${op} ${literal}`, map);
        expect(q.sql).not.toContain(value);
        expect(q.parameters).toContain(attr === 'userName' ? value.toLowerCase() : value);
      }
    }
    const nested = compile(`emails[type eq ${literal} and value co ${literal}] or not (title sw ${literal})`);
    expect(nested.sql).not.toContain(value);
    expect(nested.parameters.filter((p) => p === value).length).toBeGreaterThanOrEqual(3);
  });

  it('lower-cases userName in the parameter (the key column is lower-case) and folds other strings in SQL', () => {
    const q = compile('userName eq "BJensen" and title eq "Boss"');
    expect(q.parameters).toEqual(['bjensen', 'Boss']);
    expect(q.sql).toContain('"username_lower"');
    expect(q.sql).toContain('lower(');
  });

  it('compiles booleans to expressions without binding them, and dates to numbers', () => {
    const q = compile('active eq true and meta.created gt "2026-01-01T00:00:00Z"');
    expect(q.parameters).toEqual([Date.UTC(2026, 0, 1)]);
    expect(q.sql).toContain("'deprovisioned'");
  });

  it('ties a value filter on members to one member row (one EXISTS, not two)', () => {
    const q = db
      .selectFrom('groups')
      .selectAll()
      .where(filterToSql(GROUP_SQL, parseFilter('members[value eq "u1" and display co "ann"]')))
      .compile();
    expect(q.sql.match(/exists/gi)).toHaveLength(1);
  });
});
