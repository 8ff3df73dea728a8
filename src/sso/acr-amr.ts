/**
 * What a sign-in is worth: from the factors used to the `amr` values (RFC 8176) and the `acr`,
 * the NIST authenticator assurance level actually reached (CONTRACT.md). Pure: no I/O.
 */

/** NIST SP 800-63B authenticator assurance levels. */
export type Aal = 1 | 2 | 3;

/**
 * The level a sign-in request needs before the person is known: none of its own. The floor every
 * person needs (AAL2, a second factor for everyone) is policy data: the built-in baseline's
 * `aal: 2` (policy-model.ts), raised by policies, lowered for a person only by an exception, and
 * shown by explain. A request's `acr_values` still raise the level, and no exception lowers them.
 */
export const FLOOR_AAL: Aal = 1;

/** The `acr` URI of each level. */
export const ACR_BY_AAL: Readonly<Record<Aal, string>> = {
  1: 'http://idmanagement.gov/ns/assurance/aal/1',
  2: 'http://idmanagement.gov/ns/assurance/aal/2',
  3: 'http://idmanagement.gov/ns/assurance/aal/3',
};

/** Every `acr` value Portcullis issues (discovery's acr_values_supported). */
export const ACR_VALUES: readonly string[] = [ACR_BY_AAL[1], ACR_BY_AAL[2], ACR_BY_AAL[3]];

/** One factor used in a sign-in: the password, or an authenticator as its type describes itself. */
export type UsedFactor =
  | { kind: 'password' }
  | {
      kind: 'authenticator';
      type: string;
      amr: readonly string[];
      maxAal: Aal;
      phishingResistant: boolean;
      /** Passes and recovery codes: they only open enrolment and never raise the level. */
      recoveryOnly: boolean;
      /** A multi-factor authenticator on its own (a passkey used with user verification). */
      multiFactor?: boolean;
    };

/** The outcome: the level reached, its `acr`, and the `amr` values. */
export interface Assurance {
  aal: Aal;
  acr: string;
  amr: string[];
}

// RFC 8176 methods by factor category; "user" (presence) is no factor of its own.
const KNOWLEDGE = new Set(['pwd', 'pin', 'kba']);
const POSSESSION = new Set(['otp', 'hwk', 'swk', 'sms', 'tel', 'sc']);
const INHERENCE = new Set(['fpt', 'face', 'iris', 'retina', 'vbm']);

function categories(amr: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const m of amr) {
    if (KNOWLEDGE.has(m)) out.add('knowledge');
    if (POSSESSION.has(m)) out.add('possession');
    if (INHERENCE.has(m)) out.add('inherence');
  }
  return out;
}

function amrOf(f: UsedFactor): readonly string[] {
  return f.kind === 'password' ? ['pwd'] : f.amr;
}

/**
 * The assurance of a set of factors. Every factor used is named in `amr`; `mfa` joins when the
 * factors that count cover two categories. Recovery-only factors (passes, recovery codes) count
 * for neither `mfa` nor the level (recovery parity): a sign-in through a pass reaches AAL2 only
 * with a freshly enrolled factor that was verified. AAL3 needs a phishing-resistant authenticator.
 */
export function assess(factors: readonly UsedFactor[]): Assurance {
  const amr: string[] = [];
  for (const f of factors) for (const m of amrOf(f)) if (!amr.includes(m)) amr.push(m);
  const counting = factors.filter((f) => f.kind === 'password' || !f.recoveryOnly);
  const multiFactor =
    categories(counting.flatMap((f) => [...amrOf(f)])).size >= 2 ||
    counting.some((f) => f.kind === 'authenticator' && f.multiFactor === true);
  let aal: Aal = 1;
  if (multiFactor) {
    for (const f of counting) {
      if (f.kind !== 'authenticator') continue;
      const level = Math.min(f.maxAal, f.phishingResistant ? 3 : 2) as Aal;
      if (level > aal) aal = level;
    }
    amr.push('mfa');
  }
  return { aal, acr: ACR_BY_AAL[aal], amr };
}

/** The level an `acr` value names; 0 for none or an unknown value. */
export function aalOfAcr(acr: unknown): Aal | 0 {
  const i = ACR_VALUES.indexOf(String(acr));
  return i < 0 ? 0 : ((i + 1) as Aal);
}

/**
 * The level a request needs: `acr_values` asks for at least the lowest level it lists (the RP
 * accepts any of them), never less than `floor` (what Portcullis requires of everyone).
 * Values Portcullis does not know are ignored.
 */
export function requiredAal(acrValues: unknown, floor: Aal): Aal {
  const asked = String(acrValues ?? '')
    .split(' ')
    .map(aalOfAcr)
    .filter((l): l is Aal => l > 0);
  if (asked.length === 0) return floor;
  return Math.max(floor, Math.min(...asked)) as Aal;
}
