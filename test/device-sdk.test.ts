import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadState } from '../src/device/sim/device-state.js';
import { OID, PrinterMib } from '../src/device/sim/printer-mib.js';
import type { RegistrationTicket } from '../src/device/sdk/registration.js';
import { powerOn, setMaintenanceMode, type VirtualDevice } from '../src/device/sim/virtual-device.js';
import { adminToken, api, cli, startRelay, tempDir, type RelayProcess } from './helpers/relay.js';

/** A person signs in and types the PIN, over plain HTTP forms (the Chromium test drives the same pages). */
async function claim(relayUrl: string, claimUrl: string, pin: string): Promise<void> {
  const login = await fetch(`${relayUrl}/login`);
  const loginCookie = /fr_login_csrf=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]!;
  const form = (data: Record<string, string>) => new URLSearchParams(data).toString();
  const signedIn = await fetch(`${relayUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `fr_login_csrf=${loginCookie}` },
    body: form({ _csrf: csrf, username: 'installer', password: 'install me please', next: '/' }),
  });
  const cookie = `fr_session=${/fr_session=([^;]+)/.exec(signedIn.headers.get('set-cookie') ?? '')![1]}`;
  const page = await (await fetch(claimUrl, { headers: { cookie } })).text();
  const sessionCsrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
  const done = await fetch(claimUrl, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: form({ _csrf: sessionCsrf, pin }) });
  assert.equal(done.status, 201, await done.text());
}

describe('device SDK: power-on, registration with a PIN (S231), persisted maintenance mode', () => {
  let relay: RelayProcess;
  let admin: string;
  let device: VirtualDevice | null = null;
  const stateFile = join(tempDir(), 'mfp-state.json');

  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
    assert.equal(cli(relay.dataDir, ['user', 'add', 'installer', '--password', 'install me please']).code, 0);
  });
  after(async () => {
    await device?.stop();
    await relay.stop();
  });

  const boot = (showPin: (t: RegistrationTicket) => void = () => assert.fail('no PIN expected')) =>
    powerOn({
      relayUrl: relay.url,
      domain: 'fleetrelay.local',
      stateFile,
      identity: { serial: 'SDK-1', model: 'MFC-L2750', capabilities: { functions: ['print', 'scan'] } },
      mib: new PrinterMib({ model: 'MFC-L2750', serial: 'SDK-1' }),
      showPin,
    });

  it('with the mode OFF, does nothing at power-on', async () => {
    assert.equal(await boot(), null);
  });

  it('with the mode ON and no token, registers with a PIN, keeps the token, and connects', async () => {
    setMaintenanceMode(stateFile, 'on');
    let claimed: Promise<void> | undefined;
    device = await boot((ticket) => (claimed = claim(relay.url, ticket.claimUrl, ticket.pin)));
    await claimed;
    assert.ok(device?.connected);
    const saved = loadState(stateFile);
    assert.equal(saved.mode, 'on');
    assert.match(saved.credentials!.token, /^frd_/);
    const r = await api(relay.url, `/api/v1/devices/${saved.credentials!.deviceId}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysName] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.objects[0].value, 'SDK-1');
  });

  it('after a power cycle, reconnects with the kept token without registering again', async () => {
    device!.powerOff();
    device = await boot();
    assert.ok(device?.connected);
    const list = await api(relay.url, '/api/v1/devices?serial=SDK-1', { token: admin });
    assert.equal(list.body.items.length, 1);
  });

  it('the mode OFF survives a power cycle', async () => {
    await device!.stop();
    setMaintenanceMode(stateFile, 'off');
    device = await boot();
    assert.equal(device, null);
    assert.ok(loadState(stateFile).credentials, 'the token is kept while the mode is OFF');
  });
});
