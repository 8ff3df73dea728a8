#!/usr/bin/env node
import { auditExport } from './cli/audit-export.js';
import { auditVerify } from './cli/audit-verify.js';
import { backup } from './cli/backup.js';
import { clientCreate } from './cli/client-create.js';
import { type Command, EXIT, UsageError } from './cli/command.js';
import { demo } from './cli/demo.js';
import { importPskc } from './cli/import-pskc.js';
import { importUsers } from './cli/import-users.js';
import { keysRotate } from './cli/keys-rotate.js';
import { migrate } from './cli/migrate.js';
import { tokenCreate } from './cli/token-create.js';
import { loadConfig } from './config.js';
import { AppError } from './shared/errors.js';
import { createLogger } from './shared/logger.js';

/**
 * `serve` loads the HTTP faces (and with them oidc-provider, which warns on Node 20) only when
 * it runs, so the other commands start without them.
 */
const serve: Command = async (io) => (await import('./cli/serve.js')).serve(io);

/** Every command, by its words on the command line. */
const COMMANDS: Record<string, Command> = {
  serve,
  migrate,
  'token create': tokenCreate,
  'client create': clientCreate,
  'audit verify': auditVerify,
  'audit export': auditExport,
  'import pskc': importPskc,
  'import users': importUsers,
  'keys rotate': keysRotate,
  backup,
  demo,
};

const USAGE = `usage: portcullis <command>
  serve                                  run the server (applies migrations first)
  migrate                                apply migrations and exit
  token create --role ROLE --name NAME   print a new API token
  client create --name NAME --redirect-uri URI [--public]
                                         register an OIDC client; prints {"client_id", "client_secret"}
  audit verify                           check the audit chain
  audit export [--since ISO-TIME]        audit events as JSON lines
  import pskc FILE [--key-hex HEX | --password PW]
                                         import hardware OTP tokens (RFC 6030), all or nothing
  import users FILE.csv [--dry-run]      create or update people from a CSV (header names the columns);
                                         --dry-run prints what would change and writes nothing
  keys rotate                            new data key; re-seal every stored secret under it
  backup FILE                            online copy of a SQLite database into FILE (PostgreSQL: pg_dump)
  demo [--people N] [--seed S]           fill an empty database with a demo organisation (default 2000 people)`;

/** Parses the command line, runs one command, and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first = '', second = ''] = argv;
  const two = `${first} ${second}`;
  const name = COMMANDS[two] ? two : COMMANDS[first] ? first : undefined;
  if (!name || first === '--help' || first === 'help') {
    process.stderr.write(`${USAGE}\n`);
    return name || first === '--help' || first === 'help' ? EXIT.ok : EXIT.usage;
  }
  const args = argv.slice(name.split(' ').length);
  try {
    const config = loadConfig();
    // Commands print their results on stdout; logs go to stderr, except for serve.
    const logger = createLogger(config.logLevel, name === 'serve' ? process.stdout : process.stderr);
    const out = (text: string) => process.stdout.write(`${text}\n`);
    return await COMMANDS[name]!({ args, config, logger, out });
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`portcullis ${name}: ${(err as Error).message}\n${USAGE}\n`);
      return EXIT.usage;
    }
    // The operator at the terminal may see every message; AppError codes name the kind.
    const code = err instanceof AppError ? ` [${err.code}]` : '';
    process.stderr.write(`portcullis ${name}: ${(err as Error).message}${code}\n`);
    return EXIT.failure;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`portcullis: ${(err as Error).stack ?? err}\n`);
    process.exitCode = EXIT.failure;
  },
);
