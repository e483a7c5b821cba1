import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from './helpers/browser.js';
import { adminToken, api, cli, cliJson, startRelay, type RelayProcess } from './helpers/relay.js';

describe('operator alert page in real Chromium (seed 004 display unit 250)', () => {
  let relay: RelayProcess;
  let browser: Browser;

  before(async () => {
    relay = await startRelay();
    assert.equal(cli(relay.dataDir, ['user', 'add', 'oscar', '--password', 'operator pass 1']).code, 0);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await relay.stop();
  });

  it('shows a report\'s alert with model, place, installer and contact; acknowledge then resolve', async () => {
    const d = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'PAGE-1', '--model', 'MP C3004']);
    cliJson(relay.dataDir, ['device', 'update', d.deviceId, '--place', '2F <script>alert(1)</script> room', '--installer', 'Dana', '--contact', '+81 3 1234 5678']);
    const r = await api(relay.url, '/device/v1/reports', { method: 'POST', token: d.token, json: { kind: 'error', code: '784' } });
    assert.equal(r.status, 200);

    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    let dialogs = 0;
    page.on('dialog', (dlg) => {
      dialogs++;
      void dlg.dismiss();
    });
    await page.goto(`${relay.url}/alerts`);
    await page.fill('#username', 'oscar');
    await page.fill('#password', 'operator pass 1');
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    const row = page.locator('tr[data-state]');
    assert.equal(await row.count(), 1);
    const text = (await row.textContent()) ?? '';
    for (const want of ['open', 'abnormal condition occurred in the fixing drum', 'MP C3004', '2F <script>alert(1)</script> room', 'Dana', '+81 3 1234 5678']) assert.ok(text.includes(want), `row shows ${want}: ${text}`);
    assert.equal(dialogs, 0, 'text from devices is escaped, never run');

    await Promise.all([page.waitForNavigation(), page.click('button[data-action=acknowledge]')]);
    assert.equal(await page.getAttribute('tr[data-state]', 'data-state'), 'acknowledged');
    await Promise.all([page.waitForNavigation(), page.click('button[data-action=resolve]')]);
    assert.match((await page.textContent('main')) ?? '', /No open alerts/);

    const admin = adminToken(relay.dataDir);
    const resolved = await api(relay.url, '/api/v1/alerts?state=resolved', { token: admin });
    assert.equal(resolved.body.items[0].resolvedBy, 'user:oscar');
    assert.equal(resolved.body.items[0].acknowledgedBy, 'user:oscar');
  });

  it('tells five alerts of the same model and error apart by their device: serial, model and ID', async () => {
    const devices = Array.from({ length: 5 }, (_, i) =>
      cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', `SAME-${i}`, '--model', 'MP C6004']),
    );
    for (const d of devices) assert.equal((await api(relay.url, '/device/v1/reports', { method: 'POST', token: d.token, json: { kind: 'error', code: '784' } })).status, 200);

    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${relay.url}/alerts`);
    await page.fill('#username', 'oscar');
    await page.fill('#password', 'operator pass 1');
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    assert.ok((await page.locator('th', { hasText: /^Device$/ }).count()) === 1, 'the table has a Device column');
    const cells = await page.locator('tr[data-state] td[data-label=Device]').allTextContents();
    assert.equal(cells.length, 5);
    assert.equal(new Set(cells).size, 5, `no two rows look the same: ${cells.join(' | ')}`);
    for (const [i, d] of devices.entries()) {
      const cell = cells.find((c) => c.includes(`SAME-${i}`));
      assert.ok(cell, `a row shows serial SAME-${i}`);
      assert.ok(cell.includes('MP C6004') && cell.includes(d.deviceId), `the row of SAME-${i} shows its model and device ID: ${cell}`);
    }
    await page.close();
  });
});
