import type { Command } from './command.js';
import { withRuntime } from './with-runtime.js';

/** `audit verify`: exit 0 with the count when intact; 1 naming the first bad sequence number. */
export const auditVerify: Command = async (io) => {
  const result = await withRuntime(io, (rt) => rt.services.audit.verify());
  if (result.ok) {
    io.out(`audit chain intact: ${result.count} events`);
    return 0;
  }
  io.out(`audit chain broken at event ${result.seq}: ${result.reason}`);
  return 1;
};
