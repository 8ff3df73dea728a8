import type { LoadResult } from './load.js';

/** One line of the table: a figure, the baseline it is compared with (same run), the goal. */
export interface Row {
  figure: string;
  value: number | null;
  unit: string;
  baseline: number | null;
  /** What the baseline is, with its unit, e.g. `req/s (bare hello)`. */
  baselineUnit?: string;
  ratio: number | null;
  goal: string;
  pass: boolean | null;
  note?: string;
}

/** The row of a benchmark that could not produce its figure: why, in one line. */
export function failedRow(figure: string, unit: string, goal: string, err: unknown): Row {
  const message = err instanceof Error ? err.message : String(err);
  return {
    figure,
    value: null,
    unit,
    baseline: null,
    ratio: null,
    goal,
    pass: false,
    note: oneLine(message),
  };
}

/** A multi-line message as one line for the table, capped. */
export function oneLine(text: string, max = 400): string {
  const flat = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The server's CPU during a run: share of one core and CPU time per answer. */
export function serverCpu(r: LoadResult): string {
  if (r.serverCpuPercent === null || r.responses === 0) return 'server CPU unknown';
  const msPerAnswer = ((r.serverCpuPercent / 100) * r.seconds * 1000) / r.responses;
  return (
    `server CPU ${r.serverCpuPercent}% of a core = ${msPerAnswer.toFixed(3)} ms per answer, ` +
    `runnable but waiting for a CPU ${r.serverRunQueuePercent}% of the run`
  );
}

/** Every problem of the runs, prefixed with the run's name. */
export function loadProblems(...rs: LoadResult[]): string[] {
  return rs.flatMap((r) => r.problems.map((p) => `${r.name}: ${p}`));
}

/** `; problems` when there are any, for the end of a note. */
export function problemsSuffix(problems: string[]): string {
  return problems.length ? `; ${problems.join('; ')}` : '';
}

function fmt(n: number | null, unit = ''): string {
  if (n === null) return '—';
  if (unit === '%') return `${n.toFixed(2)}%`;
  if (unit === 'MB') return `${n.toFixed(1)} MB`;
  if (unit === 'ms' || unit === 's') return `${n.toFixed(n < 10 ? 2 : 1)} ${unit}`;
  if (Math.abs(n) < 100) return `${n.toFixed(1)}${unit ? ` ${unit}` : ''}`;
  return `${Math.round(n).toLocaleString('en')}${unit ? ` ${unit}` : ''}`;
}

/** The table printed on stdout, then each row's note. */
export function formatTable(rs: Row[]): string {
  const table = [
    ['figure', 'value', 'baseline (same run)', 'ratio', 'goal', 'result'],
    ...rs.map((r) => [
      r.figure,
      fmt(r.value, r.unit),
      r.baseline === null ? '—' : fmt(r.baseline, r.baselineUnit ?? ''),
      r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
      r.goal,
      r.pass === null ? '—' : r.pass ? 'PASS' : 'FAIL',
    ]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ');
  const out = [line(table[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line)];
  const notes = rs.filter((r) => r.note).map((r) => `  ${r.figure}: ${r.note}`);
  return [...out, '', ...notes].join('\n');
}
