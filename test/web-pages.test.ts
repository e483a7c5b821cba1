import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser.js';
import { adminToken, api, cli, startRelay, type RelayProcess } from './helpers/relay.js';

const DEVICES = 130;

/** Elements whose box leaves the viewport sideways, and whether the page scrolls sideways. */
const overflow = (page: Page) =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const outside: string[] = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5)) outside.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} [${Math.round(r.left)}, ${Math.round(r.right)}]`);
    }
    return { width, scrollWidth: document.documentElement.scrollWidth, outside: outside.slice(0, 8) };
  });

describe('console pages in real Chromium: devices paged with a total, nothing wider than a phone', () => {
  let relay: RelayProcess;
  let browser: Browser;
  let admin: string;

  before(async () => {
    relay = await startRelay();
    assert.equal(cli(relay.dataDir, ['user', 'add', 'petra', '--password', 'operator pass 2']).code, 0);
    admin = adminToken(relay.dataDir);
    for (let i = 0; i < DEVICES; i++) {
      const serial = `WEB-${String(i).padStart(3, '0')}`;
      const r = await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json: { serial, model: 'imageRUNNER ADVANCE DX C5870i' } });
      assert.equal(r.status, 201, r.text);
      if (i < 3) {
        const patched = await api(relay.url, `/api/v1/devices/${r.body.deviceId}`, {
          method: 'PATCH',
          token: admin,
          json: { installationPlace: 'Building 7, third floor, the copy room behind the kitchen', installer: 'Dana Installer-Longname', contactEmail: 'facilities-helpdesk@example.com' },
        });
        assert.equal(patched.status, 200, patched.text);
        assert.equal((await api(relay.url, '/device/v1/reports', { method: 'POST', token: r.body.token, json: { kind: 'error', code: '784' } })).status, 200);
      }
    }
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await relay.stop();
  });

  const signIn = async (page: Page, path: string): Promise<void> => {
    page.setDefaultTimeout(10_000);
    await page.goto(`${relay.url}${path}`);
    await page.fill('#username', 'petra');
    await page.fill('#password', 'operator pass 2');
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  };

  it(`pages through ${DEVICES} devices on the server, with the total on every page`, async () => {
    const page = await browser.newPage();
    await signIn(page, '/devices');
    const serials = () => page.locator('tbody tr td[data-label=Serial]').allTextContents();
    const first = await serials();
    assert.equal(first.length, 100);
    assert.match((await page.textContent('#paging')) ?? '', new RegExp(`1–100 of ${DEVICES}`));
    await Promise.all([page.waitForNavigation(), page.click('#paging a[rel=next]')]);
    const second = await serials();
    assert.equal(second.length, DEVICES - 100);
    assert.match((await page.textContent('#paging')) ?? '', new RegExp(`101–${DEVICES} of ${DEVICES}`));
    assert.equal(await page.locator('#paging a[rel=next]').count(), 0, 'the last page has no next link');
    const all = [...first, ...second];
    assert.equal(new Set(all).size, DEVICES, 'no device shown twice, none left out');
    assert.deepEqual([...all].sort(), Array.from({ length: DEVICES }, (_, i) => `WEB-${String(i).padStart(3, '0')}`));
    await Promise.all([page.waitForNavigation(), page.click('#paging a[rel=first]')]);
    assert.deepEqual(await serials(), first);
    await page.close();
  });

  it('fits the sign-in, devices and alerts pages into a 390 px wide viewport', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const login = await page.goto(`${relay.url}/login`);
    assert.equal(login?.status(), 200);
    assert.deepEqual((await overflow(page)).outside, [], 'sign-in page');
    await signIn(page, '/');
    for (const path of ['/devices', '/alerts']) {
      await page.goto(`${relay.url}${path}`);
      assert.ok((await page.locator('tbody tr').count()) > 0, `${path} shows rows`);
      const o = await overflow(page);
      assert.deepEqual(o.outside, [], `${path}: elements outside the viewport`);
      assert.ok(o.scrollWidth <= o.width, `${path}: the page scrolls sideways (${o.scrollWidth} > ${o.width})`);
    }
    await page.close();
  });
});
