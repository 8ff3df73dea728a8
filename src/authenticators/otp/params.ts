import { z } from 'zod';

/** Imported seeds shorter than this are refused (SECURITY.md: under 16 bytes is too weak). */
export const MIN_IMPORTED_SEED_BYTES = 16;

/** Size of seeds we generate: 160 bits, above the 112-bit floor and the RFC 4226 recommendation. */
export const NEW_SEED_BYTES = 20;

/** Validates per-authenticator OTP settings, filling the defaults every authenticator app assumes. */
export const otpParamsSchema = z.object({
  algorithm: z.enum(['SHA1', 'SHA256', 'SHA512']).default('SHA1'),
  // 7 digits is legal in the RFC but many apps ignore it, so only 6 and 8 are offered.
  digits: z.union([z.literal(6), z.literal(8)]).default(6),
  period: z.number().int().min(15).max(120).default(30),
});

/** OTP settings after validation and defaults. */
export type OtpParams = z.infer<typeof otpParamsSchema>;

/** The most stored settings texts kept parsed (authenticators share a handful of them). */
const PARSED_LIMIT = 256;
const parsed = new Map<string, Readonly<OtpParams>>();

/**
 * An authenticator's stored `params` (JSON text) parsed and validated, as `otpParamsSchema`
 * would. Keyed by the text itself, so a changed row is parsed anew; invalid text throws every
 * time. Saves a JSON.parse and a schema check on every code checked.
 */
export function storedOtpParams(text: string): Readonly<OtpParams> {
  let params = parsed.get(text);
  if (!params) {
    params = Object.freeze(otpParamsSchema.parse(JSON.parse(text)));
    if (parsed.size >= PARSED_LIMIT) parsed.clear();
    parsed.set(text, params);
  }
  return params;
}
