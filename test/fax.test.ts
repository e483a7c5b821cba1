import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { frame, pair, RawFax, T } from './helpers/fax.js';
import { api, adminToken, cli, cliJson, startRelay, until, waitForLog, type RelayProcess } from './helpers/relay.js';

const PW = 'fax-secret-1';

describe('fax relay (seed 001 FIG. 2) over real sockets', () => {
  let relay: RelayProcess;
  let admin: string;
  const open: RawFax[] = [];
  const login = async (user: string): Promise<RawFax> => {
    const f = await RawFax.login(relay.faxPort, user, PW);
    open.push(f);
    return f;
  };
  const connect = async (): Promise<RawFax> => {
    const f = await RawFax.connect(relay.faxPort);
    open.push(f);
    return f;
  };

  before(async () => {
    relay = await startRelay({ args: ['--fax-hold-interval', '5', '--fax-call-timeout', '1'], env: { FLEETRELAY_AUTH_FAILURES_PER_MINUTE: '4' } });
    admin = adminToken(relay.dataDir);
    cliJson(relay.dataDir, ['account', 'add', 'other']);
    for (const u of ['alice', 'bob', 'carol', 'erin', 'frank', 'gina', 'hank', 'ivan'])
      cliJson(relay.dataDir, ['fax', 'user', 'add', u, '--password', PW]);
    cliJson(relay.dataDir, ['fax', 'user', 'add', 'dave', '--password', PW, '--account', 'other']);
  });
  // Each test starts with no fax connections open, so a call reaches the connection it means.
  afterEach(async () => {
    for (const f of open.splice(0)) f.end();
    await until('every fax connection closed', async () => ((await api(relay.url, '/api/v1/fax/connections', { token: admin })).body.items.length === 0 ? true : undefined));
  });
  after(async () => {
    await relay.stop();
  });

  it('(1)–(5): logs in with user ID and password, answers HOLD; refuses wrong or unknown credentials and closes', async () => {
    const f = await connect();
    f.send(T.LOGIN, { user: 'alice', password: PW });
    const ok = (await f.next(T.LOGIN_RESULT)).body;
    assert.equal(ok.ok, true);
    assert.equal(ok.holdIntervalSec, 5);
    f.send(T.HOLD);
    await f.next(T.HOLD_ACK);

    for (const [user, password] of [['alice', 'wrong-password'], ['nobody', PW]]) {
      const bad = await connect();
      bad.send(T.LOGIN, { user, password });
      const r = (await bad.next(T.LOGIN_RESULT)).body;
      assert.deepEqual([r.ok, r.reason], [false, 'bad-credentials']);
      await bad.whenClosed();
    }
  });

  it('throttles repeated login failures, even with the right password then', async () => {
    for (let i = 0; i < 4; i++) {
      const bad = await connect();
      bad.send(T.LOGIN, { user: 'ivan', password: 'not-it-at-all' });
      await bad.next(T.LOGIN_RESULT);
      await bad.whenClosed();
    }
    const f = await connect();
    f.send(T.LOGIN, { user: 'ivan', password: PW });
    assert.deepEqual((await f.next(T.LOGIN_RESULT)).body, { ok: false, reason: 'throttled' });
    await f.whenClosed();
  });

  it('LIST shows the logged-in users of the same account only', async () => {
    const a = await login('alice');
    const d = await login('dave');
    await login('bob');
    a.send(T.LIST);
    const users = (await a.next(T.LIST_RESULT)).body.users as string[];
    assert.ok(users.includes('alice') && users.includes('bob'));
    assert.ok(!users.includes('dave'), 'another account’s fax user is not listed');
    d.send(T.LIST);
    assert.deepEqual((await d.next(T.LIST_RESULT)).body.users, ['dave']);
  });

  it('(6)–(9): a demand is notified on a vacant connection of the callee; accept pairs both and tells the caller', async () => {
    const caller = await login('erin');
    const callee = await login('frank');
    caller.send(T.CONNECT, { to: 'frank' });
    const inc = (await callee.next(T.INCOMING)).body;
    assert.equal(inc.from, 'erin');
    assert.match(inc.callId, /^c[0-9a-z]+$/);
    callee.send(T.ACCEPT); // no callId: answers the pending INCOMING
    const r = (await caller.next(T.CONNECT_RESULT)).body;
    assert.deepEqual(r, { ok: true, callId: inc.callId, peer: 'frank' });

    // (15)–(18): DATA both ways, unchanged and in order.
    const pieces = [randomBytes(10), randomBytes(70_000), Buffer.from('ok')];
    for (const p of pieces) caller.send(T.DATA, p);
    for (const p of pieces) assert.deepEqual((await callee.next(T.DATA)).payload, p);
    callee.send(T.DATA, Buffer.from('confirmed'));
    assert.equal((await caller.next(T.DATA)).payload.toString(), 'confirmed');

    const conns = await api(relay.url, '/api/v1/fax/connections', { token: admin });
    const mine = conns.body.items.find((l: any) => l.user === 'erin');
    assert.equal(mine.state, 'paired');
    assert.equal(mine.peer.user, 'frank');
    assert.equal(mine.bytesIn, 10 + 70_000 + 2);
    assert.equal(mine.bytesOut, 9);

    // (19)–(21): TERMINATE passes to the peer; RELEASE makes both vacant; they can be called again.
    caller.send(T.TERMINATE);
    await callee.next(T.TERMINATE);
    caller.send(T.RELEASE);
    callee.send(T.RELEASE);
    await callee.quiet(100);
    const again = await pair(caller, callee, 'frank');
    assert.notEqual(again, inc.callId);
    // RELEASE without a TERMINATE first: the peer is told.
    callee.send(T.RELEASE);
    await caller.next(T.TERMINATE);
    caller.send(T.RELEASE);
    caller.send(T.DATA, Buffer.from('late'));
    assert.equal((await caller.next(T.ERROR)).body.code, 'not-paired');
  });

  it('refuses demands: not logged in, another account, oneself, busy, rejected, timeout', async () => {
    const a = await login('gina');
    const expectFail = async (to: string, reason: string): Promise<void> => {
      a.send(T.CONNECT, { to });
      const r = (await a.next(T.CONNECT_RESULT)).body;
      assert.equal(r.ok, false, JSON.stringify(r));
      assert.equal(r.reason, reason, JSON.stringify(r));
    };
    await expectFail('nobody-here', 'not-logged-in');
    await login('dave');
    await expectFail('dave', 'not-logged-in');
    await expectFail('gina', 'self');

    const h1 = await login('hank');
    const other = await login('carol');
    await pair(other, h1, 'hank');
    await expectFail('hank', 'busy'); // its only connection is paired

    const h2 = await login('hank');
    a.send(T.CONNECT, { to: 'hank' });
    const inc = await h2.next(T.INCOMING);
    // While h2 is notified it is not vacant either.
    const third = await login('alice');
    third.send(T.CONNECT, { to: 'hank' });
    assert.equal((await third.next(T.CONNECT_RESULT)).body.reason, 'busy');
    h2.send(T.REJECT, { callId: inc.body.callId, reason: 'out of paper' });
    const rej = (await a.next(T.CONNECT_RESULT)).body;
    assert.deepEqual([rej.ok, rej.reason, rej.callId], [false, 'rejected', inc.body.callId]);
    assert.match(rej.message, /out of paper/);

    a.send(T.CONNECT, { to: 'hank' });
    const unanswered = await h2.next(T.INCOMING);
    const t = (await a.next(T.CONNECT_RESULT, 4000)).body;
    assert.deepEqual([t.ok, t.reason], [false, 'timeout']);
    h2.send(T.ACCEPT, { callId: unanswered.body.callId });
    assert.equal((await h2.next(T.ERROR)).body.code, 'not-paired', 'a late answer is refused');
  });

  it('(10)–(14): one user holds two calls at once on two connections', async () => {
    const b1 = await login('bob');
    const b2 = await login('bob');
    const x = await login('alice');
    const y = await login('carol');
    await pair(x, b1, 'bob');
    await pair(y, b2, 'bob');
    x.send(T.DATA, Buffer.from('from alice'));
    y.send(T.DATA, Buffer.from('from carol'));
    assert.equal((await b1.next(T.DATA)).payload.toString(), 'from alice');
    assert.equal((await b2.next(T.DATA)).payload.toString(), 'from carol');
    b2.send(T.DATA, Buffer.from('to carol'));
    assert.equal((await y.next(T.DATA)).payload.toString(), 'to carol');
    await x.quiet(100);
  });

  it('relays a multi-megabyte document with every byte intact, and a slow receiver slows the sender', async () => {
    const s = await login('erin');
    const r = await login('frank');
    await pair(s, r, 'frank');
    const doc = randomBytes(6 * 1024 * 1024 + 123);
    r.socket.pause(); // the receiver does not read for a while
    for (let off = 0; off < doc.length; off += 65_536) s.send(T.DATA, doc.subarray(off, off + 65_536));
    await new Promise((res) => setTimeout(res, 500));
    const before = (await api(relay.url, '/api/v1/fax/connections', { token: admin })).body.items.find((l: any) => l.connectionId && l.user === 'erin' && l.state === 'paired');
    assert.ok(before.bytesIn < doc.length, `the relay stopped reading the sender (${before.bytesIn} of ${doc.length} read)`);
    r.socket.resume();
    const got: Buffer[] = [];
    let n = 0;
    while (n < doc.length) {
      const f = await r.next(T.DATA, 10_000);
      got.push(f.payload);
      n += f.payload.length;
    }
    assert.equal(createHash('sha256').update(Buffer.concat(got)).digest('hex'), createHash('sha256').update(doc).digest('hex'));
  });

  it('an abrupt disconnect of either side ends the pairing and sends TERMINATE to the other', async () => {
    for (const [dropCaller, from, to] of [[true, 'gina', 'hank'], [false, 'erin', 'frank']] as const) {
      const c = await login(from);
      const d = await login(to);
      await pair(c, d, to);
      (dropCaller ? c : d).end();
      const survivor = dropCaller ? d : c;
      await survivor.next(T.TERMINATE);
      survivor.send(T.RELEASE);
      survivor.send(T.HOLD);
      await survivor.next(T.HOLD_ACK);
    }
    // A caller that drops while dialling frees the callee.
    const c = await login('alice');
    const d = await login('bob');
    c.send(T.CONNECT, { to: 'bob' });
    await d.next(T.INCOMING);
    c.end();
    await until('the callee is vacant again', async () => {
      const items = (await api(relay.url, '/api/v1/fax/connections', { token: admin })).body.items;
      return items.some((l: any) => l.user === 'bob' && l.state === 'vacant') ? true : undefined;
    });
  });

  it('(22)–(24): LOGOUT on any connection closes all of the user’s connections; their peers get TERMINATE', async () => {
    const c1 = await login('carol');
    const c2 = await login('carol');
    const peer = await login('alice');
    await pair(peer, c1, 'carol');
    c2.send(T.LOGOUT);
    await c1.whenClosed();
    await c2.whenClosed();
    await peer.next(T.TERMINATE);
    const users = (await api(relay.url, '/api/v1/fax/users/carol', { token: admin })).body;
    assert.equal(users.loggedIn, false);
  });

  it('bad input gets an ERROR frame or a close, never a crash', async () => {
    const f = await connect();
    f.send(T.HOLD);
    assert.equal((await f.next(T.ERROR)).body.code, 'not-logged-in');
    f.send(T.DATA, Buffer.from('x'));
    assert.equal((await f.next(T.ERROR)).body.code, 'not-logged-in');
    f.socket.write(Buffer.from([0, 0, 0, 0]));
    assert.equal((await f.next(T.ERROR)).body.code, 'bad-frame');
    f.send(0x55);
    assert.equal((await f.next(T.ERROR)).body.code, 'unknown-type');
    f.send(T.INCOMING, { from: 'x' });
    assert.equal((await f.next(T.ERROR)).body.code, 'unknown-type');
    f.socket.write(frame(T.LOGIN, Buffer.from('{"user": "alice", ')));
    assert.equal((await f.next(T.ERROR)).body.code, 'bad-json');
    f.send(T.LOGIN, Buffer.from('[1,2]'));
    assert.equal((await f.next(T.ERROR)).body.code, 'bad-json');
    f.send(T.LOGIN, { user: 'alice' });
    assert.equal((await f.next(T.ERROR)).body.code, 'bad-frame');
    // A zero-length payload is {}.
    f.send(T.LOGIN);
    assert.equal((await f.next(T.ERROR)).body.code, 'bad-frame');

    const g = await login('bob');
    g.send(T.DATA, Buffer.from('nobody to send to'));
    assert.equal((await g.next(T.ERROR)).body.code, 'not-paired');
    g.send(T.TERMINATE);
    assert.equal((await g.next(T.ERROR)).body.code, 'not-paired');
    g.send(T.CONNECT, {});
    assert.equal((await g.next(T.ERROR)).body.code, 'bad-frame');
    g.send(T.LOGIN, { user: 'bob', password: PW });
    assert.equal((await g.next(T.ERROR)).body.code, 'bad-frame');
    // Oversize: refused and closed without reading the rest.
    const big = Buffer.alloc(5);
    big.writeUInt32BE(64 * 1024 * 1024, 0);
    big[4] = T.DATA;
    g.socket.write(big);
    assert.equal((await g.next(T.ERROR)).body.code, 'too-large');
    await g.whenClosed();

    // A flood of control frames is throttled, then closed.
    const h = await login('bob');
    h.socket.write(Buffer.concat(Array.from({ length: 400 }, () => frame(T.HOLD))));
    await h.whenClosed();
    assert.ok(h.frames.some((x) => x.type === T.ERROR && x.body.code === 'throttled'));

    const health = await fetch(`${relay.url}/healthz`);
    assert.equal(health.status, 200);
    assert.ok(await waitForLog(relay, 'control-frame flood'));
  });

  it('fax users through the API: operators see their own account only; removal logs the user out', async () => {
    const other = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'other']).token;
    const created = await api(relay.url, '/api/v1/fax/users', { method: 'POST', token: other, json: { id: 'Jay', password: PW } });
    assert.equal(created.status, 400, 'user IDs are lowercase');
    const ok = await api(relay.url, '/api/v1/fax/users', { method: 'POST', token: other, json: { id: 'jay', password: PW, settings: { displayName: 'Front desk' } } });
    assert.equal(ok.status, 201);
    assert.deepEqual([ok.body.accountId, ok.body.settings.displayName, ok.body.loggedIn], ['other', 'Front desk', false]);
    assert.equal((await api(relay.url, '/api/v1/fax/users', { method: 'POST', token: other, json: { id: 'jay', password: PW } })).status, 409);
    assert.equal((await api(relay.url, '/api/v1/fax/users/alice', { token: other })).status, 404);
    const listed = (await api(relay.url, '/api/v1/fax/users', { token: other })).body.items.map((u: any) => u.id);
    assert.deepEqual(listed.sort(), ['dave', 'jay']);
    const j = await login('jay');
    const conns = (await api(relay.url, '/api/v1/fax/connections', { token: other })).body.items;
    assert.ok(conns.every((l: any) => l.accountId === 'other'));
    assert.ok(conns.some((l: any) => l.user === 'jay'));
    assert.equal((await api(relay.url, '/api/v1/fax/users/jay', { method: 'DELETE', token: other })).status, 204);
    await j.whenClosed();
    const again = await connect();
    again.send(T.LOGIN, { user: 'jay', password: PW });
    assert.equal((await again.next(T.LOGIN_RESULT)).body.ok, false);
    const audit = cli(relay.dataDir, ['fax', 'user', 'list', '--json']);
    assert.ok(!JSON.parse(audit.stdout).some((u: any) => u.id === 'jay'));
  });
});

describe('fax relay hold timer', () => {
  it('closes a connection silent for three hold intervals, and one that never logs in, but not one paused by back-pressure', async () => {
    const relay = await startRelay({ args: ['--fax-hold-interval', '1'] });
    try {
      cliJson(relay.dataDir, ['fax', 'user', 'add', 'quiet', '--password', PW]);
      cliJson(relay.dataDir, ['fax', 'user', 'add', 'chatty', '--password', PW]);
      const quiet = await RawFax.login(relay.faxPort, 'quiet', PW);
      const chatty = await RawFax.login(relay.faxPort, 'chatty', PW);
      const holds = setInterval(() => chatty.send(T.HOLD), 500);
      const t0 = Date.now();
      const silent = await RawFax.connect(relay.faxPort);
      await silent.whenClosed(8000);
      await quiet.whenClosed(8000);
      assert.ok(Date.now() - t0 >= 2500, 'not before three intervals');
      assert.equal(chatty.closed, false, 'a connection that holds stays');
      clearInterval(holds);
      chatty.end();

      // A sender the relay stopped reading (its receiver is slow) is not silent: it is waiting on the relay.
      cliJson(relay.dataDir, ['fax', 'user', 'add', 'slow', '--password', PW]);
      const sender = await RawFax.login(relay.faxPort, 'quiet', PW);
      const slow = await RawFax.login(relay.faxPort, 'slow', PW);
      await pair(sender, slow, 'slow');
      slow.socket.pause();
      const slowHolds = setInterval(() => slow.send(T.HOLD), 500);
      const total = 48 * 1024 * 1024;
      const chunk = Buffer.alloc(64 * 1024, 1);
      for (let n = 0; n < total; n += chunk.length) sender.send(T.DATA, chunk);
      await new Promise((r) => setTimeout(r, 4500));
      assert.equal(sender.closed, false, 'paused by back-pressure, the sender is not closed as silent');
      slow.socket.removeAllListeners('data');
      let got = 0;
      const all = new Promise<void>((resolve) =>
        slow.socket.on('data', (c: Buffer) => {
          got += c.length;
          if (got >= total) resolve();
        }),
      );
      slow.socket.resume();
      await Promise.race([all, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${got} of ${total} bytes arrived`)), 20_000))]);
      clearInterval(slowHolds);
      sender.end();
      slow.end();
    } finally {
      await relay.stop();
    }
  });
});
