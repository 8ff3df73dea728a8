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
