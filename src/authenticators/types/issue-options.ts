import { z } from 'zod';

/** An optional display name ("Alice's phone"); every type accepts it. */
export const authenticatorNameSchema = z.string().trim().min(1).max(100);

/** The enrolment options TOTP and HOTP share (CONTRACT.md: algorithm, digits, period, secret). */
export const otpOptionFields = {
  algorithm: z.enum(['SHA1', 'SHA256', 'SHA512']).optional(),
  digits: z.union([z.literal(6), z.literal(8)]).optional(),
  period: z.number().int().min(15).max(120).optional(),
  /** A brought seed in base32; checked (and refused with INVALID_SECRET) when issuing. */
  secret: z.string().min(1).max(256).optional(),
  name: authenticatorNameSchema.optional(),
};
