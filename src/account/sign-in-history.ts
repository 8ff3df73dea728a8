import type { AuditService } from '../audit/audit-service.js';

/** A sign-in as the person sees it in their history. */
export interface SignInRecord {
  at: string;
  client: string | null;
  acr: string | null;
  amr: string[];
  sourceIp: string | null;
}

/** The person's recent completed sign-ins, newest first (read from the audit trail). */
export async function recentSignIns(
  audit: AuditService,
  userId: string,
  limit: number,
): Promise<SignInRecord[]> {
  const events = await audit.forSubject(userId, 200);
  return events
    .filter((e) => e.action === 'sso.signed_in')
    .slice(0, limit)
    .map((e) => ({
      at: e.time,
      client: typeof e.details.client === 'string' ? e.details.client : null,
      acr: typeof e.details.acr === 'string' ? e.details.acr : null,
      amr: Array.isArray(e.details.amr) ? e.details.amr.map(String) : [],
      sourceIp: e.sourceIp,
    }));
}
