/**
 * Admission control (issue 13 item 8): new sessions are admitted at a steady rate; those that
 * come faster get 503 with Retry-After, and devices come back after it, jittered, until all are in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PrinterMib } from '../src/device/sim/printer-mib.js';
import { VirtualDevice } from '../src/device/sim/virtual-device.js';
import { Admission } from '../src/services/kernel/rate-limit.js';
import { HB, post } from './helpers/bosh.js';
import { ManualClock } from './helpers/clock.js';
import { adminToken, api, startRelay, until, type RelayProcess } from './helpers/relay.js';

describe('admission at a steady rate', () => {
  it('admits a second\'s worth at once, then one per 1/rate s; the wait it asks for grows with the crowd', () => {
    const clock = new ManualClock();
    const a = new Admission(clock, 10);
    for (let i = 0; i < 10; i++) assert.equal(a.admit(), 0);
    const waits = Array.from({ length: 40 }, () => a.admit());
    assert.ok(waits.every((w) => w >= 1));
    assert.ok(waits.at(-1)! > waits[0]!, `later ones are told to wait longer: ${waits[0]} → ${waits.at(-1)}`);
    clock.advance(100);
    assert.equal(a.admit(), 0, 'a token every 100 ms');
    assert.ok(a.admit() > 0);
  });
});

describe('a reconnect storm against a relay admitting 5 sessions a second', () => {
  let relay: RelayProcess;
  let admin: string;
  const devices: VirtualDevice[] = [];

  before(async () => {
    relay = await startRelay({ args: ['--admit-rate', '5', '--bosh-wait', '2'] });
    admin = adminToken(relay.dataDir);
  });
  after(async () => {
    for (const d of devices) await d.stop().catch(() => undefined);
    await relay.stop();
  });

  it('sessions past the rate get 503 with Retry-After and a terminate body', async () => {
    const creations = await Promise.all(
      Array.from({ length: 12 }, (_, i) => post(relay.url, `<body xmlns='${HB}' rid='${1000 + i}' to='fleetrelay.local' wait='2' hold='1' ver='1.6'/>`)),
    );
    const refused = creations.filter((r) => r.status === 503);
    assert.ok(refused.length >= 6, `${refused.length} of 12 refused`);
    for (const r of refused) {
      assert.ok(Number(r.headers['retry-after']) >= 1);
      assert.equal(r.body.attrs.type, 'terminate');
    }
    await new Promise((r) => setTimeout(r, 1500));
  });

  it('twenty devices coming at once are all ONLINE after backing off', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const credentials = (await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json: { serial: `STORM-${i}`, model: 'MFC' } })).body as { deviceId: string; jid: string; token: string };
      ids.push(credentials.deviceId);
      devices.push(new VirtualDevice({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials, mib: new PrinterMib({ model: 'MFC', serial: `STORM-${i}` }), wait: 2 }));
    }
    const started = Date.now();
    await Promise.all(devices.map((d) => d.start()));
    await until('all ONLINE', async () => {
      const online = await Promise.all(ids.map(async (id) => (await api(relay.url, `/api/v1/devices/${id}`, { token: admin })).body.online === true));
      return online.every(Boolean) ? true : undefined;
    }, 30_000);
    assert.ok(Date.now() - started >= 2000, 'they could not all be admitted in the first second');
  });
});
