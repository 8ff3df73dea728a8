import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // A guard against hangs, never a performance bound: a test that starts several CLI processes
    // took 24-30 s with two suites sharing the 2 cores, 8-11 s in a run of its own.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores (1 on the 2-core machines): the files
    // mostly wait (PostgreSQL, fsync, child processes, Chromium), so two at a time use both cores.
    maxWorkers: 2,
    // A worker keeps its loaded modules from one file to the next instead of importing the whole
    // app again for each (about 1.3 s a file). Every file builds its own runtime, database and
    // servers; no test mocks modules or changes process-wide state.
    isolate: false,
    // Builds the `portcullis` command once per run for the CLI and server-process tests.
    globalSetup: ['test/support/build-cli.ts'],
  },
});
