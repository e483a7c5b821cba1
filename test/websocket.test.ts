/**
 * XMPP over WebSocket (RFC 7395, issue 14) at /xmpp-websocket: the framing, the same stream as
 * over BOSH (SASL PLAIN, bind, presence, pushed GETs answered), the same cap and limits, and a
 * standard client nobody here wrote (stanza) logging in over it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type Agent } from 'stanza';
import { attribute, text } from 'stanza/jxt/index.js';
import { OID } from '../src/device/sim/printer-mib.js';
import { RawSession } from './helpers/bosh.js';
import { adminToken, api, cliJson, startRelay, until, type RelayProcess } from './helpers/relay.js';
import { FRAMING, RawWs } from './helpers/xmpp-ws.js';

const MGMT = 'urn:fleetrelay:mgmt:1';

describe('XMPP over WebSocket (RFC 7395)', () => {
  let relay: RelayProcess;
  let admin: string;
  const add = (serial: string) => cliJson<{ deviceId: string; jid: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', serial, '--model', 'MFC-L2750']);
  const get = (deviceId: string) => api(relay.url, `/api/v1/devices/${deviceId}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysName] } });

  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
  });
  after(() => relay.stop());

  it('opens with <open/>, authenticates, restarts, binds, echoes presence, and answers a pushed GET', async () => {
    const device = add('WS-1');
    const ws = await RawWs.connect(relay.url);
    assert.equal(ws.ws.protocol, 'xmpp');
    ws.open();
    const opened = await ws.next();
    assert.match(opened, new RegExp(`^<open xmlns='${FRAMING}' from='fleetrelay.local' id='[a-z0-9]+' version='1.0' xml:lang='en'/>$`));
    assert.match(await ws.next(), /^<features xmlns='http:\/\/etherx.jabber.org\/streams'><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN<\/mechanism>/);
    ws.close();

    const s = await RawWs.connect(relay.url);
    const jid = await s.login(device.deviceId, device.token, 'mfp');
    assert.equal(jid, `${device.jid}/mfp`);
    s.send(`<presence xmlns='jabber:client'/>`);
    assert.match(await s.next(), new RegExp(`^<presence xmlns='jabber:client' from='${jid}' to='${jid}'`));
    s.send(`<iq xmlns='jabber:client' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>`);
    assert.match(await s.next(), /^<iq xmlns='jabber:client' type='result' id='p1'/);
    assert.equal((await api(relay.url, `/api/v1/devices/${device.deviceId}`, { token: admin })).body.online, true);

    const answered = get(device.deviceId);
    const push = await s.until(new RegExp(`xmlns='${MGMT}'`));
    const id = /id='([^']+)'/.exec(push)![1]!;
    assert.match(push, new RegExp(`^<iq xmlns='jabber:client' type='get' id='${id}' to='${jid}'`));
    s.send(`<iq xmlns='jabber:client' type='result' id='${id}'><query xmlns='${MGMT}'><object oid='${OID.sysName}' type='string'>over websocket</object></query></iq>`);
    const r = await answered;
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.objects, [{ oid: OID.sysName, type: 'string', value: 'over websocket' }]);

    s.send(`<close xmlns='${FRAMING}'/>`);
    assert.equal(await s.next(), `<close xmlns='${FRAMING}'/>`);
    await s.closed;
    await until('OFFLINE once the stream closed', async () => ((await api(relay.url, `/api/v1/devices/${device.deviceId}`, { token: admin })).body.online === false ? true : undefined), 5000);
  });

  it('refuses an upgrade without the xmpp subprotocol (400) or on another path (404)', async () => {
    await assert.rejects(RawWs.connect(relay.url, ['chat']), (e: { status?: number }) => e.status === 400);
    await assert.rejects(RawWs.connect(relay.url, ['xmpp'], '/websocket'), (e: { status?: number }) => e.status === 404);
  });

  it('ends the stream with an error and <close/> on bad input: binary, not XML, another host, stanzas before <open/>, a wrong token three times', async () => {
    const cases: [string, (ws: RawWs) => void][] = [
      ['unsupported-encoding', (ws) => ws.ws.send(Buffer.from('<open/>'), { binary: true })],
      ['not-well-formed', (ws) => ws.send('<open')],
      ['host-unknown', (ws) => ws.send(`<open xmlns='${FRAMING}' to='elsewhere.example' version='1.0'/>`)],
      ['not-authorized', (ws) => ws.send(`<iq xmlns='jabber:client' type='get' id='x'/>`)],
    ];
    for (const [condition, act] of cases) {
      const ws = await RawWs.connect(relay.url);
      act(ws);
      assert.match(await ws.until(/<error/), new RegExp(`^<error xmlns='http://etherx.jabber.org/streams'><${condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>`), condition);
      assert.equal(await ws.next(), `<close xmlns='${FRAMING}'/>`);
      assert.equal((await ws.closed).code, 1000);
    }
    const device = add('WS-BADPW');
    const ws = await RawWs.connect(relay.url);
    ws.open();
    await ws.until(/<features/);
    for (let i = 0; i < 3; i++) ws.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${device.deviceId}\0wrong`).toString('base64')}</auth>`);
    assert.match(await ws.until(/<error/), /<policy-violation/);
    await ws.closed;
  });

  it('closes the connection on a frame over 64 KiB (1009) and keeps serving', async () => {
    const ws = await RawWs.connect(relay.url);
    ws.send(`<iq xmlns='jabber:client'>${'x'.repeat(70 * 1024)}</iq>`);
    assert.equal((await ws.closed).code, 1009);
    const again = await RawWs.connect(relay.url);
    again.open();
    assert.match(await again.next(), /^<open /);
    again.close();
  });

  it('a device that logs in again over BOSH ends its WebSocket session with a conflict error', async () => {
    const device = add('WS-MOVE');
    const ws = await RawWs.connect(relay.url);
    await ws.login(device.deviceId, device.token);
    const bosh = new RawSession(relay.url);
    await bosh.login(device.deviceId, device.token);
    assert.match(await ws.until(/<error/), /<conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>replaced by a newer session/);
    await ws.closed;
    assert.equal((await api(relay.url, `/api/v1/devices/${device.deviceId}`, { token: admin })).body.online, true, 'ONLINE on its BOSH session');
    // Why sessions ended, for operators: this one replaced; the first test's closed by its client.
    const metrics = (await api(relay.url, '/metrics', { token: admin })).text;
    assert.match(metrics, /^fleetrelay_websocket_sessions_ended_total\{why="replaced"\} [1-9]\d*$/m);
    assert.match(metrics, /^fleetrelay_websocket_sessions_ended_total\{why="client"\} [1-9]\d*$/m);
  });

  it('stanza, an XMPP client nobody here wrote, logs in over WebSocket and answers a pushed GET', async () => {
    const device = add('WS-STANZA');
    const client: Agent = createClient({ jid: device.jid, password: device.token, resource: 'stanza', transports: { websocket: `${relay.url.replace(/^http/, 'ws')}/xmpp-websocket`, bosh: false } });
    client.stanzas.define([
      { element: 'query', namespace: MGMT, path: 'iq.mgmt', fields: {} },
      { aliases: [{ path: 'iq.mgmt.objects', multiple: true }], element: 'object', namespace: MGMT, fields: { oid: attribute('oid'), type: attribute('type'), error: attribute('error'), value: text() } },
    ]);
    client.on('iq:get:mgmt' as never, (iq: { mgmt: { objects?: { oid: string }[] } }) => {
      const objects = (iq.mgmt.objects ?? []).map((o) => (o.oid === OID.sysName ? { oid: o.oid, type: 'string', value: 'from stanza over websocket' } : { oid: o.oid, error: 'noSuchObject' }));
      client.sendIQResult(iq as never, { mgmt: { objects } } as never);
    });
    const started = new Promise<void>((resolve, reject) => {
      client.once('session:started', () => resolve());
      client.once('auth:failed', () => reject(new Error('stanza could not authenticate')));
    });
    client.connect();
    try {
      await started;
      assert.equal(client.jid, `${device.jid}/stanza`);
      const r = await get(device.deviceId);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.objects, [{ oid: OID.sysName, type: 'string', value: 'from stanza over websocket' }]);
    } finally {
      client.disconnect();
    }
  });
});

describe('XMPP over WebSocket shares the session cap with BOSH', () => {
  it('refuses an upgrade with 503 when BOSH sessions fill --max-sessions', async () => {
    const relay = await startRelay({ args: ['--max-sessions', '1'] });
    try {
      const device = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'WS-CAP', '--model', 'M']);
      await new RawSession(relay.url).login(device.deviceId, device.token);
      await assert.rejects(RawWs.connect(relay.url), (e: { status?: number }) => e.status === 503);
    } finally {
      await relay.stop();
    }
  });
});
