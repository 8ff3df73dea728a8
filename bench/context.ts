import { join } from 'node:path';
import { type Child, tail } from './children.js';
import { describeRun, type LoadResult, type LoadSpec, runLoad } from './load.js';
import type { ServerFlavour } from './portcullis.js';
import type { Row } from './report.js';

/** What every benchmark of one `npm run bench` shares: settings, the scratch directory, the results. */
export interface Bench {
  root: string;
  /** The scratch directory of the run (databases, logs), removed at the end. */
  work: string;
  quick: boolean;
  /** Seconds per measured load run, and of its warm-up. */
  seconds: number;
  warmupSeconds: number;
  flavour: ServerFlavour;
  /** PORTCULLIS_GROUP_COMMIT_MS for every server, when set. */
  groupCommitMs: string | undefined;
  rows: Row[];
  notes: string[];
  runs: Record<string, LoadResult>;
  /** Anything else worth keeping in latest.json, by benchmark. */
  extra: Record<string, unknown>;
  log(msg: string): void;
}

/**
 * Clean-ups to run however the run ends, even on the watchdog's timeout (e.g. dropping a
 * PostgreSQL database): add one when the thing is created, delete it once it has been undone.
 */
export const cleanups = new Set<() => Promise<void>>();

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A short run to warm the JIT (discarded), then the measured one, kept in `b.runs`. */
export async function measure(b: Bench, spec: LoadSpec, warmup = b.warmupSeconds): Promise<LoadResult> {
  const w = await runLoad({ ...spec, name: `${spec.name} (warm-up)`, seconds: warmup });
  b.log(describeRun(w));
  await sleep(300);
  const r = await runLoad(spec);
  b.log(describeRun(r));
  b.runs[spec.name] = r;
  return r;
}

/** Throws, with the end of its log, when a child died. */
export function assertAlive(child: Child | undefined, during: string): void {
  if (!child || child.hasExited()) {
    throw new Error(
      `${child?.name ?? 'the server'} exited during ${during}:\n${child ? tail(child.logPath) : ''}`,
    );
  }
}

/** A log file in the scratch directory. */
export function logPath(b: Bench, name: string): string {
  return join(b.work, `${name}.log`);
}
