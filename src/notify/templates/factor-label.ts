import { plain } from './mail-layout.js';

const LABELS: Record<string, string> = {
  totp: 'an authenticator app (TOTP)',
  hotp: 'a hardware token (HOTP)',
  webauthn: 'a passkey',
  recovery_codes: 'a set of recovery codes',
  access_pass: 'a temporary access pass',
};

/** How a factor is named in a mail: its type in words, and its own name when it has one. */
export function factorLabel(type: string, name?: string | null): string {
  const kind = LABELS[type] ?? plain(type, 40);
  return name ? `${kind} named "${plain(name, 60)}"` : kind;
}
