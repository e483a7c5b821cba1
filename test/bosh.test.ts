import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { HB, post, RawSession } from './helpers/bosh.js';
import { adminToken, api, cliJson, startRelay, waitForLog, type RelayProcess } from './helpers/relay.js';

/** XEP-0124 / XEP-0206 conformance, checklist numbers from shared/reference/bosh-xep0124-0206.md. */
describe('BOSH connection manager conformance', () => {
  let relay: RelayProcess;
  let device: { deviceId: string; token: string };

  before(async () => {
    relay = await startRelay({ args: ['--bosh-wait', '2', '--bosh-inactivity', '2'] });
    device = cliJson(relay.dataDir, ['device', 'add', '--serial', 'BOSH-1', '--model', 'M']);
  });
  after(() => relay.stop());

  const terminated = (a: { body: { attrs: Record<string, string> } }, condition?: string): void => {
    assert.equal(a.body.attrs.type, 'terminate');
    assert.equal(a.body.attrs.condition, condition);
  };

  it('creates a session with the required attributes and the stream features (D16–D19)', async () => {
    const s = new RawSession(relay.url);
    const c = await s.create(`wait='90' hold='3' ver='1.6'`);
    assert.equal(c.status, 200);
    const a = c.body.attrs;
    assert.match(a.sid!, /^[a-z2-7]{26}\.[A-Za-z0-9_-]{1,64}$/, "a random part, then the node holding the session");
    assert.equal(a.wait, '2', 'wait ≤ asked and ≤ our maximum');
    assert.equal(a.hold, '1', 'hold ≤ asked');
    assert.ok(Number(a.requests) > Number(a.hold));
    assert.equal(a.ver, '1.6');
    assert.equal(a['xmpp:restartlogic'], 'true');
    assert.ok(a.inactivity && a.polling && a.from === 'fleetrelay.local');
    assert.match(c.text, /<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN<\/mechanism>/);
    assert.equal(c.headers['content-length'], String(Buffer.byteLength(c.text)));
    assert.equal(c.headers['transfer-encoding'], undefined);
    assert.match(String(c.headers['content-type']), /^text\/xml; charset=utf-8/);
  });

  it('accepts any request Content-Type, xmpp:restart=\'1\', and binds a resource (A1, D20, L50–L51)', async () => {
    const s = new RawSession(relay.url);
    await s.create();
    const plain = Buffer.from(`\0${device.deviceId}\0${device.token}`).toString('base64');
    const auth = await post(relay.url, `<body xmlns='${HB}' sid='${s.sid}' rid='${s.rid++}'><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain}</auth></body>`, { 'content-type': 'text/plain' });
    assert.match(auth.text, /<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'\/>/);
    const restart = await s.send('', { attrs: `xmlns:xmpp='urn:xmpp:xbosh' xmpp:restart='1' to='fleetrelay.local'` });
    assert.match(restart.text, /<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'\/>/);
    const bound = await s.send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>lab</resource></bind></iq>`);
    assert.match(bound.text, new RegExp(`<jid>${device.deviceId}@fleetrelay.local/lab</jid>`));
    const ping = await s.send(`<iq type='get' id='p1' to='fleetrelay.local'><ping xmlns='urn:xmpp:ping'/></iq>`);
    assert.match(ping.text, /<iq type='result' id='p1'/);
    const unknown = await s.send(`<iq type='get' id='q1'><query xmlns='jabber:iq:version'/></iq>`);
    assert.match(unknown.text, /type='error' id='q1'.*service-unavailable/);
    terminated(await s.send('<presence type=\'unavailable\'/>', { attrs: "type='terminate'" }));
  });

  it('refuses a wrong token, then ends the stream after repeated failures', async () => {
    const s = new RawSession(relay.url);
    await s.create();
    const bad = Buffer.from(`\0${device.deviceId}\0frd_wrong`).toString('base64');
    const other = Buffer.from(`\0dsomeoneelse\0${device.token}`).toString('base64');
    for (const payload of [bad, other]) {
      const r = await s.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${payload}</auth>`);
      assert.match(r.text, /<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized\/><\/failure>/);
    }
    const last = await s.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${bad}</auth>`);
    terminated(last, 'remote-stream-error');
    assert.match(last.text, /<stream:error><policy-violation/);
    // Stanzas before authentication end the stream too.
    const t = new RawSession(relay.url);
    await t.create();
    const early = await t.send(`<iq type='get' id='x'><ping xmlns='urn:xmpp:ping'/></iq>`);
    terminated(early, 'remote-stream-error');
    assert.match(early.text, /not-authorized/);
  });

  it('answers an unknown sid with item-not-found, and a legacy (no ver) client with HTTP 404 (K47–K48)', async () => {
    terminated(await post(relay.url, `<body xmlns='${HB}' sid='nosuchsid' rid='5'/>`), 'item-not-found');
    const legacy = new RawSession(relay.url);
    await legacy.create(`wait='2' hold='1'`);
    const far = await legacy.send('', { rid: legacy.rid + 10 });
    assert.equal(far.status, 404);
    terminated(far, 'item-not-found');
  });

  it('addresses: missing to → improper-addressing, another domain → host-unknown (C15)', async () => {
    terminated(await post(relay.url, `<body xmlns='${HB}' rid='100' wait='5' hold='1' ver='1.6'/>`), 'improper-addressing');
    terminated(await post(relay.url, `<body xmlns='${HB}' rid='100' to='example.org' wait='5' hold='1' ver='1.6'/>`), 'host-unknown');
  });

  it('holds a request for `wait` and answers it empty, releases a held request when a newer one arrives (E22)', async () => {
    const s = new RawSession(relay.url);
    await s.login(device.deviceId, device.token);
    const t0 = performance.now();
    const held = await s.send();
    const waited = performance.now() - t0;
    assert.ok(waited >= 1900 && waited < 3500, `held ${waited} ms for wait=2`);
    assert.equal(held.text, `<body xmlns='${HB}'/>`);
    const first = s.send();
    await new Promise((r) => setTimeout(r, 200));
    const t1 = performance.now();
    const second = s.send();
    assert.equal((await first).text, `<body xmlns='${HB}'/>`);
    assert.ok(performance.now() - t1 < 1000, 'the older request was answered at once');
    await second;
    await s.send('', { attrs: "type='terminate'" });
  });

  it('processes out-of-order requests in rid order and answers in rid order (F26)', async () => {
    const s = new RawSession(relay.url);
    await s.login(device.deviceId, device.token);
    const r1 = s.rid;
    const later = s.send(`<iq type='get' id='second'><ping xmlns='urn:xmpp:ping'/></iq>`, { rid: r1 + 1 });
    await new Promise((r) => setTimeout(r, 100));
    const earlier = s.send(`<iq type='get' id='first'><ping xmlns='urn:xmpp:ping'/></iq>`, { rid: r1 });
    const [a, b] = await Promise.all([earlier, later]);
    s.rid = r1 + 2;
    const all = a.text + b.text;
    assert.ok(all.indexOf("id='first'") < all.indexOf("id='second'"), all);
    await s.send('', { attrs: "type='terminate'" });
  });

  it('terminates with item-not-found for a rid above the window (F26, F31)', async () => {
    const s = new RawSession(relay.url);
    await s.login(device.deviceId, device.token);
    terminated(await s.send('', { rid: s.rid + 5 }), 'item-not-found');
    terminated(await s.send(), 'item-not-found'); // the session is gone
  });

  it('replays an answered rid byte for byte, and hands a held rid over to the newer connection (F28–F29)', async () => {
    const s = new RawSession(relay.url);
    await s.login(device.deviceId, device.token);
    const rid = s.rid;
    const original = await s.send(`<iq type='get' id='rp'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const again = await s.send(`<iq type='get' id='rp'><ping xmlns='urn:xmpp:ping'/></iq>`, { rid });
    assert.equal(again.text, original.text);
    assert.equal(again.status, 200);
    const heldRid = s.rid;
    const held = s.send();
    await new Promise((r) => setTimeout(r, 100));
    const retry = s.send('', { rid: heldRid });
    const first = await held;
    assert.equal(first.body.attrs.type, 'error', 'the older connection gets a recoverable error');
    assert.equal(first.body.attrs.condition, undefined);
    assert.equal((await retry).status, 200);
    // An answered rid that fell out of the buffer is item-not-found.
    terminated(await s.send('', { rid: rid - 3 }), 'item-not-found');
  });

  it('holds a rid again when the connection of its held request broke before the answer (§14.3: the client resends it)', async () => {
    const s = new RawSession(relay.url);
    await s.login(device.deviceId, device.token);
    const rid = s.rid++;
    // A held request whose connection breaks (a NAT drop, a reset) was never answered.
    const broken = request(`${relay.url}/http-bind`, { method: 'POST', agent: false, headers: { 'content-type': 'text/xml' } });
    broken.on('error', () => undefined);
    broken.end(`<body xmlns='${HB}' sid='${s.sid}' rid='${rid}'/>`);
    await new Promise((r) => setTimeout(r, 300));
    broken.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const resent = await s.send('', { rid });
    assert.equal(resent.status, 200);
    assert.notEqual(resent.body.attrs.type, 'terminate', resent.text);
    const ping = await s.send(`<iq type='get' id='after-drop'><ping xmlns='urn:xmpp:ping'/></iq>`);
    assert.match(ping.text, /id='after-drop'/, 'the session goes on');
  });

  it('ends an idle session after `inactivity` (H36) and marks the device offline', async () => {
    const admin = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--admin']).token;
    const s = new RawSession(relay.url);
    await s.login(device.deviceId, device.token);
    assert.equal((await api(relay.url, `/api/v1/devices/${device.deviceId}`, { token: admin })).body.online, true);
    await new Promise((r) => setTimeout(r, 2600));
    terminated(await s.send(), 'item-not-found');
    assert.equal((await api(relay.url, `/api/v1/devices/${device.deviceId}`, { token: admin })).body.online, false);
  });

  it('pauses: answers at once with no payload and allows up to maxpause (H39)', async () => {
    const s = new RawSession(relay.url);
    await s.login(device.deviceId, device.token);
    const t0 = performance.now();
    const p = await s.send('', { attrs: "pause='3'" });
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(p.text, `<body xmlns='${HB}'/>`);
    await new Promise((r) => setTimeout(r, 2600)); // longer than inactivity (2 s), shorter than the pause
    const back = await s.send(`<iq type='get' id='pp'><ping xmlns='urn:xmpp:ping'/></iq>`);
    assert.match(back.text, /id='pp'/);
    terminated(await s.send('', { attrs: "pause='100000'" }), 'policy-violation');
  });

  it('answers a terminate with terminate, and the session is gone (J44–J45)', async () => {
    const s = new RawSession(relay.url);
    await s.login(device.deviceId, device.token);
    const held = s.send();
    await new Promise((r) => setTimeout(r, 100));
    terminated(await s.send('', { attrs: "type='terminate'" }));
    assert.equal((await held).body.attrs.type, 'terminate');
    terminated(await s.send(), 'item-not-found');
  });

  it('a new session for the same device replaces the old one with a conflict stream error', async () => {
    const a = new RawSession(relay.url);
    await a.login(device.deviceId, device.token);
    const held = a.send();
    const b = new RawSession(relay.url);
    await b.login(device.deviceId, device.token);
    const old = await held;
    terminated(old, 'remote-stream-error');
    assert.match(old.text, /<conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/);
    await b.send('', { attrs: "type='terminate'" });
  });

  it('echoes initial presence to the sending resource, from and to its full JID (RFC 6121 §4.2.2)', async () => {
    const s = new RawSession(relay.url);
    const jid = await s.login(device.deviceId, device.token);
    const t0 = Date.now();
    const echo = await s.send(`<presence xmlns='jabber:client' id='p1'><priority>1</priority></presence>`);
    assert.ok(Date.now() - t0 < 1500, 'answered at once, not after `wait`');
    assert.match(echo.text, new RegExp(`<presence from='${jid}' to='${jid}' id='p1'><priority>1</priority></presence>`));
    const directed = await s.send(`<presence to='someone@fleetrelay.local'/><presence type='unavailable'/>`);
    assert.doesNotMatch(directed.text, /<presence/, 'only initial presence is echoed');
    await s.send('', { attrs: "type='terminate'" });
  });

  it('polling sessions (hold=0) answer at once and refuse polling faster than `polling` (I43)', async () => {
    const s = new RawSession(relay.url);
    await s.create(`wait='2' hold='0' ver='1.6'`);
    assert.equal(s.creation.body.attrs.hold, '0');
    assert.equal(s.creation.body.attrs.requests, '1');
    const t0 = performance.now();
    await s.send(); // answered at once; nothing to say
    assert.ok(performance.now() - t0 < 1000);
    const fast = await s.send();
    terminated(fast, 'policy-violation');
  });

  it('refuses bad bodies with bad-request and keeps serving: malformed XML, DOCTYPE/entities, comments, PIs, text, wrong root, bad rid', async () => {
    const s = new RawSession(relay.url);
    await s.login(device.deviceId, device.token);
    const bomb = `<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'><!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]><body xmlns='${HB}' sid='${s.sid}' rid='${s.rid}'>&lol3;</body>`;
    const bad = [
      `<body xmlns='${HB}' sid='${s.sid}' rid='${s.rid}'><iq>`,
      bomb,
      `<body xmlns='${HB}' sid='${s.sid}' rid='${s.rid}'><!-- hi --></body>`,
      `<?pi x?><body xmlns='${HB}' sid='${s.sid}' rid='${s.rid}'/>`,
      `<body xmlns='${HB}' sid='${s.sid}' rid='${s.rid}'>bare text</body>`,
      `<body xmlns='${HB}' sid='${s.sid}' rid='${s.rid}'>&unknown;</body>`,
      `<body xmlns='${HB}' sid='${s.sid}' rid='${s.rid}'/><body xmlns='${HB}'/>`,
      `<html xmlns='${HB}' sid='${s.sid}' rid='${s.rid}'/>`,
      `<body sid='${s.sid}' rid='${s.rid}'/>`,
      `<body xmlns='${HB}' sid='${s.sid}' rid='-1'/>`,
      `<body xmlns='${HB}' sid='${s.sid}' rid='99999999999999999999'/>`,
      `<body xmlns='${HB}' sid='${s.sid}'/>`,
      '',
    ];
    for (const payload of bad) {
      const r = await post(relay.url, payload);
      assert.equal(r.status, 200, payload);
      terminated(r, 'bad-request');
    }
    // The session is untouched by all of that.
    const ok = await s.send(`<iq type='get' id='still'><ping xmlns='urn:xmpp:ping'/></iq>`);
    assert.match(ok.text, /id='still'/);
    await s.send('', { attrs: "type='terminate'" });
  });

  it('refuses an oversize body and other methods', async () => {
    const huge = `<body xmlns='${HB}' rid='1' to='fleetrelay.local'>${'<presence/>'.repeat(10000)}</body>`;
    const r = await post(relay.url, huge);
    terminated(r, 'policy-violation');
    const g = await fetch(`${relay.url}/http-bind`);
    assert.equal(g.status, 405);
    assert.equal(g.headers.get('allow'), 'POST, OPTIONS');
    const o = await fetch(`${relay.url}/http-bind`, { method: 'OPTIONS' });
    assert.equal(o.status, 204);
    assert.equal(o.headers.get('access-control-allow-origin'), '*');
    assert.equal((await api(relay.url, '/healthz')).status, 200);
  });

  it('handles rids above 2^32 and up to 2^53−1 (F25)', async () => {
    const s = new RawSession(relay.url, 'fleetrelay.local', Number.MAX_SAFE_INTEGER - 10);
    await s.login(device.deviceId, device.token);
    assert.match((await s.send(`<iq type='get' id='big'><ping xmlns='urn:xmpp:ping'/></iq>`)).text, /id='big'/);
    await s.send('', { attrs: "type='terminate'" });
  });
});

describe('BOSH capacity', () => {
  it('refuses new sessions past --max-sessions with a BOSH error and a log line, keeps serving the others, and makes room by ending sessions that have not authenticated', async () => {
    const relay = await startRelay({ args: ['--max-sessions', '2'] });
    try {
      const devices = ['CAP-1', 'CAP-2'].map((serial) => cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', serial, '--model', 'M']));
      const auth = (s: RawSession, d: { deviceId: string; token: string }) =>
        s.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${d.deviceId}\0${d.token}`).toString('base64')}</auth>`);
      const a = new RawSession(relay.url);
      const b = new RawSession(relay.url);
      await a.create();
      assert.match((await auth(a, devices[0]!)).text, /<success/);
      await b.create();
      assert.match((await auth(b, devices[1]!)).text, /<success/);
      const c = new RawSession(relay.url);
      const refused = await c.create();
      assert.equal(refused.status, 200);
      assert.equal(refused.body.attrs.type, 'terminate');
      assert.equal(refused.body.attrs.condition, 'undefined-condition');
      assert.ok(await waitForLog(relay, 'refusing new BOSH sessions'));
      await a.send('', { attrs: "type='terminate'" });
      const anonymous = new RawSession(relay.url);
      assert.ok((await anonymous.create()).body.attrs.sid, 'room again once a session ended');
      const next = new RawSession(relay.url);
      assert.ok((await next.create()).body.attrs.sid, 'at capacity, a session that has not authenticated makes room');
      assert.equal((await anonymous.send('')).body.attrs.type, 'terminate');
      assert.match((await auth(next, devices[0]!)).text, /<success/);
      // Why each ended, for operators: a's client terminate, the anonymous one evicted for room.
      const metrics = (await api(relay.url, '/metrics', { token: adminToken(relay.dataDir) })).text;
      assert.match(metrics, /^fleetrelay_bosh_sessions_ended_total\{why="client"\} 1$/m);
      assert.match(metrics, /^fleetrelay_bosh_sessions_ended_total\{why="policy-violation"\} 1$/m);
    } finally {
      await relay.stop();
    }
  });
});
