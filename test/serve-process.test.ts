import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { startServer } from './support/server-process.js';

/**
 * `portcullis serve` as an operator runs it on a fresh machine: a new master key file, the
 * bootstrap line, health, a token from the CLI, and a graceful stop on SIGTERM.
 */
describe('serve on a fresh data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-serve-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the master key (0600), prints one bootstrap link, serves, and stops gracefully', async () => {
    // No master key in the environment: serve must make one (CONTRACT.md).
    const env = {
      PORTCULLIS_DATA_DIR: dir,
      DATABASE_URL: `sqlite:${join(dir, 'portcullis.db')}`,
      PORTCULLIS_MASTER_KEY: '',
    };
    const server = await startServer(env);
    try {
      const keyFile = join(dir, 'master.key');
      expect(existsSync(keyFile)).toBe(true);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const links = server.output().match(/\/bootstrap\/([\w-]+)/g) ?? [];
      expect(links).toHaveLength(1);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

      // The bootstrap link yields an admin token once.
      const redeem = () =>
        fetch(`${server.url}${links[0]}`, { method: 'POST', headers: { accept: 'application/json' } });
      const first = await redeem();
      expect(first.status).toBe(201);
      const { token } = (await first.json()) as { token: string };
      expect(
        (await fetch(`${server.url}/api/v1/users`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200);
      expect((await redeem()).status).toBe(404);

      // The CLI reads the same configuration (the key file) and prints a token alone on stdout.
      const cli = await runCli(
        env.DATABASE_URL,
        ['token', 'create', '--role', 'auditor', '--name', 'siem'],
        env,
      );
      expect(cli.code).toBe(0);
      expect(cli.stdout).toMatch(/^pcs_[\w-]{43}\n$/);
      // Only `serve` loads oidc-provider, so its Node 20 runtime warning never reaches other commands.
      expect(cli.stderr).not.toContain('Unsupported runtime');
      const auditor = cli.stdout.trim();
      expect(
        (await fetch(`${server.url}/api/v1/users`, { headers: { authorization: `Bearer ${auditor}` } }))
          .status,
      ).toBe(200);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    expect(server.output()).toContain('shutting down');
  }, 60_000);

  it('refuses a bad setting at start-up, naming it (exit 1)', async () => {
    const run = await runCli(`sqlite:${join(dir, 'x.db')}`, ['migrate'], { PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/PORT/);
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const run = await runCli(`sqlite:${join(dir, 'x.db')}`, ['frobnicate']);
    expect(run.code).toBe(2);
  });
});
