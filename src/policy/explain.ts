import type { Evaluation, FieldDecision, Source } from './evaluate.js';
import { RULE_FIELDS } from './policy-model.js';

const REASON: Record<FieldDecision['reason'], string> = {
  baseline: 'no policy sets it: built-in default',
  strictest: 'strictest of the applicable policies',
  override: 'a policy marked override wins',
  exception: 'waived by an exception',
};

const FLOOR_NOTE =
  "; the built-in aal is the floor every sign-in needs (a second factor for everyone): a default policy may raise it, only an exception lowers it for a person, and a request's acr_values are never lowered";

function sourceName(s: Source): string {
  if (s.kind === 'built-in') return 'built-in default';
  if (s.kind === 'policy') return `policy "${s.name}"`;
  return `exception ${s.id}`;
}

/**
 * A person-readable account of an evaluation: every policy that applied and why, every
 * exception considered, and for each rule its value, where it came from and by which precedence.
 */
export function explain(e: Evaluation): string[] {
  const lines: string[] = [];
  if (e.policies.length === 0) lines.push('No policy applies: the built-in defaults are in force.');
  for (const p of e.policies) {
    const how = p.override ? `override, priority ${p.priority}` : 'strictest wins';
    const sets = p.sets.length ? p.sets.join(', ') : 'nothing';
    lines.push(`Policy "${p.name}" applies (${p.why}; ${how}); sets ${sets}.`);
  }
  for (const x of e.exceptions) {
    const until = new Date(x.expiresAt).toISOString();
    lines.push(
      x.applied
        ? `Exception ${x.id} applies (${x.why}) until ${until}; waives ${Object.keys(x.waives).join(', ')}.`
        : `Exception ${x.id} does not apply (${x.why}).`,
    );
  }
  for (const field of RULE_FIELDS) {
    const d = e.fields[field];
    const from = d.from.map(sourceName).join(', ');
    const waived = d.reason === 'exception' ? `, instead of ${JSON.stringify(d.waived)}` : '';
    const floor = field === 'aal' && d.from.some((s) => s.kind === 'built-in') ? FLOOR_NOTE : '';
    lines.push(`${field} = ${JSON.stringify(d.value)}: ${REASON[d.reason]} (${from}${waived})${floor}.`);
  }
  return lines;
}
