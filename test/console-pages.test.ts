import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { OID } from '../src/device/sim/printer-mib.js';
import { launchChromium, signIn as openSignedIn } from './helpers/browser.js';
import { adminToken, api, cli, cliJson, startRelay, tempDir, until, type RelayProcess } from './helpers/relay.js';
import { simulate } from './helpers/simulate.js';

/** Set CONSOLE_SCREENSHOTS=docs/console to refresh the screenshots docs/console.md shows. */
const SHOTS = process.env.CONSOLE_SCREENSHOTS;

const vendor = generateKeyPairSync('ed25519');

describe('operator console in real Chromium: firmware, settings, alerts in bulk, SET, orders, live job states; every page at two widths and for another account (issue 15)', () => {
  let relay: RelayProcess;
  let browser: Browser;
  let admin: string;
  let printer: { deviceId: string; token: string };
  let acme: { deviceId: string; token: string };

  before(async () => {
    relay = await startRelay({ args: ['--allow-private-webhooks'] });
    admin = adminToken(relay.dataDir);
    assert.equal(cli(relay.dataDir, ['user', 'add', 'petra', '--password', 'operator pass 2', '--admin']).code, 0);
    cliJson(relay.dataDir, ['account', 'add', 'acme']);
    assert.equal(cli(relay.dataDir, ['user', 'add', 'olga', '--password', 'operator pass 3', '--account', 'acme']).code, 0);
    const keyFile = join(tempDir(), 'vendor.pem');
    writeFileSync(keyFile, vendor.publicKey.export({ format: 'pem', type: 'spki' }));
    assert.equal(cli(relay.dataDir, ['firmware', 'key', 'set', keyFile]).code, 0);
    const program = Buffer.from('MP C3004 firmware 2.0 '.repeat(100));
    const programFile = join(tempDir(), 'fw.bin');
    writeFileSync(programFile, program);
    assert.equal(cli(relay.dataDir, ['firmware', 'upload', '--model', 'MP C3004', '--version', '2.0', '--signature', sign(null, program, vendor.privateKey).toString('base64'), programFile]).code, 0);
    printer = cliJson(relay.dataDir, ['device', 'add', '--serial', 'PRN-7', '--model', 'MP C3004']);
    acme = cliJson(relay.dataDir, ['device', 'add', '--serial', 'ACME-9', '--model', 'MP C3004', '--account', 'acme']);
    for (const d of [printer, acme]) {
      // The update check records the version each runs.
      assert.equal((await api(relay.url, '/device/v1/firmware/check', { method: 'POST', token: d.token, json: { currentVersion: '1.0' } })).status, 200);
      assert.equal((await api(relay.url, '/device/v1/reports', { method: 'POST', token: d.token, json: { kind: 'error', code: '341' } })).status, 200);
    }
    assert.equal((await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: printer.token, json: { acceptingJobs: true, status: 'idle' } })).status, 200);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await relay.stop();
  });

  const signIn = (page: Page, user: string, password: string, path: string) => openSignedIn(page, `${relay.url}${path}`, user, password);


  it('shows each model by firmware version against its target; an admin sets the rollout from the page', async () => {
    const page = await browser.newPage();
    await signIn(page, 'petra', 'operator pass 2', '/firmware');
    assert.match((await page.textContent('section[data-model="MP C3004"] h4')) ?? '', /no program offered/);
    await page.fill('tr[data-firmware="MP C3004 2.0"] input[name=percent]', '100');
    await Promise.all([page.waitForNavigation(), page.click('tr[data-firmware="MP C3004 2.0"] button')]);
    assert.match((await page.textContent('section[data-model="MP C3004"] h4')) ?? '', /target 2\.0 \(offered to 100 %\)/);
    assert.equal(await page.textContent('section[data-model="MP C3004"] tr[data-version="1.0"][data-state=behind] a'), '2', 'both accounts for the site admin');
    await Promise.all([page.waitForNavigation(), page.click('section[data-model="MP C3004"] tr[data-version="1.0"] a')]);
    assert.deepEqual((await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device')))).sort(), [printer.deviceId, acme.deviceId].sort());
    await page.selectOption('#bulk-action', 'firmware');
    await page.fill('#bulk-value', '2.0');
    await Promise.all([page.waitForNavigation(), page.click('#bulk button')]);
    for (let i = 0; i < 50 && (await page.getAttribute('#bulk-state', 'data-state')) !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await page.reload();
    }
    assert.equal(await page.locator('tr[data-result=ok]').count(), 2);
    await page.goto(`${relay.url}/devices/${printer.deviceId}`);
    assert.equal(await page.textContent('#firmware-state'), 'behind');
    assert.match((await page.textContent('#h-firmware + dl')) ?? '', /Assigned\s*2\.0/);
    // Offered to no one by the rollout, the program is still offered to the devices it was assigned to.
    assert.equal((await api(relay.url, '/api/v1/firmware/MP%20C3004/2.0/rollout', { method: 'POST', token: admin, json: { percent: 0 } })).status, 200);
    const check = await api(relay.url, '/device/v1/firmware/check', { method: 'POST', token: printer.token, json: { currentVersion: '1.0' } });
    assert.equal(check.body.update?.version, '2.0', 'the assigned program is offered');
    await page.close();
  });

  it('makes an API token that works, revokes it, adds a webhook and a person, from /settings', async () => {
    const page = await browser.newPage();
    await signIn(page, 'petra', 'operator pass 2', '/settings');
    await page.fill('#token-label', 'billing export');
    await page.selectOption('#token-account', 'acme');
    await Promise.all([page.waitForNavigation(), page.click('#add-token button')]);
    const token = (await page.textContent('#api-token'))!;
    const listed = await api(relay.url, '/api/v1/devices', { token });
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items.map((d: { deviceId: string }) => d.deviceId), [acme.deviceId], 'an acme token sees acme');
    await page.goto(`${relay.url}/settings`);
    await Promise.all([page.waitForNavigation(), page.locator('tr', { hasText: 'billing export' }).locator('button[data-action=revoke]').click()]);
    assert.equal((await api(relay.url, '/api/v1/devices', { token })).status, 401);
    await page.fill('#webhook-url', 'https://127.0.0.1:9/fleet-hook');
    await page.selectOption('#webhook-account', 'default');
    await Promise.all([page.waitForNavigation(), page.click('#add-webhook button')]);
    assert.match((await page.textContent('#webhook-secret')) ?? '', /\S{20,}/);
    await page.goto(`${relay.url}/settings`);
    assert.match((await page.textContent('[data-webhook]')) ?? '', /fleet-hook.*alert\.opened, order\.received/s);
    await page.fill('#user-name', 'night-shift');
    await page.fill('#user-password', 'night pass 9');
    await page.selectOption('#user-account', 'acme');
    await Promise.all([page.waitForNavigation(), page.click('#add-user button')]);
    assert.match((await page.textContent('tr[data-user="night-shift"]')) ?? '', /acme/);
    await page.fill('tr[data-account="acme"] input[name=poll]', '600');
    await page.fill('tr[data-account="acme"] input[name=low]', '20');
    await Promise.all([page.waitForNavigation(), page.click('tr[data-account="acme"] button')]);
    const acmeAccount = (await api(relay.url, '/api/v1/accounts', { token: admin })).body.items.find((a: { id: string }) => a.id === 'acme');
    assert.deepEqual([acmeAccount.statusPollSeconds, acmeAccount.supplyLowPercent], [600, 20]);
    await page.fill('tr[data-account="acme"] input[name=poll]', '5');
    await Promise.all([page.waitForNavigation(), page.click('tr[data-account="acme"] button')]);
    assert.match((await page.textContent('main .error')) ?? '', /60 to 604800 seconds/);
    await page.goto(`${relay.url}/settings`);
    await page.fill('#account-id', 'Bad Id!');
    await Promise.all([page.waitForNavigation(), page.click('#add-account button')]);
    assert.match((await page.textContent('main .error')) ?? '', /account id/);
    await page.close();
  });

  it('acknowledges and resolves alerts in bulk; sets an object from the device page; sorts the device list', async () => {
    const page = await browser.newPage();
    await signIn(page, 'petra', 'operator pass 2', '/alerts');
    const boxes = page.locator('input[type=checkbox][form=alerts-bulk]');
    assert.equal(await boxes.count(), 2);
    for (const box of await boxes.all()) await box.check();
    await Promise.all([page.waitForNavigation(), page.click('#alerts-bulk button[value=acknowledge]')]);
    assert.equal(await page.locator('tr[data-state=acknowledged]').count(), 2);
    for (const box of await boxes.all()) await box.check();
    await Promise.all([page.waitForNavigation(), page.click('#alerts-bulk button[value=resolve]')]);
    assert.match((await page.textContent('main')) ?? '', /No open alerts/);

    const state = join(tempDir(), 'sim.json');
    const sim = simulate(relay, ['--count', '1', '--state', state, '--transport', 'websocket']);
    try {
      await sim.ready;
      const simulated = (JSON.parse(readFileSync(state, 'utf8')) as { relays: Record<string, { devices: { deviceId: string }[] }> }).relays[relay.url]!.devices[0]!.deviceId;
      await page.goto(`${relay.url}/devices/${simulated}`);
      await page.fill('#set-oid', OID.sysLocation);
      await page.fill('#set-value', 'Room 4.12');
      await Promise.all([page.waitForNavigation(), page.click('#set-form button')]);
      assert.match((await page.textContent('#set-answer')) ?? '', /The device took it: .*Room 4\.12/);
      const got = await api(relay.url, `/api/v1/devices/${simulated}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysLocation] } });
      assert.equal(got.body.objects[0].value, 'Room 4.12');
      await page.fill('#set-oid', 'not an oid');
      await Promise.all([page.waitForNavigation(), page.click('#set-form button')]);
      assert.match((await page.textContent('#set-answer')) ?? '', /not an OID/);
    } finally {
      sim.proc.kill('SIGINT');
      await sim.exited;
    }
    await page.goto(`${relay.url}/devices`);
    await page.check(`tr[data-device="${printer.deviceId}"] input[type=checkbox]`);
    await page.selectOption('#bulk-action', 'tag-add');
    await page.fill('#bulk-value', 'picked');
    await Promise.all([page.waitForNavigation(), page.click('#bulk button')]);
    await until('the bulk job is done', async () => {
      await page.reload();
      return (await page.getAttribute('#bulk-state', 'data-state')) === 'done' ? true : undefined;
    });
    assert.deepEqual((await api(relay.url, '/api/v1/devices?tag=picked', { token: admin })).body.items.map((d: { deviceId: string }) => d.deviceId), [printer.deviceId], 'the ticked device only');
    await page.goto(`${relay.url}/devices?sort=seen`);
    type Listed = { deviceId: string; lastSeenAt: string | null };
    // Presence reaches the store in batches every 2 s.
    const fleet = await until('the simulated device is seen', async () => {
      const items = (await api(relay.url, '/api/v1/devices', { token: admin })).body.items as Listed[];
      return items.some((d) => d.lastSeenAt) ? items : undefined;
    });
    await page.reload();
    const order = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device')));
    const seen = (d: Listed) => (d.lastSeenAt ? Date.parse(d.lastSeenAt) : 0);
    assert.ok(fleet.some((d) => d.lastSeenAt) && fleet.some((d) => !d.lastSeenAt), `some seen, some never: ${JSON.stringify(fleet)}`);
    assert.deepEqual(order, [...fleet].sort((a, b) => seen(a) - seen(b) || (a.deviceId < b.deviceId ? -1 : 1)).map((d) => d.deviceId), 'never seen first, then the longest ago');
    assert.equal(await page.inputValue('#sort'), 'seen');
    await page.close();
  });

  it('shows a job moving on without a reload', async () => {
    const form = new FormData();
    form.append('document', new Blob([new Uint8Array(Buffer.from('%PDF-1.4\n%%EOF\n'))]), 'memo.pdf');
    const submitted = await fetch(`${relay.url}/api/v1/printers/${printer.deviceId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
    assert.equal(submitted.status, 201);
    const jobId = ((await submitted.json()) as { jobId: string }).jobId;
    const page = await browser.newPage();
    await signIn(page, 'petra', 'operator pass 2', `/jobs/${jobId}`);
    assert.equal(await page.textContent('#job-state'), 'pending');
    await page.waitForFunction(() => typeof EventSource === 'function');
    await new Promise((r) => setTimeout(r, 500)); // the page's stream is open
    const doc = await fetch(`${relay.url}/device/v1/jobs/${jobId}/document`, { headers: { authorization: `Bearer ${printer.token}` } });
    assert.equal(doc.status, 200);
    await doc.arrayBuffer();
    await page.waitForFunction(() => document.querySelector('#job-state')?.textContent === 'fetched', undefined, { timeout: 10_000 });
    await page.goto(`${relay.url}/`);
    assert.match((await page.getAttribute('#chart-jobs svg', 'aria-label')) ?? '', /^Print jobs a day: 1 in all from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d, most on /);
    await page.close();
  });

  const PAGES = ['/', '/devices', '/alerts', '/printers', '/jobs', '/fax', '/billing', '/firmware', '/settings'];

  it("draws every page at 390 and 1,920 px without sideways scrolling, and keeps another account's devices, tokens, webhooks and people out of its pages", async () => {
    const devicePath = `/devices/${printer.deviceId}`;
    for (const width of [390, 1920]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await signIn(page, 'petra', 'operator pass 2', '/');
      for (const path of [...PAGES, devicePath]) {
        assert.equal((await page.goto(`${relay.url}${path}`))?.status(), 200, path);
        const o = await page.evaluate(() => ({ width: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth }));
        assert.ok(o.scrollWidth <= o.width, `${path} at ${width} px scrolls sideways (${o.scrollWidth} > ${o.width})`);
        if (SHOTS) {
          mkdirSync(SHOTS, { recursive: true });
          const name = path === '/' ? 'dashboard' : path === devicePath ? 'device' : path.slice(1);
          await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
        }
      }
      await page.close();
    }
    const page = await browser.newPage();
    await signIn(page, 'olga', 'operator pass 3', '/');
    for (const path of PAGES) {
      await page.goto(`${relay.url}${path}`);
      const text = (await page.content()) ?? '';
      for (const foreign of [printer.deviceId, 'PRN-7', 'fleet-hook', 'petra'])
        assert.ok(!text.includes(foreign), `${path} shows acme's operator ${foreign}, of another account`);
    }
    assert.equal((await page.goto(`${relay.url}/devices/${printer.deviceId}`))?.status(), 404);
    await page.goto(`${relay.url}/firmware`);
    assert.equal(await page.textContent('section[data-model="MP C3004"] tr[data-version="1.0"] a'), '1', 'only its own device counts');
    assert.equal(await page.locator('tr[data-firmware] input[name=percent]').count(), 0, 'no rollout form for an account operator');
    const forged = await page.request.post(`${relay.url}/firmware/rollout`, { form: { _csrf: 'guess', model: 'MP C3004', version: '2.0', percent: '0' } });
    assert.equal(forged.status(), 403);
    await page.goto(`${relay.url}/settings`);
    assert.equal(await page.locator('#add-account').count(), 0, 'accounts are for site admins');
    assert.deepEqual(await page.locator('tr[data-account]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-account'))), ['acme'], 'its own account, with its settings');
    const csrf = await page.getAttribute('tr[data-account="acme"] input[name=_csrf]', 'value');
    const other = await page.request.post(`${relay.url}/settings/accounts/default`, { form: { _csrf: csrf!, poll: '0', low: '50' } });
    assert.equal(other.status(), 404, "another account's settings");
    await page.close();
  });
});
