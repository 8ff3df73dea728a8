import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runCli } from './support/cli.js';

const VECTORS = fileURLToPath(new URL('../../shared/vectors/', import.meta.url));
const FIGURE6 = join(VECTORS, 'pskc-rfc6030/figure6.xml');
const FIGURE7 = join(VECTORS, 'pskc-rfc6030/figure7.xml');
const KEY6 = '12345678901234567890123456789012';

/** Runs `portcullis import pskc …` from source, as an operator would. */
function cli(dbPath: string, args: string[]): Promise<CliRun> {
  return runCli(`sqlite:${dbPath}`, ['import', 'pskc', ...args]);
}

/** Serials in the inventory of the database at `dbPath` (none when it was never created). */
function serials(dbPath: string): string[] {
  if (!existsSync(dbPath)) return [];
  const db = new SqliteDatabase(dbPath, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT serial FROM authenticators WHERE serial IS NOT NULL ORDER BY serial')
      .all();
    return (rows as Array<{ serial: string }>).map((r) => r.serial);
  } finally {
    db.close();
  }
}

describe('portcullis import pskc', () => {
  let dir: string;
  let db: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-pskc-cli-'));
    db = join(dir, 'inventory.db');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('imports figure 6 with --key-hex and prints one JSON summary line', async () => {
    const run = await cli(db, [FIGURE6, '--key-hex', KEY6]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(run.stdout)).toEqual({ imported: 1, serials: ['987654321'] });
    expect(serials(db)).toEqual(['987654321']);
  });

  it('imports figure 7 with --password into another database', async () => {
    const other = join(dir, 'figure7.db');
    const run = await cli(other, [FIGURE7, '--password', 'qwerty']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ imported: 1, serials: ['987654321'] });
  });

  it('refuses the same file twice: exit 1 naming the serial, nothing more imported', async () => {
    const run = await cli(db, [FIGURE6, '--key-hex', KEY6]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('PSKC_DUPLICATE_SERIAL');
    expect(run.stderr).toContain('987654321');
    expect(serials(db)).toEqual(['987654321']);
  });

  it('refuses a file that is not XML: exit 1 with the reason, nothing imported', async () => {
    const run = await cli(db, [join(VECTORS, 'pskc-samples/invalid_notxml.xml')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('PSKC_INVALID');
    expect(run.stderr).toMatch(/XML/);
    expect(serials(db)).toEqual(['987654321']);
  });

  it('refuses a wrong key: exit 1, nothing imported', async () => {
    const fresh = join(dir, 'wrong-key.db');
    const run = await cli(fresh, [FIGURE6, '--key-hex', 'ff'.repeat(16)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/PSKC_(DECRYPTION_FAILED|MAC_MISMATCH)/);
    expect(serials(fresh)).toEqual([]);
  });

  it('a file whose second token is bad imports nothing', async () => {
    const pkg = (serial: string, secret: Buffer) => `<KeyPackage>
      <DeviceInfo><SerialNo>${serial}</SerialNo></DeviceInfo>
      <Key Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
        <Data><Secret><PlainValue>${secret.toString('base64')}</PlainValue></Secret></Data>
      </Key>
    </KeyPackage>`;
    const file = join(dir, 'second-bad.xml');
    writeFileSync(
      file,
      `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">${pkg('CLI-GOOD', Buffer.alloc(20, 1))}${pkg('CLI-BAD', Buffer.alloc(8, 2))}</KeyContainer>`,
    );
    const run = await cli(db, [file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('CLI-BAD');
    expect(serials(db)).toEqual(['987654321']);
  });

  it('an unreadable file: exit 1 saying so', async () => {
    const run = await cli(db, [join(dir, 'no-such-file.xml')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot read');
  });

  it('usage errors exit 2: both --key-hex and --password, no FILE, two FILEs, unknown flag', {
    timeout: 60_000,
  }, async () => {
    const cases = [
      [FIGURE6, '--key-hex', KEY6, '--password', 'qwerty'],
      [],
      ['--key-hex', KEY6],
      [FIGURE6, FIGURE7],
      [FIGURE6, '--nonsense'],
    ];
    const runs = await Promise.all(cases.map((args) => cli(db, args)));
    runs.forEach((run, i) => {
      expect(run.code, cases[i]!.join(' ')).toBe(2);
      expect(run.stderr).toContain('usage');
    });
    expect(serials(db)).toEqual(['987654321']);
  });
});
