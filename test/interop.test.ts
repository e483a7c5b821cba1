import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type Agent } from 'stanza';
import { attribute, text } from 'stanza/jxt/index.js';
import { OID } from '../src/device/sim/printer-mib.js';
import { adminToken, api, cliJson, startRelay, type RelayProcess } from './helpers/relay.js';

const MGMT = 'urn:fleetrelay:mgmt:1';

interface MgmtObject {
  oid: string;
  type?: string;
  value?: string;
  error?: string;
}

/**
 * A standard XMPP BOSH client nobody here wrote (stanza 12, fetch-based BOSH) logs in with the
 * device's JID and token, binds, pings, and answers pushed GETs with a payload definition of
 * its own — the relay's protocol is plain XMPP.
 */
describe('interop: the stanza XMPP client over BOSH', () => {
  let relay: RelayProcess;
  let admin: string;
  let client: Agent;
  let device: { deviceId: string; jid: string; token: string };

  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
    device = cliJson(relay.dataDir, ['device', 'add', '--serial', 'STANZA-1', '--model', 'MFC-L2750']);
    client = createClient({ jid: device.jid, password: device.token, resource: 'stanza', transports: { websocket: false, bosh: `${relay.url}/http-bind` } });
    client.stanzas.define([
      { element: 'query', namespace: MGMT, path: 'iq.mgmt', fields: {} },
      {
        aliases: [{ path: 'iq.mgmt.objects', multiple: true }],
        element: 'object',
        namespace: MGMT,
        fields: { oid: attribute('oid'), type: attribute('type'), error: attribute('error'), value: text() },
      },
    ]);
    const answers: Record<string, MgmtObject> = { [OID.sysName]: { oid: OID.sysName, type: 'string', value: 'from stanza' } };
    client.on('iq:get:mgmt' as never, (iq: { mgmt: { objects?: MgmtObject[] } }) => {
      const objects = (iq.mgmt.objects ?? []).map((o) => answers[o.oid] ?? { oid: o.oid, error: 'noSuchObject' });
      client.sendIQResult(iq as never, { mgmt: { objects } } as never);
    });
    const started = new Promise<void>((resolve, reject) => {
      client.once('session:started', () => resolve());
      client.once('auth:failed', () => reject(new Error('stanza could not authenticate')));
    });
    client.connect();
    await started;
  });
  after(async () => {
    client?.disconnect();
    await relay.stop();
  });

  it('logs in with SASL PLAIN, binds the requested resource and shows the device ONLINE', async () => {
    assert.equal(client.jid, `${device.jid}/stanza`);
    const shown = await api(relay.url, `/api/v1/devices/${device.deviceId}`, { token: admin });
    assert.equal(shown.body.online, true);
  });

  it('answers XEP-0199 pings from the client', async () => {
    await client.ping('fleetrelay.local');
  });

  it('receives a pushed GET and its answer reaches the service server', async () => {
    const r = await api(relay.url, `/api/v1/devices/${device.deviceId}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysName, OID.sysDescr] } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.objects, [
      { oid: OID.sysName, type: 'string', value: 'from stanza' },
      { oid: OID.sysDescr, error: 'noSuchObject' },
    ]);
  });

  it('a SET the client has no handler for comes back as the client\'s own IQ error', async () => {
    const r = await api(relay.url, `/api/v1/devices/${device.deviceId}/set`, {
      method: 'POST',
      token: admin,
      json: { objects: [{ oid: OID.sysName, type: 'string', value: 'x' }] },
    });
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.condition, 'service-unavailable');
  });

  it('goes OFFLINE when the client disconnects', async () => {
    const gone = new Promise((r) => client.once('disconnected', r));
    client.disconnect();
    await gone;
    await new Promise((r) => setTimeout(r, 200));
    const r = await api(relay.url, `/api/v1/devices/${device.deviceId}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysName] } });
    assert.equal(r.status, 409);
  });
});
