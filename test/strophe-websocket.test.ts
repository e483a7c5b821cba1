/**
 * Strophe.js (an XMPP library nobody here wrote), in Debian's Chromium, logs in to the relay over
 * XMPP over WebSocket (RFC 7395) as a device and answers a pushed GET from the REST API (issue 14).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { OID } from '../src/device/sim/printer-mib.js';
import { launchChromium } from './helpers/browser.js';
import { adminToken, api, cliJson, ROOT, startRelay, type RelayProcess } from './helpers/relay.js';

const MGMT = 'urn:fleetrelay:mgmt:1';

describe('interop: Strophe.js in Chromium over XMPP over WebSocket', () => {
  let relay: RelayProcess;
  let browser: Browser;
  let page: Page;

  before(async () => {
    relay = await startRelay();
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`${relay.url}/healthz`);
    await page.addScriptTag({ path: join(ROOT, 'node_modules/strophe.js/dist/strophe.umd.min.js') });
  });
  after(async () => {
    await browser?.close();
    await relay.stop();
  });

  it('logs in with the device JID and token, shows the device ONLINE, and answers a GET with its own handler', async () => {
    const device = cliJson<{ deviceId: string; jid: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'STROPHE-WS', '--model', 'MFC-L2750']);
    const url = `${relay.url.replace(/^http/, 'ws')}/xmpp-websocket`;
    const jid = await page.evaluate(
      ({ url, jid, token, ns, oid }) =>
        new Promise<string>((resolve, reject) => {
          // The UMD bundle sets window.Strophe and window.$iq (and the module namespace under them).
          const w = window as unknown as { Strophe: any; $iq: any };
          const Strophe = w.Strophe.Strophe ?? w.Strophe;
          const $iq = w.$iq ?? w.Strophe.$iq;
          const conn = new Strophe.Connection(url);
          (window as unknown as { conn: unknown }).conn = conn;
          conn.addHandler(
            (iq: Element) => {
              const objects = [...iq.getElementsByTagName('object')];
              const answer = $iq({ type: 'result', id: iq.getAttribute('id'), to: iq.getAttribute('from') }).c('query', { xmlns: ns });
              for (const o of objects)
                if (o.getAttribute('oid') === oid) answer.c('object', { oid, type: 'string' }).t('from Strophe in Chromium').up();
                else answer.c('object', { oid: o.getAttribute('oid'), error: 'noSuchObject' }).up();
              conn.send(answer.tree());
              return true;
            },
            ns,
            'iq',
            'get',
          );
          conn.connect(`${jid}/strophe`, token, (status: number) => {
            if (status === Strophe.Status.CONNECTED) resolve(conn.jid);
            else if (status === Strophe.Status.AUTHFAIL || status === Strophe.Status.CONNFAIL) reject(new Error(`Strophe status ${status}`));
          });
        }),
      { url, jid: device.jid, token: device.token, ns: MGMT, oid: OID.sysName },
    );
    assert.equal(jid, `${device.jid}/strophe`);
    const admin = adminToken(relay.dataDir);
    assert.equal((await api(relay.url, `/api/v1/devices/${device.deviceId}`, { token: admin })).body.online, true);
    const r = await api(relay.url, `/api/v1/devices/${device.deviceId}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysName, '1.3.6.1.2.1.1.99.0'] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.objects, [
      { oid: OID.sysName, type: 'string', value: 'from Strophe in Chromium' },
      { oid: '1.3.6.1.2.1.1.99.0', error: 'noSuchObject' },
    ]);
    await page.evaluate(() => (window as unknown as { conn: { disconnect(): void } }).conn.disconnect());
  });
});
