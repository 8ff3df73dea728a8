import { inject } from 'vitest';

/**
 * The command line (after `node`) that runs `portcullis ARGS…`: the bundle test/support/build-cli.ts
 * made for this run, or the sources through tsx where no run provided one (a script outside vitest).
 */
export function portcullisArgs(args: string[]): string[] {
  let entry: string | undefined;
  try {
    entry = inject('cliEntry');
  } catch {
    // Not inside a vitest run.
  }
  return entry ? ['--enable-source-maps', entry, ...args] : ['--import', 'tsx', 'src/main.ts', ...args];
}
