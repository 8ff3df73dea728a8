import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Child processes of the benchmark: every one is registered here and killed (by its own pid)
 * when the run ends, fails, is interrupted, or the process exits for any reason.
 */
export interface Child {
  name: string;
  pid: number;
  proc: ChildProcess;
  logPath: string;
  /** Resolves with the exit code (or the signal's name) once the process has gone. */
  exited: Promise<number | string | null>;
  hasExited(): boolean;
}

const live = new Set<Child>();

/** Starts `command args` with its stdout and stderr in `logPath`; loopback servers only. */
export function spawnChild(
  name: string,
  command: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string; logPath: string },
): Child {
  const fd = openSync(opts.logPath, 'a');
  const proc = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (proc.pid === undefined) throw new Error(`could not start ${name}: ${command} ${args.join(' ')}`);
  let gone = false;
  const exited = new Promise<number | string | null>((resolve) => {
    proc.once('exit', (code, signal) => {
      gone = true;
      live.delete(child);
      resolve(code ?? signal);
    });
    proc.once('error', () => {
      gone = true;
      live.delete(child);
      resolve(null);
    });
  });
  const child: Child = { name, pid: proc.pid, proc, logPath: opts.logPath, exited, hasExited: () => gone };
  live.add(child);
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has gone. */
export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  if (child.hasExited()) return;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (!child.hasExited()) process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Stops every child still running. */
export async function stopAll(graceMs = 10_000): Promise<void> {
  await Promise.all([...live].map((c) => stopChild(c, graceMs)));
}

/** Last resort (synchronous): SIGKILL every child still registered. */
export function killAllNow(): void {
  for (const c of live) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAllNow);

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Polls `url` until it answers 200; fails early when the child exits, or after `timeoutMs`. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.hasExited()) {
      throw new Error(`${child.name} exited before answering ${url}:\n${tail(child.logPath)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${child.name} did not answer ${url} within ${timeoutMs} ms (${last}):\n${tail(child.logPath)}`,
  );
}

/** The last lines of a log file, for error messages. */
export function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** VmRSS and VmHWM (peak) of a live process in MB, from /proc. */
export function memoryOf(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) / 1024;
  };
  return { rssMb: kb('VmRSS'), peakRssMb: kb('VmHWM') };
}

/** Clock ticks per second of /proc/<pid>/stat times. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a live process has used so far, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/**
 * The main (event-loop) thread's time on a CPU and time runnable but waiting for one, in seconds,
 * from /proc/<pid>/schedstat: the second shows how much other work on the machine held it back.
 */
export function schedOf(pid: number): { onCpu: number; waiting: number } {
  const [onCpu = '0', waiting = '0'] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
  return { onCpu: Number(onCpu) / 1e9, waiting: Number(waiting) / 1e9 };
}
