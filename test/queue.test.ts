import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OID, PrinterMib } from '../src/device/sim/printer-mib.js';
import { VirtualDevice } from '../src/device/sim/virtual-device.js';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, cliJson, startRelay, type RelayProcess } from './helpers/relay.js';

describe('queued push requests for offline devices', () => {
  let relay: RelayProcess;
  let admin: string;
  const devices: VirtualDevice[] = [];

  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
  });
  after(async () => {
    for (const d of devices) await d.stop();
    await relay.stop();
  });

  const provision = (serial: string) => cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', serial, '--model', 'M']);
  const status = (id: string, token = admin) => api(relay.url, `/api/v1/requests/${id}`, { token });

  it('keeps a request for an offline device and delivers it exactly once at its next session', async () => {
    const c = provision('Q-1');
    const queued = await api(relay.url, `/api/v1/devices/${c.deviceId}/set`, {
      method: 'POST',
      token: admin,
      json: { objects: [{ oid: OID.sysLocation, type: 'string', value: 'Queued room' }], queue: { ttlSeconds: 600 } },
    });
    assert.equal(queued.status, 202, queued.text);
    assert.equal(queued.headers.get('location'), `/api/v1/requests/${queued.body.requestId}`);
    assert.equal(queued.body.status, 'queued');
    assert.equal((await status(queued.body.requestId)).body.status, 'queued');

    const device = new VirtualDevice({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: c, mib: new PrinterMib({ model: 'M', serial: 'Q-1' }) });
    devices.push(device);
    await device.start();
    let s = await status(queued.body.requestId);
    for (let i = 0; i < 50 && s.body.status !== 'answered'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      s = await status(queued.body.requestId);
    }
    assert.equal(s.body.status, 'answered', s.text);
    assert.deepEqual(s.body.objects, [{ oid: OID.sysLocation, type: 'string', value: 'Queued room' }]);
    assert.equal(device.answered, 1);
    // Reconnecting does not deliver it again.
    await device.stop();
    await device.start();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(device.answered, 1);
    const now = await api(relay.url, `/api/v1/devices/${c.deviceId}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysLocation] } });
    assert.equal(now.body.objects[0].value, 'Queued room');
  });

  it('hands queued requests over outside a session, once, and takes the answer on /device/v1/responses', async () => {
    const c = provision('Q-2');
    const q = await api(relay.url, `/api/v1/devices/${c.deviceId}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysName], queue: { ttlSeconds: 600 } } });
    assert.equal(q.status, 202);
    const taken = await api(relay.url, '/device/v1/requests', { token: c.token });
    assert.deepEqual(taken.body.items, [{ requestId: q.body.requestId, op: 'get', oids: [OID.sysName] }]);
    assert.deepEqual((await api(relay.url, '/device/v1/requests', { token: c.token })).body.items, [], 'exactly once');
    assert.equal((await status(q.body.requestId)).body.status, 'delivered');
    const answered = await api(relay.url, '/device/v1/responses', {
      method: 'POST',
      token: c.token,
      json: { requestId: q.body.requestId, objects: [{ oid: OID.sysName, type: 'string', value: 'Q-2' }] },
    });
    assert.equal(answered.status, 200, answered.text);
    const s = await status(q.body.requestId);
    assert.equal(s.body.status, 'answered');
    assert.deepEqual(s.body.objects, [{ oid: OID.sysName, type: 'string', value: 'Q-2' }]);
    assertProblem(await api(relay.url, '/device/v1/responses', { method: 'POST', token: c.token, json: { requestId: q.body.requestId, objects: [] } }), 404, 'not-found');
  });

  it('expires queued requests, hides them from other accounts, and caps the queue', async () => {
    const c = provision('Q-3');
    const q = await api(relay.url, `/api/v1/devices/${c.deviceId}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysName], queue: { ttlSeconds: 1 } } });
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await status(q.body.requestId)).body.status, 'expired');
    assert.deepEqual((await api(relay.url, '/device/v1/requests', { token: c.token })).body.items, [], 'expired requests are not delivered');
    cliJson(relay.dataDir, ['account', 'add', 'elsewhere']);
    const other = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'elsewhere']).token;
    assertProblem(await status(q.body.requestId, other), 404, 'not-found');
    assertProblem(await status('rnosuchrequest'), 404, 'not-found');
    for (let i = 0; i < 32; i++)
      assert.equal((await api(relay.url, `/api/v1/devices/${c.deviceId}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysName], queue: { ttlSeconds: 60 } } })).status, 202);
    assertProblem(await api(relay.url, `/api/v1/devices/${c.deviceId}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysName], queue: { ttlSeconds: 60 } } }), 503, 'device-busy');
    assertProblem(await api(relay.url, `/api/v1/devices/${c.deviceId}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysName], queue: { ttlSeconds: 0 } } }), 400, 'validation-failed');
  });
});
