import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_ROLES } from '../src/identity/person-roles-service.js';
import { parseStartDate } from '../src/identity/start-date.js';
import { usersRepo } from '../src/store/repos/users.js';
import { readFileSync } from 'node:fs';
import { readPskc } from '../src/authenticators/inventory/read-pskc.js';
import { CONSOLE_ACTIONS, CONSOLE_PAGES } from '../src/web/console/console-pages.js';
import { consolePerson, signInToConsole } from './support/console.js';
import { DIALECTS } from './support/databases.js';
import { createPerson, issueTotp } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
import { forms } from './support/sso.js';

const BASE = 'http://localhost:8080';
const VECTORS = new URL('../../shared/vectors/', import.meta.url);

/** The console's roles over HTTP: the roles API, sign-in with MFA, role × page, CSRF, four eyes. */
describe.each(DIALECTS)('console roles over HTTP on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let admin: string;
  beforeAll(async () => {
    rt = await createTestRuntime(dialect, { env: { PUBLIC_URL: BASE } });
    app = await rt.app();
    admin = await rt.token('admin');
  });
  afterAll(() => rt.dispose());

  const putRoles = (id: string, payload: unknown, token = admin) =>
    app.inject({
      method: 'PUT',
      url: `/api/v1/users/${id}/roles`,
      headers: { authorization: `Bearer ${token}` },
      payload: payload as object,
    });

  it('sets roles through PUT /api/v1/users/{id}/roles (admin only), refusing bad input and changing nothing', async () => {
    const p = await createPerson(rt, 'roles-rita');
    const set = await putRoles(p.id, { roles: ['auditor', 'helpdesk', 'auditor'] });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({ userId: p.id, roles: ['auditor', 'helpdesk'] });
    expect((await putRoles(p.id, { roles: ['root'] })).statusCode).toBe(400);
    expect((await putRoles(p.id, { roles: ['admin'], extra: 1 })).statusCode).toBe(400);
    expect((await putRoles('no-such-person', { roles: [] })).statusCode).toBe(404);
    expect((await putRoles(p.id, { roles: ['admin'] }, await rt.token('helpdesk'))).statusCode).toBe(403);
    const read = await app.inject({
      url: `/api/v1/users/${p.id}/roles`,
      headers: { authorization: `Bearer ${await rt.token('auditor')}` },
    });
    expect(read.json()).toEqual({ userId: p.id, roles: ['auditor', 'helpdesk'] });
    const events = await rt.services.audit.forSubject(p.id);
    expect(events.filter((e) => e.action === 'person.roles_set')).toHaveLength(1);
  });

  it('sends a visitor to sign in through the provider as the console client, at AAL2', async () => {
    const res = await app.inject({ url: '/console/people' });
    expect(res.statusCode).toBe(303);
    const to = new URL(res.headers.location as string, BASE);
    expect(to.pathname).toBe('/oidc/auth');
    expect(to.searchParams.get('client_id')).toBe('portcullis-console');
    expect(to.searchParams.get('redirect_uri')).toBe(`${BASE}/console/signed-in`);
    expect(to.searchParams.get('acr_values')).toBe('http://idmanagement.gov/ns/assurance/aal/2');
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('lets each role open exactly its pages (role × page), the same roles as the API', async () => {
    const target = await createPerson(rt, 'page-target');
    for (const role of CONSOLE_ROLES) {
      const who = await consolePerson(rt, `page-${role}`, [role], admin);
      const { browser } = await signInToConsole(app, BASE, who);
      for (const entry of Object.values(CONSOLE_PAGES)) {
        const allowed = (entry.roles as readonly string[]).includes(role);
        const res = await browser.request(entry.path);
        expect(res.status, `${entry.path} as ${role}`).toBe(allowed ? 200 : 403);
        if (allowed) expect(res.body).toMatch(/<h1>/);
      }
      const detail = await browser.request(`/console/people/${target.id}`);
      expect(detail.status, `person detail as ${role}`).toBe(200);
      // Every form: a role outside its list is refused before anything else; one inside it
      // gets as far as the CSRF check (a made-up token), never further.
      const actionUrls: Record<keyof typeof CONSOLE_ACTIONS, string> = {
        setRoles: `/console/people/${target.id}/roles`,
        factorState: `/console/people/${target.id}/factors/none`,
        openRecovery: '/console/helpdesk/open',
        decideRecovery: '/console/helpdesk/none/approve',
        importTokens: '/console/authenticators/import',
        inventoryMove: '/console/authenticators/assign',
      };
      for (const [action, url] of Object.entries(actionUrls)) {
        const allowed = (
          CONSOLE_ACTIONS[action as keyof typeof CONSOLE_ACTIONS] as readonly string[]
        ).includes(role);
        const res = await browser.request(url, { form: { csrf: 'made-up' } });
        expect(res.status, `${action} as ${role}`).toBe(403);
        expect(res.body, `${action} as ${role}`).toContain(
          allowed ? 'form has expired' : 'do not include this page',
        );
      }
    }
  });

  it('refuses the console to a person without a role, after a full sign-in', async () => {
    const who = await consolePerson(rt, 'no-role-nora', [], admin);
    const { browser } = await signInToConsole(app, BASE, who);
    for (const path of ['/console', '/console/people']) {
      const res = await browser.go(path);
      expect(res.status, path).toBe(403);
      expect(res.body).toContain('no console role');
    }
  });

  it('changes roles from the person page with a CSRF token; a forged form changes nothing', async () => {
    const boss = await consolePerson(rt, 'boss-bea', ['admin'], admin);
    const target = await createPerson(rt, 'target-tom');
    const { browser } = await signInToConsole(app, BASE, boss);
    const page = await browser.request(`/console/people/${target.id}`);
    const form = forms(page.body).find((f) => f.action.endsWith('/roles'))!;
    const forged = await browser.request(form.action, { form: { csrf: 'forged', 'role-approver': 'on' } });
    expect(forged.status).toBe(403);
    expect(await rt.services.personRoles.of(target.id)).toEqual([]);
    const saved = await browser.go(form.action, { form: { ...form.fields, 'role-approver': 'on' } });
    expect(saved.status).toBe(200);
    expect(saved.body).toContain('roles were saved');
    expect(await rt.services.personRoles.of(target.id)).toEqual(['approver']);
  });

  it('shows start dates ("starts on …" while ahead) and the manager linked to their page', async () => {
    const viewer = await consolePerson(rt, 'start-sam', ['auditor'], admin);
    const day = (iso: string) => parseStartDate(iso)!;
    const create = (input: Parameters<typeof rt.services.identity.create>[1]) =>
      rt.services.identity.create({ label: 'test' }, input);
    const boss = await create({ username: 'start-boss', displayName: 'Stella <Boss>' });
    const june = await create({ username: 'start-june', startDate: day('2027-03-01'), managerId: boss.id });
    const vera = await create({ username: 'start-vera', startDate: day('2026-01-05'), managerId: boss.id });
    const { browser } = await signInToConsole(app, BASE, viewer);
    const list = await browser.request('/console/people?q=start-');
    expect(list.status).toBe(200);
    expect(list.body).toContain('<th scope="col">Start date</th>');
    const cells = (username: string) =>
      new RegExp(`>${username}</a></td>(?:<td>[^<]*</td>){3}<td>([^<]*)</td>`).exec(list.body)?.[1];
    expect([cells('start-june'), cells('start-vera'), cells('start-boss')]).toEqual([
      'starts on 2027-03-01',
      '2026-01-05',
      '',
    ]);
    const bossLink = `manager: <a href="/console/people/${encodeURIComponent(boss.id)}">Stella &#60;Boss&#62;</a>`;
    const detail = async (id: string) => {
      const res = await browser.request(`/console/people/${encodeURIComponent(id)}`);
      expect(res.status).toBe(200);
      return res.body;
    };
    expect(await detail(june.id)).toContain(`<p>starts on 2027-03-01 · ${bossLink}</p>`);
    expect(await detail(vera.id)).toContain(`<p>started on 2026-01-05 · ${bossLink}</p>`);
    expect(await detail(boss.id)).toContain('<p>no start date · no manager</p>');
    // A manager id that names no one (written behind the services' back): shown bare, never a 500.
    await usersRepo.update(rt.ctx.store.db, vera.id, { manager_id: 'gone-manager' });
    expect(await detail(vera.id)).toContain('manager: gone-manager (no such person)');
  });

  it('never lets an approver decide a recovery request about themselves; the refusal shows on the page', async () => {
    // A privileged person (group admins): the request waits for a second pair of eyes.
    const approver = await consolePerson(rt, 'appr-anna', ['approver'], admin, ['admins']);
    const desk = await rt.token('helpdesk', 'desk');
    const open = async (userId: string) => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/recovery-requests',
        headers: { authorization: `Bearer ${desk}` },
        payload: { userId, proofingMethod: 'video_call' },
      });
      expect(res.statusCode).toBe(201);
      return res.json() as { id: string; state: string };
    };
    const request = await open(approver.id);
    expect(request.state).toBe('open');
    const rex = await rt.services.identity.create(
      { label: 'test' },
      { username: 'root-rex', groups: ['admins'] },
    );
    const rexRequest = await open(rex.id);
    const { browser } = await signInToConsole(app, BASE, approver);
    const queue = await browser.go('/console/helpdesk');
    expect(queue.status).toBe(200);
    expect(queue.body).toContain('Open requests');
    // No buttons for a request about oneself, only for others'; a hand-made POST is refused.
    const forms0 = forms(queue.body);
    expect(forms0.some((f) => f.action.includes(request.id))).toBe(false);
    const rexApprove = forms0.find((f) => f.action.endsWith(`${rexRequest.id}/approve`))!;
    expect(rexApprove).toBeDefined();
    const ownUrl = rexApprove.action.replace(rexRequest.id, request.id);
    const forged = await browser.request(ownUrl, { form: { csrf: 'made-up' } });
    expect(forged.status).toBe(403);
    const self = await browser.request(ownUrl, { form: rexApprove.fields });
    expect(self.status).toBe(403);
    expect(self.body).toContain('about yourself');
    expect((await rt.services.recovery.get(request.id)).state).toBe('open');
    const other = await consolePerson(rt, 'appr-otto', ['approver'], admin);
    const { browser: otto } = await signInToConsole(app, BASE, other);
    const approve = forms((await otto.go('/console/helpdesk')).body).find((f) =>
      f.action.endsWith(`${request.id}/approve`),
    )!;
    // Another approver may: the pass goes through the agent and is shown once, on the answer.
    const done = await otto.request(approve.action, { form: approve.fields });
    expect([200, 303]).toContain(done.status);
    expect((await rt.services.recovery.get(request.id)).state).not.toBe('open');
  });

  it('answers bad input with the page and a 4xx, never a 500, and changes nothing', async () => {
    const eve = await consolePerson(rt, 'err-eve', ['admin', 'auditor'], admin);
    const { browser } = await signInToConsole(app, BASE, eve);
    expect((await browser.go('/console/people/no-such-person')).status).toBe(404);
    expect((await browser.go('/console/people?offset=-1')).status).toBe(400);
    const filter = await browser.go('/console/audit?from=yesterday');
    expect(filter.status).toBe(400);
    expect(filter.body).toContain('filter was not valid');
    const page = await browser.go('/console/authenticators');
    const form = forms(page.body).find((f) => f.action.endsWith('/import'))!;
    for (const [pskc, message] of [
      ['<not-pskc', 'role="alert"'],
      ['', 'Choose a PSKC file'],
    ] as const) {
      const res = await browser.request(form.action, { form: { ...form.fields, pskc } });
      expect(res.status).toBe(400);
      expect(res.body).toContain(message);
    }
    expect(await rt.services.inventory.list()).toEqual([]);
  });

  it('exports the filtered audit trail as JSON lines and CSV; % and _ in a filter match literally', async () => {
    const ivy = await consolePerson(rt, 'export-ivy', ['auditor'], admin);
    const { browser } = await signInToConsole(app, BASE, ivy);
    let expected = 0;
    for await (const e of rt.services.audit.export()) if (e.action.startsWith('person.roles')) expected++;
    expect(expected).toBeGreaterThan(0);
    const jsonl = await browser.request('/console/audit/export.jsonl?action=person.roles');
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('content-type')).toContain('application/x-ndjson');
    const events = jsonl.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string });
    expect(events).toHaveLength(expected);
    expect(events.every((e) => e.action === 'person.roles_set')).toBe(true);
    const csv = await browser.request('/console/audit/export.csv?action=person.roles');
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="audit-\d+\.csv"/);
    expect(csv.body.split('\r\n').filter(Boolean)).toHaveLength(expected + 1);
    expect((await browser.request('/console/audit/export.jsonl?action=%25')).body).toBe('');
    expect((await browser.request('/console/audit/export.jsonl?action=person_roles')).body).toBe('');
  });

  it('lets the help desk open a recovery request: person search, proofing evidence, the pass as policy delivers it', async () => {
    const desk = await consolePerson(rt, 'desk-dana', ['helpdesk'], admin);
    const lou = await createPerson(rt, 'lost-lou');
    const rex = await rt.services.identity.create(
      { label: 'test' },
      { username: 'lost-rex', email: 'rex@example.org', groups: ['admins'] },
    );
    const { browser } = await signInToConsole(app, BASE, desk);
    const found = await browser.go('/console/helpdesk?person=lost-l');
    expect(found.status).toBe(200);
    expect(found.body).toContain(`value="${lou.id}"`);
    expect(found.body).not.toContain(`value="${rex.id}"`);
    const form = forms(found.body).find((f) => f.action.endsWith('/helpdesk/open'))!;
    expect(form.fields.person).toBe('lost-l');
    const evidence = {
      proofingMethod: 'video_call',
      proofingReference: 'INC-7',
      notes: 'called back',
      revokeOld: 'on',
    };
    // Refused input: the page again with the reason and a 4xx; nothing opened, nothing audited.
    for (const [fields, status, reason] of [
      [{ ...evidence }, 400, 'Choose the person'],
      [{ ...evidence, userId: lou.id, proofingMethod: 'telepathy' }, 400, 'proofingMethod'],
      [{ ...evidence, userId: desk.id }, 403, 'about yourself'],
      [{ ...evidence, userId: 'no-such-person' }, 404, 'no person'],
      [{ ...evidence, userId: lou.id, csrf: 'forged' }, 403, 'form has expired'],
    ] as const) {
      const res = await browser.request(form.action, { form: { ...form.fields, ...fields } });
      expect(res.status, reason).toBe(status);
      expect(res.body, reason).toContain(reason);
      expect(res.body, reason).toContain('Open a recovery request');
    }
    const forLou = async () =>
      (await rt.services.recovery.list({ limit: 500, offset: 0 })).filter((r) => r.userId === lou.id);
    expect(await forLou()).toEqual([]);
    // An unprivileged person: approved at open by policy, the pass shown to the agent once.
    const opened = await browser.request(form.action, {
      form: { ...form.fields, ...evidence, userId: lou.id },
    });
    expect(opened.status).toBe(200);
    expect(opened.body).toMatch(/data-testid="access-pass">[^<]{6,}</);
    expect(opened.headers.get('cache-control')).toContain('no-store');
    const [request] = await forLou();
    expect(request).toMatchObject({
      requestedBy: 'user:desk-dana',
      proofingMethod: 'video_call',
      proofingReference: 'INC-7',
      notes: 'called back',
      revokeOld: true,
      state: 'approved',
      passDelivery: 'agent',
    });
    const audited = (await rt.services.audit.forSubject(lou.id)).filter(
      (e) => e.action === 'recovery.requested',
    );
    expect(audited.map((e) => e.actor)).toEqual(['user:desk-dana']);
    // A privileged person: the request waits for an approver.
    const waits = await browser.go(form.action, { form: { ...form.fields, ...evidence, userId: rex.id } });
    expect(waits.status).toBe(200);
    expect(waits.body).toContain('waits for an approver');
    const rexRequests = (await rt.services.recovery.list({ state: 'open', limit: 500, offset: 0 })).filter(
      (r) => r.userId === rex.id,
    );
    expect(rexRequests).toHaveLength(1);
    // An auditor sees the queue but no form to open one.
    const ivy = await consolePerson(rt, 'desk-ivy', ['auditor'], admin);
    const { browser: auditor } = await signInToConsole(app, BASE, ivy);
    const queue = await auditor.go('/console/helpdesk?person=lost');
    expect(queue.status).toBe(200);
    expect(queue.body).not.toContain('Open a recovery request');
  });

  it('marks a factor lost, suspends and revokes it from the person page with a reason (admin, help desk)', async () => {
    const fred = await consolePerson(rt, 'desk-fred', ['helpdesk'], admin);
    const fay = await createPerson(rt, 'factor-fay');
    const [one, two] = [await issueTotp(rt, fay.id, admin), await issueTotp(rt, fay.id, admin)];
    const other = await issueTotp(rt, (await createPerson(rt, 'factor-otto')).id, admin);
    const { browser } = await signInToConsole(app, BASE, fred);
    const page = await browser.go(`/console/people/${fay.id}`);
    expect(page.body).toContain('Mark lost');
    const formOf = (body: string, id: string) =>
      forms(body).find((f) => f.action.endsWith(`/factors/${id}`))!;
    const first = formOf(page.body, one.id);
    const state = async (id: string) => (await rt.services.authenticators.get(id)).state;
    const before = { one: await state(one.id), other: await state(other.id) };
    for (const [url, fields, status, reason] of [
      [first.action, { act: 'lost' }, 400, 'Give a reason'],
      [first.action, { act: 'delete', reason: 'x' }, 400, 'Choose what to do'],
      [first.action, { act: 'lost', reason: 'r'.repeat(501) }, 400, 'longer than 500'],
      [first.action, { act: 'lost', reason: 'phone stolen', csrf: 'forged' }, 403, 'form has expired'],
      [first.action.replace(one.id, other.id), { act: 'revoke', reason: 'not hers' }, 404, 'no factor'],
    ] as const) {
      const res = await browser.request(url, { form: { ...first.fields, ...fields } });
      expect(res.status, reason).toBe(status);
      expect(res.body, reason).toContain(reason);
      expect(res.body, reason).toContain('Factors');
    }
    expect({ one: await state(one.id), other: await state(other.id) }).toEqual(before);
    const lost = await browser.go(first.action, {
      form: { ...first.fields, act: 'lost', reason: 'phone stolen' },
    });
    expect(lost.body).toContain('marked lost');
    expect(await rt.services.authenticators.get(one.id)).toMatchObject({
      state: 'lost',
      stateReason: 'phone stolen',
    });
    // A lost factor can only be revoked: suspending it is refused on the page (409).
    const again = formOf(lost.body, one.id);
    const refused = await browser.request(again.action, {
      form: { ...again.fields, act: 'suspend', reason: 'x' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('role="alert"');
    const revoked = await browser.go(again.action, {
      form: { ...again.fields, act: 'revoke', reason: 'replaced' },
    });
    expect(revoked.body).toContain('factor was revoked');
    const second = formOf(revoked.body, two.id);
    await browser.go(second.action, { form: { ...second.fields, act: 'suspend', reason: 'on leave' } });
    expect(await state(one.id)).toBe('revoked');
    expect(await state(two.id)).toBe('suspended');
    expect(formOf((await browser.go(`/console/people/${fay.id}`)).body, one.id)).toBeUndefined();
    const events = await rt.services.audit.forSubject(fay.id);
    expect(events.filter((e) => e.actor === 'user:desk-fred').length).toBeGreaterThanOrEqual(3);
    // An auditor reads the page without the forms.
    const ada = await consolePerson(rt, 'factor-ada', ['auditor'], admin);
    const { browser: auditor } = await signInToConsole(app, BASE, ada);
    const read = await auditor.go(`/console/people/${fay.id}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toContain('Mark lost');
  });

  it('assigns a hardware token to a person and returns it on the authenticators page', async () => {
    const xml = readFileSync(new URL('pskc-rfc6030/figure6.xml', VECTORS), 'utf8');
    const tokens = readPskc(xml, { keyHex: '12345678901234567890123456789012', password: '' });
    await rt.services.inventory.importTokens({ label: 'test' }, tokens, 'test');
    const serial = (await rt.services.inventory.list())[0]!.serial;
    const tim = await createPerson(rt, 'token-tim');
    const gus = await consolePerson(rt, 'desk-gus', ['helpdesk'], admin);
    const { browser } = await signInToConsole(app, BASE, gus);
    const page = await browser.go('/console/authenticators');
    expect(page.body).toContain(`<option value="${serial}">`);
    const assign = forms(page.body).find((f) => f.action.endsWith('/assign'))!;
    const holder = async () => (await rt.services.inventory.list()).find((t) => t.serial === serial)!.userId;
    for (const [fields, status, reason] of [
      [{ serial }, 400, 'Give the username'],
      [{ serial, username: 'nobody-here' }, 404, 'no person with username nobody-here'],
      [{ serial: 'NO-SUCH-SERIAL', username: 'token-tim' }, 404, 'no hardware token'],
      [{ serial, username: 'token-tim', csrf: 'forged' }, 403, 'form has expired'],
    ] as const) {
      const res = await browser.request(assign.action, { form: { ...assign.fields, ...fields } });
      expect(res.status, reason).toBe(status);
      expect(res.body, reason).toContain(reason);
    }
    expect(await holder()).toBeNull();
    const assigned = await browser.go(assign.action, {
      form: { ...assign.fields, serial, username: 'token-tim' },
    });
    expect(assigned.body).toContain('token was assigned');
    expect(await holder()).toBe(tim.id);
    const twice = await browser.request(assign.action, {
      form: { ...assign.fields, serial, username: 'token-tim' },
    });
    expect(twice.status).toBe(409);
    expect(twice.body).toContain('already assigned');
    const back = forms(assigned.body).find((f) => f.action.endsWith('/return'))!;
    expect(back.fields.serial).toBe(serial);
    const noReason = await browser.request(back.action, { form: back.fields });
    expect(noReason.status).toBe(400);
    expect(await holder()).toBe(tim.id);
    const returned = await browser.go(back.action, { form: { ...back.fields, reason: 'left the team' } });
    expect(returned.body).toContain('returned to the inventory');
    expect(await holder()).toBeNull();
    const actions = (await rt.services.audit.forSubject(tim.id)).filter((e) => e.actor === 'user:desk-gus');
    expect(actions.map((e) => e.action)).toEqual(expect.arrayContaining(['inventory.returned']));
    expect(actions.length).toBeGreaterThanOrEqual(2);
  });

  it('filters the audit trail by "starts with" ignoring case, parameterised, with % and _ literal', async () => {
    const audit = rt.services.audit;
    const lower = await audit.search({ action: 'person.roles' }, 500);
    expect(lower.length).toBeGreaterThan(0);
    expect(await audit.search({ action: 'PERSON.Roles' }, 500)).toEqual(lower);
    const byActor = await audit.search({ actor: 'user:' }, 500);
    expect(byActor.length).toBeGreaterThan(0);
    expect(await audit.search({ actor: 'USER:' }, 500)).toEqual(byActor);
    for (const literal of ['PERSON_ROLES', '%', 'P%', "person.roles' or '1'='1"])
      expect(await audit.search({ action: literal }, 500), literal).toEqual([]);
    const ivy = await consolePerson(rt, 'case-ivy', ['auditor'], admin);
    const { browser } = await signInToConsole(app, BASE, ivy);
    const upper = await browser.request('/console/audit/export.jsonl?action=PERSON.ROLES');
    const lowerExport = await browser.request('/console/audit/export.jsonl?action=person.roles');
    expect(upper.body).toBe(lowerExport.body);
    expect(upper.body.trim().split('\n').length).toBeGreaterThan(0);
  });
});
