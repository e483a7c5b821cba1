import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser.js';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, cli, cliJson, startRelay, type RelayProcess } from './helpers/relay.js';

interface Ticket {
  pin: string;
  claimUrl: string;
  pollToken: string;
  pollUrl: string;
  expiresAt: string;
}

async function register(relay: RelayProcess, serial: string, model = 'HL-L8360CDW'): Promise<Ticket> {
  const r = await api<Ticket>(relay.url, '/device/v1/register', {
    method: 'POST',
    json: { serial, model, capabilities: { memoryMB: 512, paperSizes: ['A4', 'Letter'], functions: ['print', 'scan'] } },
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function signIn(page: Page, user: string, password: string): Promise<void> {
  await page.fill('#username', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
}

describe('anonymous registration with a PIN, claimed in real Chromium (seed 003 T10–T62)', () => {
  let relay: RelayProcess;
  let browser: Browser;
  let page: Page;
  let admin: string;

  before(async () => {
    relay = await startRelay();
    cliJson(relay.dataDir, ['account', 'add', 'acme']);
    const r = cli(relay.dataDir, ['user', 'add', 'olivia', '--account', 'acme'], { input: 'correct horse battery\n' });
    assert.equal(r.code, 0, r.stderr);
    admin = adminToken(relay.dataDir);
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
  });
  after(async () => {
    await browser?.close();
    await relay.stop();
  });

  it('registers, claims with the PIN, and delivers the token exactly once', async () => {
    // Long-poll the registration while the person claims it (T60 arrives as soon as T52 succeeds).
    const t = await register(relay, 'E73000123');
    assert.match(t.pin, /^\d{8}$/);
    assert.equal((await api(relay.url, `/device/v1/register/${t.pollToken}`)).status, 202);
    const poll = api(relay.url, `/device/v1/register/${t.pollToken}?wait=20`);

    await page.goto(t.claimUrl);
    assert.match(page.url(), /\/login\?next=/, 'the claim page asks for sign-in first');
    await signIn(page, 'olivia', 'correct horse battery');
    assert.equal(new URL(page.url()).pathname, new URL(t.claimUrl).pathname);
    assert.match(await page.textContent('main') ?? '', /HL-L8360CDW.*E73000123/s);
    await page.fill('#pin', t.pin);
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    const deviceId = (await page.textContent('#device-id'))?.trim();
    assert.ok(deviceId);

    const delivered = await poll;
    assert.equal(delivered.status, 200, delivered.text);
    assert.equal(delivered.body.deviceId, deviceId);
    assert.equal(delivered.body.jid, `${deviceId}@fleetrelay.local`);
    assert.match(delivered.body.token, /^frd_/);

    // Exactly once.
    assertProblem(await api(relay.url, `/device/v1/register/${t.pollToken}`), 410, 'gone');

    // The token works on the device endpoints, and the device is in the person's account with its capabilities.
    const self = await api(relay.url, '/device/v1/self', { token: delivered.body.token });
    assert.equal(self.status, 200);
    assert.equal(self.body.accountId, 'acme');
    assert.deepEqual(self.body.capabilities.paperSizes, ['A4', 'Letter']);
    const listed = await api(relay.url, '/api/v1/devices?serial=E73000123', { token: admin });
    assert.equal(listed.body.items.length, 1);
  });

  it('throttles wrong PINs: 422 with attempts left, then 429 even for the right PIN', async () => {
    const t = await register(relay, 'E73000999');
    await page.goto(t.claimUrl);
    const wrong = t.pin === '00000000' ? '11111111' : '00000000';
    for (let i = 4; i >= 1; i--) {
      await page.fill('#pin', wrong);
      const [res] = await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
      assert.equal(res?.status(), 422);
      assert.match(await page.textContent('[role=alert]') ?? '', new RegExp(`${i} attempts left`));
    }
    await page.fill('#pin', wrong);
    const [locked] = await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    assert.equal(locked?.status(), 429);
    // The registration is burned: the right PIN no longer works, and the device is told to start over.
    const csrf = await csrfOf(page, '/');
    const right = await page.request.post(t.claimUrl, { form: { _csrf: csrf, pin: t.pin } });
    assert.equal(right.status(), 429);
    assertProblem(await api(relay.url, `/device/v1/register/${t.pollToken}`), 410, 'gone');
    assert.equal((await api(relay.url, '/api/v1/devices?serial=E73000999', { token: admin })).body.items.length, 0);
  });

  it('never leaks or replaces the token of an already claimed serial: the claim is refused and the waiting poll ends at once', async () => {
    const original = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'E73000777', '--model', 'HL-L8360CDW', '--account', 'acme']);
    const t = await register(relay, 'E73000777');
    const started = Date.now();
    const poll = api(relay.url, `/device/v1/register/${t.pollToken}?wait=25`);
    await page.goto(t.claimUrl);
    await page.fill('#pin', t.pin);
    const [res] = await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    assert.equal(res?.status(), 409);
    assert.match(await page.textContent('[role=alert]') ?? '', /already registered/);
    // The device is not left polling "pending" until the PIN expires: it gets a terminal answer now.
    const ended = await poll;
    assertProblem(ended, 410, 'gone');
    assert.equal(ended.body.reason, 'refused');
    assert.match(ended.body.detail, /already registered.*remove.*rotate/s);
    assert.ok(Date.now() - started < 15_000, 'the long-poll was woken by the refusal');
    assertProblem(await api(relay.url, `/device/v1/register/${t.pollToken}`), 410, 'gone');
    const self = await api(relay.url, '/device/v1/self', { token: original.token });
    assert.equal(self.status, 200);
    assert.equal(self.body.deviceId, original.deviceId);
    // The right PIN again changes nothing: the registration stays refused.
    const csrf = (await page.getAttribute('input[name=_csrf]', 'value')) ?? '';
    assert.equal((await page.request.post(t.claimUrl, { form: { _csrf: csrf, pin: t.pin } })).status(), 409);
    assert.equal((await api(relay.url, '/api/v1/devices?serial=E73000777', { token: admin })).body.items.length, 1);
  });

  it('offers the operator the next step on a refused claim: a new token for the registered device, or its removal', async () => {
    const original = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'E73000778', '--model', 'HL-L8360CDW', '--account', 'acme']);
    const t = await register(relay, 'E73000778');
    await page.goto(t.claimUrl);
    await page.fill('#pin', t.pin);
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    assert.equal((await page.textContent('#existing-device'))?.trim(), original.deviceId);
    // The claim page keeps saying so, with the same choices.
    const again = await page.goto(t.claimUrl);
    assert.equal(again?.status(), 409);
    assert.equal((await page.textContent('#existing-device'))?.trim(), original.deviceId);

    // Same machine after a reset: a new token, shown once; the old one stops working.
    const [rotated] = await Promise.all([page.waitForNavigation(), page.click('[data-action=rotate-token]')]);
    assert.equal(rotated?.status(), 200);
    const token = (await page.textContent('#device-token'))?.trim() ?? '';
    assert.match(token, /^frd_/);
    assert.equal((await api(relay.url, '/device/v1/self', { token })).body.deviceId, original.deviceId);
    assertProblem(await api(relay.url, '/device/v1/self', { token: original.token }), 401, 'unauthorized');

    // A stale record: remove it, and the device's next registration is claimed normally.
    const t2 = await register(relay, 'E73000778');
    await page.goto(t2.claimUrl);
    await page.fill('#pin', t2.pin);
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    const [removed] = await Promise.all([page.waitForNavigation(), page.click('[data-action=remove-device]')]);
    assert.equal(removed?.status(), 200);
    assert.equal((await api(relay.url, '/api/v1/devices?serial=E73000778', { token: admin })).body.items.length, 0);
    assertProblem(await api(relay.url, `/device/v1/register/${t2.pollToken}`), 410, 'gone');
    const t3 = await register(relay, 'E73000778');
    await page.goto(t3.claimUrl);
    await page.fill('#pin', t3.pin);
    const [claimed] = await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    assert.equal(claimed?.status(), 201);
    assert.equal((await api(relay.url, `/device/v1/register/${t3.pollToken}`)).status, 200);
  });

  it('tells a person who may not manage the registered device whom to ask, and lets them change nothing', async () => {
    const other = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'E73000779', '--model', 'HL-L8360CDW']);
    const t = await register(relay, 'E73000779');
    await page.goto(t.claimUrl);
    await page.fill('#pin', t.pin);
    const [res] = await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    assert.equal(res?.status(), 409);
    assert.match(await page.textContent('#ask-operator') ?? '', /operator or a site administrator/);
    assert.equal(await page.$('[data-action]'), null, 'no buttons for a device of another account');
    assert.doesNotMatch(await page.content(), new RegExp(other.deviceId), 'another account\'s device id is not shown');
    const csrf = (await page.getAttribute('input[name=_csrf]', 'value')) ?? '';
    for (const step of ['remove-device', 'rotate-token'])
      assert.equal((await page.request.post(`${t.claimUrl}/${step}`, { form: { _csrf: csrf } })).status(), 404);
    assert.equal((await api(relay.url, '/device/v1/self', { token: other.token })).status, 200);
    assertProblem(await api(relay.url, `/device/v1/register/${t.pollToken}`), 410, 'gone');
  });

  it('rejects a claim without the form\'s CSRF token', async () => {
    const t = await register(relay, 'E73000888');
    const res = await page.request.post(t.claimUrl, { form: { pin: t.pin } });
    assert.equal(res.status(), 403);
    assert.equal((await api(relay.url, `/device/v1/register/${t.pollToken}`)).status, 202);
  });

  it('answers 404 to an unknown claim URL or poll token', async () => {
    const res = await page.goto(`${relay.url}/claim/not-a-real-claim-id`);
    assert.equal(res?.status(), 404);
    assertProblem(await api(relay.url, '/device/v1/register/frp_unknown'), 404, 'not-found');
  });

  it('changes a claimed device\'s information only with its own token', async () => {
    const d = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'E73000321', '--model', 'HL-L8360CDW']);
    assertProblem(await api(relay.url, '/device/v1/self', { method: 'PATCH', json: { capabilities: { memoryMB: 1 } } }), 401, 'unauthorized');
    assertProblem(await api(relay.url, '/device/v1/self', { method: 'PATCH', token: admin, json: { capabilities: { memoryMB: 1 } } }), 401, 'unauthorized');
    const ok = await api(relay.url, '/device/v1/self', { method: 'PATCH', token: d.token, json: { capabilities: { memoryMB: 2048 } } });
    assert.equal(ok.status, 200);
    assert.equal((await api(relay.url, `/api/v1/devices/${d.deviceId}`, { token: admin })).body.capabilities.memoryMB, 2048);
  });
});

describe('registration expiry', () => {
  let relay: RelayProcess;
  let browser: Browser;
  before(async () => {
    relay = await startRelay({ args: ['--registration-ttl', '1'] });
    const r = cli(relay.dataDir, ['user', 'add', 'olivia', '--password', 'correct horse battery']);
    assert.equal(r.code, 0, r.stderr);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await relay.stop();
  });

  it('expires PINs: the claim page and the poll both say it is over', async () => {
    const t = await register(relay, 'E73000555');
    const page = await browser.newPage();
    await page.goto(t.claimUrl);
    await signIn(page, 'olivia', 'correct horse battery');
    await new Promise((r) => setTimeout(r, 1100));
    const res = await page.reload();
    assert.equal(res?.status(), 410);
    assertProblem(await api(relay.url, `/device/v1/register/${t.pollToken}`), 410, 'gone');
  });
});

describe('registration rate limit', () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await startRelay({ env: { FLEETRELAY_REGISTRATIONS_PER_MINUTE: '3' } });
  });
  after(() => relay.stop());

  it('answers 429 past the per-address limit and stores nothing for refused ones', async () => {
    for (let i = 0; i < 3; i++) await register(relay, `R${i}`);
    const r = await api(relay.url, '/device/v1/register', { method: 'POST', json: { serial: 'R9', model: 'M' } });
    assertProblem(r, 429, 'rate-limited');
    assert.ok(Number(r.headers.get('retry-after')) > 0);
  });
});

async function csrfOf(page: Page, path: string): Promise<string> {
  await page.goto(new URL(path, page.url()).toString());
  return (await page.getAttribute('input[name=_csrf]', 'value')) ?? '';
}
