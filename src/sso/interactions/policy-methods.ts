import type { Requirement } from '../../policy/policy-model.js';
import type { Aal } from '../acr-amr.js';

/** Which recovery path lets each recovery type be used at sign-in. */
const RECOVERY_PATH_OF_TYPE: Readonly<Record<string, readonly string[]>> = {
  recovery_codes: ['recovery_code'],
  // A pass is issued by the help desk or as a stand-alone Temporary Access Pass.
  access_pass: ['access_pass', 'helpdesk'],
};

/**
 * Whether an authenticator of `type` counts at sign-in under a requirement: second factors when
 * their type is allowed (and phishing-resistant when that is required), recovery material when
 * its recovery path is allowed. Pure.
 */
export function countsUnder(req: Requirement, type: string): boolean {
  const paths = RECOVERY_PATH_OF_TYPE[type];
  if (paths) return paths.some((p) => (req.recoveryPaths as string[]).includes(p));
  if (!(req.allowedTypes as string[]).includes(type)) return false;
  return !req.phishingResistant || type === 'webauthn';
}

/** The level a factor enrolled during sign-in can reach under a requirement (1: nothing may be enrolled there). */
export function enrolableUnder(req: Requirement, passkeysAvailable: boolean): Aal {
  if (passkeysAvailable && countsUnder(req, 'webauthn')) return 3;
  return countsUnder(req, 'totp') ? 2 : 1;
}
