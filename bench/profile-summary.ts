import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): where the time went by function
 * (self time, positions mapped back to src/ through dist's source maps) and by area
 * (our src/, each npm package, Node internals, GC, idle).
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  fn: string;
  location: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Milliseconds not idle (what the percentages of `busy` refer to). */
  busyMs: number;
  selfTop: HotSpot[];
  /** Inclusive time of our own functions (src/…), i.e. with everything they call. */
  ownInclusiveTop: HotSpot[];
  areas: Array<{ area: string; ms: number; percent: number }>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const maps = new Map<string, SourceMap | null>();

function sourceMapFor(file: string): SourceMap | null {
  if (!maps.has(file)) {
    let map: SourceMap | null = null;
    try {
      if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return maps.get(file)!;
}

/** `file:line` (1-based) of a frame, mapped from dist/ to src/ where a source map says so. */
function locate(frame: CallFrame): string {
  const { url } = frame;
  if (!url) return '(native)';
  if (!url.startsWith('file://')) return `${url}:${frame.lineNumber + 1}`;
  const file = fileURLToPath(url);
  const map = sourceMapFor(file);
  if (map) {
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as {
      originalSource?: string;
      originalLine?: number;
    };
    if (entry?.originalSource) {
      const src = entry.originalSource.startsWith('file://')
        ? fileURLToPath(entry.originalSource)
        : resolve(dirname(file), entry.originalSource);
      return `${relative(ROOT, src)}:${(entry.originalLine ?? 0) + 1}`;
    }
  }
  return `${relative(ROOT, file)}:${frame.lineNumber + 1}`;
}

function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)') {
      return functionName;
    }
    return '(native/V8 builtins)';
  }
  if (url.startsWith('node:')) return 'node: internals';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return `npm ${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const rel = relative(ROOT, path);
  if (rel.startsWith('dist/') || rel.startsWith('src/')) return 'portcullis src';
  return rel;
}

/**
 * A stretch of a profile to summarise, in microseconds of the monotonic clock V8 stamps samples
 * with on Linux (CLOCK_MONOTONIC, as `process.hrtime` reads it in any process of the machine).
 */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

/** Now on the clock of `ProfileWindow`. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Reads one profile and ranks where its time went (only within `windows`, when given). */
export function summarizeProfile(file: string, top = 25, windows?: readonly ProfileWindow[]): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (windows && !windows.some((w) => at >= w.fromUs && at <= w.toUs)) return;
    // timeDeltas[i] is the time before sample i; attribute the gap after it to it (V8's own convention).
    const dt = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  });

  const key = (f: CallFrame) => `${f.functionName || '(anonymous)'}\t${locate(f)}`;
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    totalUs += us;
    if (node.callFrame.functionName === '(idle)') idleUs += us;
    const k = key(node.callFrame);
    self.set(k, (self.get(k) ?? 0) + us);
    const a = areaOf(node.callFrame);
    areas.set(a, (areas.get(a) ?? 0) + us);
    // Inclusive time of our own functions: count each distinct one on the stack once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (areaOf(f) !== 'portcullis src') continue;
      const fk = key(f);
      if (seen.has(fk)) continue;
      seen.add(fk);
      inclusive.set(fk, (inclusive.get(fk) ?? 0) + us);
    }
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const rank = (m: Map<string, number>): HotSpot[] =>
    [...m.entries()]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => {
        const [fn, location] = k.split('\t') as [string, string];
        return { fn, location, ms: Math.round(us / 1000), percent: Math.round((us / busyUs) * 1000) / 10 };
      });
  return {
    file,
    totalMs: Math.round(totalUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    selfTop: rank(self),
    ownInclusiveTop: rank(inclusive),
    areas: [...areas.entries()]
      .filter(([a]) => a !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({
        area,
        ms: Math.round(us / 1000),
        percent: Math.round((us / busyUs) * 1000) / 10,
      })),
  };
}

/** The newest `.cpuprofile` in a directory, if any. */
export function newestProfile(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/** Text for the console. */
export function formatSummary(s: ProfileSummary): string {
  const lines = [
    `CPU profile ${relative(ROOT, s.file)}: ${s.totalMs} ms sampled, ${s.busyMs} ms busy (percentages of busy)`,
    '',
    'by area:',
    ...s.areas
      .slice(0, 15)
      .map((a) => `  ${a.percent.toFixed(1).padStart(5)}%  ${a.ms.toString().padStart(7)} ms  ${a.area}`),
    '',
    'top self time:',
    ...s.selfTop.map(
      (h) =>
        `  ${h.percent.toFixed(1).padStart(5)}%  ${h.ms.toString().padStart(7)} ms  ${h.fn}  ${h.location}`,
    ),
    '',
    'our functions, inclusive:',
    ...s.ownInclusiveTop.map(
      (h) =>
        `  ${h.percent.toFixed(1).padStart(5)}%  ${h.ms.toString().padStart(7)} ms  ${h.fn}  ${h.location}`,
    ),
  ];
  return lines.join('\n');
}

// `node --import tsx bench/profile-summary.ts FILE.cpuprofile|DIR [TOP]` prints one summary.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = process.argv[2] ?? join(ROOT, 'bench/results/profile');
  const file = statSync(target).isDirectory() ? newestProfile(target) : target;
  if (!file) throw new Error(`no .cpuprofile in ${target}`);
  console.log(formatSummary(summarizeProfile(file, Number(process.argv[3] ?? 25))));
}
