import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OID, PrinterMib } from '../src/device/sim/printer-mib.js';
import { VirtualDevice } from '../src/device/sim/virtual-device.js';
import { RawSession } from './helpers/bosh.js';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, cliJson, startRelay, type RelayProcess } from './helpers/relay.js';

const DOMAIN = 'fleetrelay.local';

describe('push relay over real sockets (seed 000 FIG. 7, FIG. 8)', () => {
  let relay: RelayProcess;
  let admin: string;
  const devices: VirtualDevice[] = [];

  const provision = (serial: string, account?: string) =>
    cliJson<{ deviceId: string; jid: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', serial, '--model', 'MFC-L2750', ...(account ? ['--account', account] : [])]);

  const startDevice = async (serial: string, o: Partial<ConstructorParameters<typeof VirtualDevice>[0]> = {}) => {
    const credentials = provision(serial);
    const events: [string, unknown][] = [];
    const device = new VirtualDevice({
      relayUrl: relay.url,
      domain: DOMAIN,
      credentials,
      mib: new PrinterMib({ model: 'MFC-L2750', serial }),
      onEvent: (e, d) => events.push([e, d]),
      ...o,
    });
    devices.push(device);
    await device.start();
    return { device, credentials, events };
  };

  const get = (deviceId: string, oids: string[], extra: Record<string, unknown> = {}) =>
    api(relay.url, `/api/v1/devices/${deviceId}/get`, { method: 'POST', token: admin, json: { oids, ...extra } });
  const set = (deviceId: string, objects: unknown[]) => api(relay.url, `/api/v1/devices/${deviceId}/set`, { method: 'POST', token: admin, json: { objects } });

  before(async () => {
    relay = await startRelay({ args: ['--management-timer', '2', '--bosh-wait', '2', '--bosh-inactivity', '3'] });
    admin = adminToken(relay.dataDir);
  });
  after(async () => {
    for (const d of devices) await d.stop().catch(() => undefined);
    await relay.stop();
  });

  it('FIG. 7: a GET reaches the device over its held connection and the answer comes back, correlated by request ID', async () => {
    const { credentials } = await startDevice('FIG7-A');
    const shown = await api(relay.url, `/api/v1/devices/${credentials.deviceId}`, { token: admin });
    assert.equal(shown.body.online, true);
    const r = await get(credentials.deviceId, [OID.sysName, OID.prtMarkerLifeCount, OID.supplyLevel(1)]);
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.requestId, /^r[a-z2-7]{24}$/);
    assert.deepEqual(r.body.objects, [
      { oid: OID.sysName, type: 'string', value: 'FIG7-A' },
      { oid: OID.prtMarkerLifeCount, type: 'counter32', value: 0 },
      { oid: OID.supplyLevel(1), type: 'integer', value: 3000 },
    ]);
  });

  it('FIG. 7 with a session-less answer (S265): the device answers over plain HTTP, the relay matches the request ID', async () => {
    const { credentials, events } = await startDevice('FIG7-B', { answerVia: 'http' });
    const r = await get(credentials.deviceId, [OID.sysDescr]);
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.objects[0].value, /virtual MFP MFC-L2750/);
    assert.ok(events.some(([e, d]) => e === 'push' && (d as { requestId: string }).requestId === r.body.requestId));
  });

  it('keeps the device online across survival notifications and new connections (S241 → S365 → S236)', async () => {
    const { device, credentials } = await startDevice('FIG7-C');
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 900));
      assert.equal(await device.survival(), true, 'the relay recognizes the session');
    }
    // 2.7 s > the 2 s management timer: its requests (held connections, survival notifications) kept it ONLINE.
    const r = await get(credentials.deviceId, [OID.sysName]);
    assert.equal(r.status, 200, r.text);
  });

  it('FIG. 8: a device that goes silent is OFFLINE after the management timer, and a GET fails at once', async () => {
    const { device, credentials } = await startDevice('FIG8');
    assert.equal((await get(credentials.deviceId, [OID.sysName])).status, 200);
    device.powerOff();
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal((await api(relay.url, `/api/v1/devices/${credentials.deviceId}`, { token: admin })).body.online, false);
    const t0 = performance.now();
    const r = await get(credentials.deviceId, [OID.sysName]);
    const ms = performance.now() - t0;
    assertProblem(r, 409, 'device-offline');
    assert.ok(ms < 1000, `offline error took ${ms} ms`);
    // A survival notification with the lost sid is not recognized.
    const s = await api(relay.url, '/device/v1/survival', { method: 'POST', token: credentials.token, json: { sid: device.sid ?? 'gone' } });
    assert.deepEqual(s.body, { recognized: false });
  });

  it('SET is all or nothing: one refused object leaves every object unchanged', async () => {
    const { credentials } = await startDevice('SET-1');
    const refused = await set(credentials.deviceId, [
      { oid: OID.sysLocation, type: 'string', value: 'Room 101' },
      { oid: OID.sysDescr, type: 'string', value: 'hacked' },
    ]);
    assertProblem(refused, 422, 'device-error');
    assert.equal(refused.body.oid, OID.sysDescr);
    assert.equal(refused.body.error, 'notWritable');
    assert.equal((await get(credentials.deviceId, [OID.sysLocation])).body.objects[0].value, '');
    const wrongType = await set(credentials.deviceId, [{ oid: OID.sysName, type: 'integer', value: 5 }]);
    assertProblem(wrongType, 422, 'device-error');
    assert.equal(wrongType.body.error, 'wrongType');
    const ok = await set(credentials.deviceId, [
      { oid: OID.sysLocation, type: 'string', value: 'Room 101' },
      { oid: OID.sysContact, type: 'string', value: 'facilities@example.com' },
    ]);
    assert.equal(ok.status, 200, ok.text);
    const after = await get(credentials.deviceId, [OID.sysLocation, OID.sysContact]);
    assert.deepEqual(after.body.objects.map((o: { value: string }) => o.value), ['Room 101', 'facilities@example.com']);
  });

  it('GET answers 200 with per-object errors where some OIDs fail', async () => {
    const { credentials } = await startDevice('GET-P');
    const r = await get(credentials.deviceId, [OID.sysName, '1.3.6.1.2.1.1.99.0', OID.supplyLevel(9)]);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.objects.slice(1), [
      { oid: '1.3.6.1.2.1.1.99.0', error: 'noSuchObject' },
      { oid: OID.supplyLevel(9), error: 'noSuchInstance' },
    ]);
  });

  it('serves several requests in flight to one device', async () => {
    const { credentials } = await startDevice('CONC');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => get(credentials.deviceId, [i % 2 ? OID.sysName : OID.sysDescr])));
    assert.ok(results.every((r) => r.status === 200));
    assert.equal(new Set(results.map((r) => r.body.requestId)).size, 12);
    results.forEach((r, i) => assert.equal(r.body.objects[0].oid, i % 2 ? OID.sysName : OID.sysDescr));
  });

  it('answers 504 when the device never answers, and ignores a late or foreign answer', async () => {
    const c = provision('MUTE');
    const other = provision('OTHER');
    const raw = new RawSession(relay.url);
    await raw.login(c.deviceId, c.token);
    const held = raw.send(); // the connection the push will come down
    const t0 = performance.now();
    const pending = get(c.deviceId, [OID.sysName], { timeoutSeconds: 1 });
    const pushed = await held;
    const requestId = /id='(r[a-z2-7]+)'/.exec(pushed.text)?.[1];
    assert.ok(requestId, pushed.text);
    // Another device cannot answer it.
    const foreign = await api(relay.url, '/device/v1/responses', { method: 'POST', token: other.token, json: { requestId, objects: [{ oid: OID.sysName, type: 'string', value: 'spoof' }] } });
    assertProblem(foreign, 404, 'not-found');
    const r = await pending;
    assertProblem(r, 504, 'device-timeout');
    assert.ok(performance.now() - t0 >= 1000);
    const late = await api(relay.url, '/device/v1/responses', { method: 'POST', token: c.token, json: { requestId, objects: [{ oid: OID.sysName, type: 'string', value: 'late' }] } });
    assertProblem(late, 404, 'not-found');
    await raw.send('', { attrs: "type='terminate'" });
  });

  it('refuses unknown devices, other accounts\' devices and bad requests with clear errors', async () => {
    cliJson(relay.dataDir, ['account', 'add', 'other']);
    const op = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'other']).token;
    const { credentials } = await startDevice('ISO');
    assertProblem(await api(relay.url, `/api/v1/devices/${credentials.deviceId}/get`, { method: 'POST', token: op, json: { oids: [OID.sysName] } }), 404, 'not-found');
    assertProblem(await get('dnosuchdevice', [OID.sysName]), 404, 'not-found');
    assertProblem(await get(credentials.deviceId, ['not.an.oid']), 400, 'validation-failed');
    assertProblem(await get(credentials.deviceId, []), 400, 'validation-failed');
    assertProblem(await get(credentials.deviceId, [OID.sysName], { timeoutSeconds: 0 }), 400, 'validation-failed');
    assertProblem(await set(credentials.deviceId, [{ oid: OID.sysName, type: 'float', value: '1' }]), 400, 'validation-failed');
    assertProblem(await set(credentials.deviceId, [{ oid: OID.sysName, type: 'counter64', value: '18446744073709551616' }]), 400, 'validation-failed');
    assertProblem(await api(relay.url, `/api/v1/devices/${credentials.deviceId}/get`, { method: 'POST', json: { oids: [OID.sysName] } }), 401, 'unauthorized');
  });
});
