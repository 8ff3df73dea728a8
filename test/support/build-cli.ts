import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The `portcullis` command built once for this run (see test/support/portcullis-command.ts). */
    cliEntry: string;
  }
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Vitest global setup: bundles src/main.ts once per run, as tsx would compile it (esbuild, the
 * same transform), so each spawned CLI run and server starts as plain JavaScript instead of
 * paying tsx's loader for every module again. Packages stay external, resolved from
 * node_modules as usual; `serve` stays a chunk of its own, loaded only when it runs.
 */
export default async function buildCli(project: TestProject) {
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const outdir = mkdtempSync(join(cache, 'portcullis-cli-'));
  const bundle = () =>
    build({
      entryPoints: [join(ROOT, 'src', 'main.ts')],
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      logLevel: 'error',
    });
  await bundle();
  // In watch mode the sources change between runs: bundle them again before each rerun.
  project.onTestsRerun(async () => {
    await bundle();
  });
  project.provide('cliEntry', join(outdir, 'main.js'));
  return () => rmSync(outdir, { recursive: true, force: true });
}
