import autocannon, { type AutocannonRequest } from 'autocannon';
import { cpuSecondsOf, schedOf } from './children.js';

/** Connections every load run keeps open (pipelining 1: one request in flight per connection). */
export const CONNECTIONS = 64;

/** One load run against one endpoint. */
export interface LoadSpec {
  name: string;
  /** Base URL, e.g. http://127.0.0.1:8080 (loopback only). */
  url: string;
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  seconds: number;
  connections?: number;
  /** The status every response should have. */
  expectStatus: number;
  /**
   * Builds each request's body; the tag comes back with its response (e.g. whose code it was).
   * Absent: every request is the same.
   */
  next?: () => { body: string; tag: unknown };
  /** Sees each response; returns its outcome label (e.g. `accept`). Default: the status. */
  onResponse?: (
    status: number,
    body: string,
    tag: unknown,
    headers: Record<string, string | string[]>,
  ) => string;
  /** The outcome label that counts as the wanted answer. Default: String(expectStatus). */
  goodOutcome?: string;
  /** The server's pid, to report the CPU it used during the run. */
  serverPid?: number;
}

export interface LoadResult {
  name: string;
  seconds: number;
  connections: number;
  /** Every response received, whatever its status. */
  responses: number;
  reqPerSec: number;
  /** Responses with the wanted outcome, and their rate: the figure to compare. */
  good: number;
  goodPerSec: number;
  /** `good / responses` (1 when no response at all is 0). */
  goodShare: number;
  byStatus: Record<string, number>;
  byOutcome: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  resets: number;
  latencyMs: { mean: number; p50: number; p99: number; max: number };
  /** CPU the driver itself used, in % of one core: near 100 means the driver was the limit. */
  driverCpuPercent: number;
  /** CPU the server used during the run, in % of one core (when its pid was given). */
  serverCpuPercent: number | null;
  /** Share of the run the server's event-loop thread was runnable but waiting for a CPU (machine busy). */
  serverRunQueuePercent: number | null;
  /** Anything that makes the run suspect: errors, timeouts, unexpected statuses or outcomes. */
  problems: string[];
}

const TAG = '__benchTag';

/** Runs autocannon with a fixed connection count and pipelining 1; reports everything it saw. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const connections = spec.connections ?? CONNECTIONS;
  const byOutcome: Record<string, number> = {};
  const problems: string[] = [];
  let builderFailure: string | undefined;
  const request: AutocannonRequest = {
    method: spec.method ?? 'GET',
    path: spec.path,
    headers: spec.headers,
  };
  if (spec.next) {
    const next = spec.next;
    request.setupRequest = (req, context) => {
      try {
        const { body, tag } = next();
        context[TAG] = tag;
        return { ...req, body };
      } catch (err) {
        // Never return undefined here (autocannon would loop): send a request that shows up as unexpected.
        builderFailure ??= (err as Error).message;
        context[TAG] = undefined;
        return { ...req, body: '{}' };
      }
    };
  }
  if (spec.onResponse) {
    const onResponse = spec.onResponse;
    request.onResponse = (status, body, context, headers) => {
      const outcome = onResponse(status, body, context[TAG], headers);
      byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
    };
  }

  const serverCpu0 = spec.serverPid ? cpuSecondsOf(spec.serverPid) : 0;
  const sched0 = spec.serverPid ? schedOf(spec.serverPid) : undefined;
  /** A server that died during the run has no /proc entry: its figures are then unknown. */
  const after = <T>(read: () => T): T | null => {
    try {
      return read();
    } catch {
      return null;
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = await autocannon({
    url: spec.url,
    connections,
    pipelining: 1,
    duration: spec.seconds,
    timeout: 10,
    requests: [request],
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const pid = spec.serverPid;
  const cpu1 = pid ? after(() => cpuSecondsOf(pid)) : null;
  const wait1 = pid ? after(() => schedOf(pid).waiting) : null;
  const serverCpu = cpu1 === null ? null : cpu1 - serverCpu0;
  const serverWait = wait1 === null || !sched0 ? null : wait1 - sched0.waiting;

  const byStatus: Record<string, number> = {};
  let responses = 0;
  for (const [status, { count }] of Object.entries(result.statusCodeStats ?? {})) {
    byStatus[status] = count;
    responses += count;
  }
  const seconds = result.duration > 0 ? result.duration : wall;
  const goodLabel = spec.goodOutcome ?? String(spec.expectStatus);
  const good = spec.onResponse ? (byOutcome[goodLabel] ?? 0) : (byStatus[goodLabel] ?? 0);

  if (builderFailure) problems.push(`request builder failed: ${builderFailure}`);
  if (responses === 0) problems.push('no response at all');
  if (result.errors > 0) problems.push(`${result.errors} connection errors (${result.timeouts} timeouts)`);
  if (result.mismatches > 0) problems.push(`${result.mismatches} body mismatches`);
  for (const [status, count] of Object.entries(byStatus)) {
    if (status !== String(spec.expectStatus)) problems.push(`${count} responses with status ${status}`);
  }
  if (spec.onResponse) {
    for (const [outcome, count] of Object.entries(byOutcome)) {
      if (outcome !== goodLabel) problems.push(`${count} responses with outcome ${outcome}`);
    }
  }

  return {
    name: spec.name,
    seconds,
    connections,
    responses,
    reqPerSec: responses / seconds,
    good,
    goodPerSec: good / seconds,
    goodShare: responses === 0 ? 0 : good / responses,
    byStatus,
    byOutcome,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    resets: result.resets,
    latencyMs: {
      mean: result.latency.mean,
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    driverCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100),
    serverCpuPercent: serverCpu === null ? null : Math.round((serverCpu / wall) * 100),
    serverRunQueuePercent: serverWait === null ? null : Math.round((serverWait / wall) * 100),
    problems,
  };
}

/** One line about a run, for the log. */
export function describeRun(r: LoadResult): string {
  const statuses = Object.entries(r.byStatus)
    .map(([s, n]) => `${s}:${n}`)
    .join(' ');
  const outcomes = Object.keys(r.byOutcome).length
    ? ` outcomes ${Object.entries(r.byOutcome)
        .map(([o, n]) => `${o}:${n}`)
        .join(' ')}`
    : '';
  return (
    `${r.name}: ${Math.round(r.reqPerSec)} req/s (${Math.round(r.goodPerSec)} good/s) over ${r.seconds.toFixed(1)} s, ` +
    `${r.connections} conns, p50 ${r.latencyMs.p50} ms p99 ${r.latencyMs.p99} ms, statuses ${statuses}${outcomes}, ` +
    `errors ${r.errors} timeouts ${r.timeouts}, driver CPU ${r.driverCpuPercent}%` +
    (r.serverCpuPercent === null
      ? ''
      : `, server CPU ${r.serverCpuPercent}% (waiting for a CPU ${r.serverRunQueuePercent}%)`) +
    (r.problems.length ? `\n  PROBLEMS: ${r.problems.join('; ')}` : '')
  );
}
