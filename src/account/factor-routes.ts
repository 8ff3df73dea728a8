import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isAppError } from '../shared/errors.js';
import { csrfValid } from '../sso/interactions/csrf.js';
import type { AccountPortal, AccountRouteDeps } from './account-portal.js';
import { recoveryCodesPage, totpSetupPage } from './pages/setup-pages.js';

const idParam = z.object({ id: z.string().min(1).max(64) });

/**
 * The portal's changes to one's own factors: add an authenticator app or a passkey, rename or
 * remove a factor, regenerate recovery codes. Each is a POST through `portal.post` (signed in,
 * CSRF-checked, REAUTH_REQUIRED answered with the confirm page).
 */
export function factorRoutes(app: FastifyInstance, deps: AccountRouteDeps, portal: AccountPortal): void {
  const { account, ctx } = deps;
  const { keyring } = ctx;
  const { post, send, overview, signedIn } = portal;

  post('/account/totp', 'totp', async ({ reply, session, actor, pc, nonce }) => {
    const issued = await account.startTotp(actor, session);
    return send(reply, nonce, totpSetupPage(pc, issued));
  });

  post('/account/totp/confirm', 'totp/confirm', async ({ reply, session, actor, body, pc, nonce }) => {
    const id = String(body.id ?? '');
    const code = String(body.code ?? '').replace(/[\s-]/g, '');
    const ok = /^[0-9]{6,10}$/.test(code) && (await account.confirmTotp(actor, session, id, code));
    if (ok) return reply.redirect('/account?done=added', 303);
    const error = 'That code did not work. Check the code and try again.';
    return send(reply, nonce, totpSetupPage(pc, { id, error, status: 200 }));
  });

  app.post('/account/passkey-options', async (request, reply) => {
    const me = await signedIn(request, reply);
    if (!me) return reply.code(401).send({ error: 'not signed in' });
    const body = (request.body ?? {}) as Record<string, string>;
    if (!csrfValid(keyring, `account:${me.session.uid}`, 'passkey-options', body.csrf)) {
      return reply.code(403).send({ error: 'the form has expired; reload the page' });
    }
    try {
      return reply.send(await account.passkeyOptions(me.session));
    } catch (err) {
      if (isAppError(err, 'REAUTH_REQUIRED'))
        return reply.code(403).send({ error: 'confirm it is you first' });
      throw err;
    }
  });

  post('/account/passkey', 'passkey', async ({ request, reply, session, actor, body }) => {
    if (await account.addPasskey(actor, session, body)) return reply.redirect('/account?done=added', 303);
    return overview(request, reply, { error: 'The passkey was not added. Try again.', status: 200 });
  });

  post('/account/factors/:id/rename', 'rename', async ({ request, reply, session, actor, body }) => {
    const { id } = idParam.parse(request.params);
    await account.rename(actor, session, id, String(body.name ?? ''));
    return reply.redirect('/account?done=renamed', 303);
  });

  post('/account/factors/:id/remove', 'remove', async ({ request, reply, session, actor }) => {
    const { id } = idParam.parse(request.params);
    await account.remove(actor, session, id);
    return reply.redirect('/account?done=removed', 303);
  });

  post('/account/recovery-codes', 'recovery-codes', async ({ reply, session, actor, pc, nonce }) => {
    const codes = await account.regenerateRecoveryCodes(actor, session);
    return send(reply, nonce, recoveryCodesPage(pc, codes));
  });
}
