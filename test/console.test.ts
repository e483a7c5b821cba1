import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { OID } from '../src/device/sim/printer-mib.js';
import { sessionUrl } from '../src/device/sdk/stream-client.js';
import { WsClient } from '../src/device/sdk/ws-client.js';
import { launchChromium, signIn as openSignedIn } from './helpers/browser.js';
import { spawn } from 'node:child_process';
import { adminToken, api, CLI, cli, cliJson, startRelay, tempDir, until, type RelayProcess } from './helpers/relay.js';
import { simulate } from './helpers/simulate.js';

/** Set CONSOLE_SCREENSHOTS=docs/console to refresh the screenshots docs/console.md shows. */
const SHOTS = process.env.CONSOLE_SCREENSHOTS;

const overflow = (page: Page) =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    return { width, scrollWidth: document.documentElement.scrollWidth };
  });

describe('operator console in real Chromium: dashboard, device search and page, live GET, bulk SET, CSV (issue 15)', () => {
  let relay: RelayProcess;
  let browser: Browser;
  let admin: string;
  let sim: ReturnType<typeof simulate>;
  let ids: string[];
  let serial: string;
  let acmeDevice: string;
  let acmeToken: string;

  before(async () => {
    relay = await startRelay({ args: ['--status-poll', '1'] });
    admin = adminToken(relay.dataDir);
    assert.equal(cli(relay.dataDir, ['user', 'add', 'petra', '--password', 'operator pass 2', '--admin']).code, 0);
    cliJson(relay.dataDir, ['account', 'add', 'acme']);
    assert.equal(cli(relay.dataDir, ['user', 'add', 'olga', '--password', 'operator pass 3', '--account', 'acme']).code, 0);
    ({ deviceId: acmeDevice, token: acmeToken } = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'ACME-77', '--model', 'MP C3004', '--account', 'acme']));
    const state = join(tempDir(), 'console-sim.json');
    sim = simulate(relay, ['--count', '2', '--state', state, '--pages-per-minute', '120', '--transport', 'websocket']);
    await sim.ready;
    ids = (JSON.parse(readFileSync(state, 'utf8')) as { relays: Record<string, { devices: { deviceId: string }[] }> }).relays[relay.url]!.devices.map((d) => d.deviceId);
    serial = (await api(relay.url, `/api/v1/devices/${ids[0]}`, { token: admin })).body.serial;
    for (const id of ids) await api(relay.url, `/api/v1/devices/${id}`, { method: 'PATCH', token: admin, json: { tags: ['floor-3'] } });
    await until('both devices polled', async () => {
      for (const id of ids) if ((await api(relay.url, `/api/v1/devices/${id}/status`, { token: admin })).body.polledAt === null) return undefined;
      return true;
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    sim.proc.kill('SIGINT');
    await sim.exited;
    await relay.stop();
  });

  const signIn = (page: Page, user: string, password: string, path: string) => openSignedIn(page, `${relay.url}${path}`, user, password);

  const shot = async (page: Page, name: string): Promise<void> => {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}-${page.viewportSize()!.width}.png`), fullPage: true });
  };

  it('finds a device by serial, opens it, sees its supplies from the poll and runs a GET', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await signIn(page, 'petra', 'operator pass 2', '/');
    assert.equal(await page.textContent('#tile-devices strong'), '3');
    assert.equal(await page.textContent('#tile-online strong'), '2');
    await shot(page, 'dashboard');
    await page.goto(`${relay.url}/devices`);
    await page.fill('#q', serial);
    await Promise.all([page.waitForNavigation(), page.click('form.filters button')]);
    assert.deepEqual(await page.locator('tbody tr td[data-label=Serial]').allTextContents(), [serial]);
    assert.match((await page.textContent('#paging')) ?? '', /1–1 of 1/);
    await shot(page, 'devices');
    await Promise.all([page.waitForNavigation(), page.click(`a[href="/devices/${ids[0]}"]`)]);
    assert.equal(await page.textContent('#presence'), 'online');
    const toner = page.locator('tr[data-supply="1"]');
    assert.match((await toner.textContent()) ?? '', /Black Toner Cartridge TN-2420.*\d+ %/s);
    assert.match((await toner.locator('svg').getAttribute('aria-label')) ?? '', /^Black Toner Cartridge TN-2420: \d+ %$/);
    await page.fill('#oids', OID.sysName);
    await Promise.all([page.waitForNavigation(), page.click('#get-form button')]);
    assert.match((await page.textContent('#get-answer')) ?? '', new RegExp(`${OID.sysName.replace(/\./g, '\\.')}.*string.*${serial}`));
    await shot(page, 'device');
    await page.close();
  });

  it('runs a bulk SET on a tag from the device list and shows per-device results; exports the list as CSV', async () => {
    const page = await browser.newPage();
    await signIn(page, 'petra', 'operator pass 2', '/devices?tag=floor-3');
    assert.match((await page.textContent('#bulk h3')) ?? '', /all 2 matching/);
    await page.selectOption('#bulk-action', 'location');
    await page.fill('#bulk-value', 'Floor 3, east wing');
    await Promise.all([page.waitForNavigation(), page.click('#bulk button')]);
    assert.match(page.url(), /\/bulk\/b/);
    for (let i = 0; i < 50 && (await page.getAttribute('#bulk-state', 'data-state')) !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await page.reload();
    }
    assert.equal(await page.locator('tr[data-result=ok]').count(), 2);
    await shot(page, 'bulk');
    for (const id of ids) {
      const got = await api(relay.url, `/api/v1/devices/${id}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysLocation] } });
      assert.equal(got.body.objects[0].value, 'Floor 3, east wing');
    }
    const csv = await page.request.get(`${relay.url}/devices.csv?tag=floor-3`);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'] ?? '', /^text\/csv/);
    const rows = (await csv.text()).trim().split('\r\n');
    assert.equal(rows[0], 'device_id,account_id,model,serial,tags,online,last_seen_at,firmware_version,installation_place');
    assert.deepEqual(rows.slice(1).map((r) => r.split(',')[0]).sort(), [...ids].sort());
    await page.close();
  });

  it("keeps accounts apart: an account's operator sees only its devices, and another's device or bulk job is not found", async () => {
    const page = await browser.newPage();
    await signIn(page, 'olga', 'operator pass 3', '/devices');
    assert.deepEqual(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device'))), [acmeDevice]);
    const other = await page.goto(`${relay.url}/devices/${ids[0]}`);
    assert.equal(other?.status(), 404);
    const job = (await api(relay.url, '/api/v1/bulk', { token: admin })).body.items[0].id;
    assert.equal((await page.goto(`${relay.url}/bulk/${job}`))?.status(), 404);
    const csv = await (await page.request.get(`${relay.url}/devices.csv`)).text();
    assert.ok(!ids.some((id) => csv.includes(id)), "the CSV holds only the account's devices");
    assert.equal((await page.goto(`${relay.url}/`))?.status(), 200);
    assert.equal(await page.textContent('#tile-devices strong'), '1');
    await page.close();
  });

  it('cancels a held print job from its page, acknowledges an alert, and exports billing as CSV', async () => {
    const printer = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'PRN-1', '--model', 'EP-884A']);
    assert.equal((await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: printer.token, json: { acceptingJobs: true, status: 'idle' } })).status, 200);
    const form = new FormData();
    form.append('document', new Blob([new Uint8Array(Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'))]), 'minutes.pdf');
    const submitted = await fetch(`${relay.url}/api/v1/printers/${printer.deviceId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
    assert.equal(submitted.status, 201, await submitted.clone().text());
    const jobId = ((await submitted.json()) as { jobId: string }).jobId;
    assert.equal((await api(relay.url, '/device/v1/reports', { method: 'POST', token: printer.token, json: { kind: 'error', code: '341' } })).status, 200);

    const page = await browser.newPage();
    await signIn(page, 'petra', 'operator pass 2', '/printers');
    assert.match((await page.textContent(`tr[data-printer="${printer.deviceId}"]`)) ?? '', /accepting jobs/);
    await Promise.all([page.waitForNavigation(), page.click(`tr[data-printer="${printer.deviceId}"] a[href^="/jobs"]`)]);
    assert.equal(await page.getAttribute(`tr[data-job="${jobId}"]`, 'data-state'), 'pending');
    await Promise.all([page.waitForNavigation(), page.click(`a[href="/jobs/${jobId}"]`)]);
    await Promise.all([page.waitForNavigation(), page.click('#cancel-form button')]);
    assert.equal(await page.textContent('#job-state'), 'canceled');
    assert.equal((await api(relay.url, `/api/v1/jobs/${jobId}`, { token: admin })).body.state, 'canceled');

    await page.goto(`${relay.url}/alerts`);
    const ack = page.locator('button[data-action=acknowledge]').first();
    const alertId = await ack.getAttribute('data-alert');
    await Promise.all([page.waitForNavigation(), ack.click()]);
    assert.equal(await page.getAttribute(`#alert-${alertId}`, 'data-state'), 'acknowledged');

    cliJson(relay.dataDir, ['fax', 'user', 'add', 'fax-reception', '--password', 'fax secret 12']);
    await page.goto(`${relay.url}/fax`);
    assert.match((await page.textContent('tr[data-fax-user="fax-reception"]')) ?? '', /not logged in/);
    const machine = spawn(process.execPath, [CLI, 'fax', 'listen', '--relay-host', `127.0.0.1:${relay.faxPort}`, '--user', 'fax-reception', '--password', 'fax secret 12', '--dir', tempDir()], { stdio: 'ignore' });
    try {
      await until('the fax machine logged in', async () => {
        await page.goto(`${relay.url}/fax`);
        return /logged in \(1 connection\)/.test((await page.textContent('tr[data-fax-user="fax-reception"]')) ?? '') ? true : undefined;
      });
    } finally {
      machine.kill();
    }

    await page.goto(`${relay.url}/billing`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#billing-form button')]);
    const csv = readFileSync((await download.path())!, 'utf8');
    assert.match(csv.split('\r\n')[0]!, /^device_id,serial,registration_number,model/);
    assert.ok(csv.includes(printer.deviceId), 'every device of the fleet has a line');
    await page.close();
  });

  it('shows a device going online and offline, and a new alert, without a reload; another account hears none of it', async () => {
    const d = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'LIVE-1', '--model', 'MP C3004']);
    const page = await browser.newPage();
    await signIn(page, 'petra', 'operator pass 2', `/devices/${d.deviceId}`);
    assert.equal(await page.textContent('#presence'), 'offline');
    const acme = await browser.newPage();
    await signIn(acme, 'olga', 'operator pass 3', '/devices');
    // What olga's browser hears on the same stream the pages use.
    await acme.evaluate(() => {
      const w = window as unknown as { heard: string[] };
      w.heard = [];
      const events = new EventSource('/events');
      for (const kind of ['presence', 'alert']) events.addEventListener(kind, (m) => w.heard.push((m as MessageEvent).data as string));
    });
    const device = new WsClient({ url: sessionUrl(relay.url, 'websocket'), domain: 'fleetrelay.local', onStanza: () => undefined, onEnd: () => undefined });
    await device.open(d.deviceId, d.token);
    await page.waitForFunction(() => document.querySelector('#presence')?.textContent === 'online', undefined, { timeout: 10_000 });
    assert.equal((await api(relay.url, '/device/v1/reports', { method: 'POST', token: d.token, json: { kind: 'error', code: '784' } })).status, 200);
    await page.waitForFunction(() => /New alert: abnormal condition occurred in the fixing drum/.test(document.querySelector('#live-news')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await device.terminate();
    await page.waitForFunction(() => document.querySelector('#presence')?.textContent === 'offline', undefined, { timeout: 10_000 });
    // Its own device, though, it hears: the stream works, and carried nothing of the other account.
    const own = new WsClient({ url: sessionUrl(relay.url, 'websocket'), domain: 'fleetrelay.local', onStanza: () => undefined, onEnd: () => undefined });
    await own.open(acmeDevice, acmeToken);
    await acme.waitForFunction((id) => (window as unknown as { heard: string[] }).heard.some((h) => h.includes(id)), acmeDevice, { timeout: 10_000 });
    await own.terminate();
    const heard = await acme.evaluate(() => (window as unknown as { heard: string[] }).heard);
    assert.ok(!heard.some((h) => h.includes(d.deviceId)), `another account's stream carried: ${heard.join(' ')}`);
    const anonymous = await fetch(`${relay.url}/events`);
    assert.equal(anonymous.status, 401);
    await page.close();
    await acme.close();
  });

  it('fits the dashboard, device list and device page into 390 px, and refuses a form without its CSRF token', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(page, 'petra', 'operator pass 2', '/');
    for (const path of ['/', '/devices', `/devices/${ids[1]}`, '/printers', '/jobs', '/fax', '/billing']) {
      await page.goto(`${relay.url}${path}`);
      const o = await overflow(page);
      assert.ok(o.scrollWidth <= o.width, `${path}: the page scrolls sideways (${o.scrollWidth} > ${o.width})`);
      await shot(page, path === '/' ? 'dashboard' : path.startsWith('/devices/') ? 'device' : path.slice(1));
    }
    const forged = await page.request.post(`${relay.url}/devices/${ids[1]}/remove`, { form: { _csrf: 'guess' } });
    assert.equal(forged.status(), 403);
    assert.equal((await api(relay.url, `/api/v1/devices/${ids[1]}`, { token: admin })).status, 200, 'still there');
    await page.close();
  });
});
