import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PskcReadOptions, readPskc } from '../../src/authenticators/inventory/read-pskc.js';
import { AppError } from '../../src/shared/errors.js';
import { RUNS } from '../support/arbitraries.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { stateFingerprint } from '../support/state-fingerprint.js';

const VECTORS = new URL('../../../shared/vectors/', import.meta.url);
const RFC_KEY = { keyHex: '12345678901234567890123456789012' };

/** Valid containers to damage, with what opens them: plain, pre-shared key, password, a vendor's. */
const BASES: Array<{ file: string; opts: PskcReadOptions }> = [
  { file: 'pskc-rfc6030/figure2.xml', opts: {} },
  { file: 'pskc-rfc6030/figure3.xml', opts: {} },
  { file: 'pskc-rfc6030/figure6.xml', opts: RFC_KEY },
  { file: 'pskc-rfc6030/figure7.xml', opts: { password: 'qwerty' } },
  { file: 'pskc-samples/feitian_file1.xml', opts: {} },
];

/** XML an attacker would try: entities, DOCTYPEs, CDATA, huge numbers, broken markup. */
const SNIPPETS = [
  '<!DOCTYPE KeyContainer [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
  '<!ENTITY x SYSTEM "file:///etc/passwd">',
  '&b;',
  '&#0;',
  '<![CDATA[ ]]>',
  ']]>',
  '<',
  '</KeyPackage>',
  '<KeyPackage></KeyPackage>',
  '99999999999999999999999999',
  '-1',
  'AAAA====',
  '\u0000',
  '\ud800',
  'x'.repeat(10_000),
];

/** One damage to a document: a character replaced, a range cut, a snippet inserted, an element's text replaced. */
const damage = fc.oneof(
  fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 1 })).map(([at, ch]) => (xml: string) => {
    const i = at % xml.length;
    return xml.slice(0, i) + ch + xml.slice(i + 1);
  }),
  fc.tuple(fc.nat(), fc.nat({ max: 200 })).map(([at, n]) => (xml: string) => {
    const i = at % xml.length;
    return xml.slice(0, i) + xml.slice(i + n);
  }),
  fc
    .tuple(fc.nat(), fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 20 })))
    .map(([at, s]) => (xml: string) => {
      const i = at % xml.length;
      return xml.slice(0, i) + s + xml.slice(i);
    }),
  fc
    .tuple(fc.nat(), fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 20 })))
    .map(([k, s]) => (xml: string) => {
      // The text of the k-th element that holds text (serials, counters, digits, ciphertexts).
      const texts = [...xml.matchAll(/>([^<>]+)</g)];
      const m = texts[k % Math.max(texts.length, 1)];
      if (!m || m.index === undefined) return xml;
      return `${xml.slice(0, m.index + 1)}${s}${xml.slice(m.index + 1 + m[1]!.length)}`;
    }),
);

/**
 * Damaged PSKC containers through the same path as `portcullis import pskc` (read, decrypt,
 * import in one transaction): each is imported whole or refused with a PSKC error (4xx class),
 * and a refusal leaves the inventory and the audit chain untouched.
 */
describe('hostile PSKC files on sqlite', () => {
  let rt: TestRuntime;

  beforeAll(async () => {
    rt = await createTestRuntime('sqlite');
  });
  afterAll(async () => rt?.dispose());

  it('imports all or nothing, refusing with a client error', async () => {
    const docs = BASES.map((b) => ({ xml: readFileSync(new URL(b.file, VECTORS), 'utf8'), opts: b.opts }));
    const outcomes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: docs.length - 1 }),
        fc.array(damage, { minLength: 1, maxLength: 3 }),
        async (which, damages) => {
          const { xml, opts } = docs[which]!;
          const text = damages.reduce((x, d) => d(x), xml);
          const before = await stateFingerprint(rt.ctx.store);
          try {
            const tokens = readPskc(text, opts);
            await rt.services.inventory.importTokens({ label: 'fuzz' }, tokens, 'pskc:fuzz.xml');
            outcomes.add('imported');
          } catch (err) {
            expect(err, String(err)).toBeInstanceOf(AppError);
            expect((err as AppError).status, (err as AppError).message).toBeLessThan(500);
            expect(await stateFingerprint(rt.ctx.store)).toBe(before);
            outcomes.add('refused');
          }
        },
      ),
      { ...RUNS, numRuns: 200 },
    );
    expect(outcomes).toContain('refused');
  }, 60_000);
});
