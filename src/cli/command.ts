import type { Logger } from 'pino';
import type { Config } from '../config.js';

/** Exit codes (CONTRACT.md): 0 success, 1 failure, 2 usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A usage mistake: the command line itself is wrong (exit 2). */
export class UsageError extends Error {}

/** What a command gets: its arguments, the configuration, a logger (stderr), and stdout. */
export interface CommandIo {
  args: string[];
  config: Config;
  logger: Logger;
  out: (text: string) => void;
}

/** One CLI command; returns its exit code. */
export type Command = (io: CommandIo) => Promise<number>;
