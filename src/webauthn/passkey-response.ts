import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';

const b64url = z
  .string()
  .min(1)
  .max(16_384)
  .regex(/^[A-Za-z0-9_-]+$/);
const common = {
  id: b64url.max(1366),
  rawId: b64url.max(1366),
  type: z.literal('public-key'),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
};

const registration = z.object({
  ...common,
  response: z.looseObject({
    clientDataJSON: b64url,
    attestationObject: b64url,
    transports: z.array(z.string().max(32)).max(10).optional(),
  }),
});

const authentication = z.object({
  ...common,
  response: z.looseObject({
    clientDataJSON: b64url,
    authenticatorData: b64url,
    signature: b64url,
    userHandle: b64url.max(128).optional(),
  }),
});

function parsed<T>(schema: z.ZodType<T>, text: unknown): T | undefined {
  if (typeof text !== 'string' || text.length > 64 * 1024) return undefined;
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** The browser's registration answer (JSON text from the page), or undefined when malformed. */
export function parseRegistrationResponse(text: unknown): RegistrationResponseJSON | undefined {
  return parsed(registration, text) as RegistrationResponseJSON | undefined;
}

/** The browser's authentication answer (JSON text from the page), or undefined when malformed. */
export function parseAuthenticationResponse(text: unknown): AuthenticationResponseJSON | undefined {
  return parsed(authentication, text) as AuthenticationResponseJSON | undefined;
}
