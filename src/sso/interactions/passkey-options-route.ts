import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Context } from '../../context.js';
import type { SsoProtocol } from '../protocol.js';
import { csrfValid } from './csrf.js';
import type { SignInService } from './sign-in-service.js';
import { newSignIn, type SignInStateStore } from './sign-in-state-store.js';

const params = z.object({ uid: z.string().min(1).max(64) });

/**
 * `POST /interaction/:uid/passkey-options`: the WebAuthn options for the ceremony the sign-in's
 * current step runs, with a fresh challenge bound to this interaction. The page's script calls
 * it (same origin, CSRF token of the form) when a passkey button is pressed.
 */
export function passkeyOptionsRoute(
  app: FastifyInstance,
  deps: { ctx: Context; protocol: SsoProtocol; signIn: SignInService; states: SignInStateStore },
): void {
  app.post('/interaction/:uid/passkey-options', async (request, reply) => {
    const { uid } = params.parse(request.params);
    const body = (request.body ?? {}) as Record<string, string>;
    const answer = (status: number, error: string) => reply.code(status).send({ error });
    const view = await deps.protocol.interaction(request.raw, reply.raw);
    if (!view || view.uid !== uid) return answer(400, 'this sign-in has expired');
    if (!csrfValid(deps.ctx.keyring, uid, 'passkey-options', body.csrf)) {
      return answer(403, 'the form has expired; reload the page');
    }
    const loaded = await deps.states.current(uid, () => newSignIn(view));
    const start = await deps.signIn.passkeys.options(uid, loaded.state);
    if (!start) return answer(409, 'no passkey step here; reload the page');
    return reply.send(start);
  });
}
