import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { portcullisArgs } from './portcullis-command.js';
import { TEST_MASTER_KEY } from './runtime.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What a CLI run printed and how it exited. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `portcullis ARGS…` (this run's build of the sources: test/support/portcullis-command.ts), as an operator would,
 * against the database at `databaseUrl`, with the test master key unless `env` says otherwise.
 */
export function runCli(
  databaseUrl: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, portcullisArgs(args), {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        PORTCULLIS_MASTER_KEY: TEST_MASTER_KEY,
        LOG_LEVEL: 'silent',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
