import { decodeBase32, totp } from '../../src/authenticators/otp/index.js';
import { PATCH_OP, USER_SCHEMA } from './scim.js';

/** The tokens a write load uses. */
export interface LoadTokens {
  admin: string;
  validator: string;
  scim: string;
}

/** Every write the server acknowledged (answered 2xx), by what it wrote. */
export interface AckedWrites {
  /** People created through the admin API or SCIM: id → username. */
  people: Map<string, string>;
  /** TOTP authenticators issued: id → its person and seed. */
  authenticators: Map<string, { userId: string; secret: string }>;
  /** Authenticators whose first code was accepted (so they are active). */
  activated: Set<string>;
  /** SCIM people whose displayName PATCH was acknowledged: id → the name. */
  renamed: Map<string, string>;
}

/** A fresh, empty record of acknowledged writes. */
export function noAckedWrites(): AckedWrites {
  return { people: new Map(), authenticators: new Map(), activated: new Set(), renamed: new Map() };
}

export interface WriteLoad {
  /** Stops issuing requests and waits for the ones in flight. */
  stop(): Promise<void>;
  /** 2xx answers so far. */
  readonly acknowledged: () => number;
  /** Answers that were neither 2xx nor a lost connection (a 4xx or 5xx): bugs under load. */
  readonly unexpected: string[];
}

let sequence = 0;

/**
 * Starts `workers` clients that each repeat one journey of writes against `base` (a person by
 * the admin API or SCIM, a TOTP enrolment, its first code through the validation API, and for
 * SCIM people a displayName PATCH), recording into `acked` only what was answered 2xx. A lost
 * connection (the server was killed) ends a journey without recording anything.
 */
export function startWriteLoad(base: string, tokens: LoadTokens, acked: AckedWrites, workers = 6): WriteLoad {
  let stopped = false;
  let acknowledged = 0;
  const unexpected: string[] = [];
  const call = async (method: string, path: string, token: string, body: unknown, scim = false) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': scim ? 'application/scim+json' : 'application/json',
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status < 200 || res.status > 299) {
      unexpected.push(`${method} ${path} → ${res.status} ${text.slice(0, 200)}`);
      throw new Error('not acknowledged');
    }
    acknowledged += 1;
    return JSON.parse(text) as Record<string, unknown>;
  };
  const journey = async (worker: number) => {
    const n = ++sequence;
    const username = `load-${process.pid}-${worker}-${n}-${Math.random().toString(36).slice(2, 8)}`;
    const viaScim = n % 2 === 0;
    const person = viaScim
      ? await call(
          'POST',
          '/scim/v2/Users',
          tokens.scim,
          {
            schemas: [USER_SCHEMA],
            userName: username,
            active: true,
            emails: [{ value: `${username}@example.org` }],
          },
          true,
        )
      : await call('POST', '/api/v1/users', tokens.admin, { username, email: `${username}@example.org` });
    const userId = person.id as string;
    acked.people.set(userId, username);
    const issued = await call('POST', `/api/v1/users/${userId}/authenticators`, tokens.admin, {
      type: 'totp',
    });
    const authenticatorId = issued.id as string;
    const secret = issued.secret as string;
    acked.authenticators.set(authenticatorId, { userId, secret });
    const code = totp(decodeBase32(secret), Date.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
    const verdict = await call('POST', '/api/v1/validate', tokens.validator, { username, code });
    if (verdict.result === 'accept') acked.activated.add(authenticatorId);
    else unexpected.push(`validate ${username}: ${JSON.stringify(verdict)}`);
    if (viaScim) {
      const name = `Renamed ${n}`;
      await call(
        'PATCH',
        `/scim/v2/Users/${userId}`,
        tokens.scim,
        { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: name }] },
        true,
      );
      acked.renamed.set(userId, name);
    }
  };
  const loops = Array.from({ length: workers }, async (_, w) => {
    while (!stopped) {
      try {
        await journey(w);
      } catch {
        // A refused connection (killed server) or an unexpected answer (recorded): next journey,
        // after a pause so a dead server is not spun against.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
    acknowledged: () => acknowledged,
    unexpected,
  };
}
