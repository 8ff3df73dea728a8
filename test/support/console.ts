import type { FastifyInstance } from 'fastify';
import { issueTotp } from './people.js';
import type { TestRuntime } from './runtime.js';
import { Browser, injectTransport } from './sso.js';

/** A person who may use the console: a password, a TOTP, and `roles` granted through the admin API. */
export async function consolePerson(
  rt: TestRuntime,
  username: string,
  roles: readonly string[],
  adminToken: string,
  groups: string[] = [],
) {
  const person = await rt.services.identity.create(
    { label: 'test' },
    { username, email: `${username}@example.org`, password: `${username} password`, groups },
  );
  const factor = await issueTotp(rt, person.id, adminToken);
  const res = await (await rt.app()).inject({
    method: 'PUT',
    url: `/api/v1/users/${person.id}/roles`,
    headers: { authorization: `Bearer ${adminToken}` },
    payload: { roles },
  });
  if (res.statusCode !== 200) throw new Error(`roles: ${res.statusCode} ${res.body}`);
  return {
    ...person,
    password: `${username} password`,
    /** The next TOTP step's code (a step is accepted once): advances the runtime's clock. */
    nextCode: () => {
      rt.clock.advance(30_000);
      return factor.code();
    },
  };
}

/** Signs `who` in to /console over app.inject (password, then TOTP); returns the browser and the page it lands on. */
export async function signInToConsole(
  app: FastifyInstance,
  base: string,
  who: Awaited<ReturnType<typeof consolePerson>>,
) {
  const browser = new Browser(base, injectTransport(app));
  const password = await browser.go('/console');
  const otp = await browser.submit(password, 'password', { username: who.username, password: who.password });
  const landed = await browser.submit(otp, 'otp', { code: who.nextCode() });
  return { browser, landed };
}
