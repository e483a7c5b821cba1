import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { FrameType } from '../../src/protocol/fax/frames.js';
import { PIECE, WINDOW } from '../../src/services/fax/bridge.js';
import { DEFAULT_FAX } from '../../src/services/fax/switchboard.js';
import { cluster, relayed, type Node } from '../helpers/fax-cluster.js';

describe('fax across relay nodes (seed 001 FIG. 3)', () => {
  it('lists users logged in on other nodes, of the caller’s account only; a node that joins late learns them; a lost node’s users vanish', async () => {
    const c = cluster(['a', 'b']);
    const [a, b] = c.nodes as [Node, Node];
    const alice = await c.login(a, 'alice');
    const bob1 = await c.login(b, 'bob');
    const bob2 = await c.login(b, 'bob');
    const other = await c.login(b, 'other');
    await c.settle();
    assert.deepEqual(c.list(alice), ['alice', 'bob']);
    assert.deepEqual(c.list(other), ['other'], 'another account’s users are not listed');
    assert.equal(a.board.connectionsOf('bob'), 2, 'connections on every node');

    bob1.io.close();
    await c.settle();
    assert.deepEqual(c.list(alice), ['alice', 'bob'], 'bob still holds a connection');
    bob2.io.close();
    await c.settle();
    assert.deepEqual(c.list(alice), ['alice']);

    await c.login(b, 'bob');
    const late = c.add('c');
    const carol = await c.login(late, 'carol');
    await c.settle();
    assert.deepEqual(c.list(alice), ['alice', 'bob', 'carol']);
    assert.deepEqual(c.list(carol), ['alice', 'bob', 'carol'], 'a node that starts late is told the whole lists');
    a.nodes.drop('b');
    assert.deepEqual(c.list(alice), ['alice', 'carol'], 'the users of a node that is down are forgotten');
    assert.equal(a.board.connectionsOf('bob'), 0);
    a.nodes.bring('b'); // it is back: asked for its whole list
    await c.settle();
    assert.deepEqual(c.list(alice), ['alice', 'bob', 'carol']);
  });

  it('calls a user on another node: INCOMING there, CONNECT_RESULT here on ACCEPT; the call is counted once', async () => {
    const c = cluster(['a', 'b']);
    const [a, b] = c.nodes as [Node, Node];
    const alice = await c.login(a, 'alice');
    const bob = await c.login(b, 'bob');
    await c.settle();
    a.board.connect(alice.line, 'Bob');
    await c.settle();
    const inc = bob.io.last();
    assert.equal(inc.type, FrameType.INCOMING);
    assert.equal(inc.body.from, 'alice');
    assert.match(inc.body.callId, /^c[0-9a-z]+$/);
    assert.deepEqual([alice.line.state, bob.line.state], ['dialling', 'notified']);
    b.board.answer(bob.line, true, undefined);
    await c.settle();
    assert.deepEqual(alice.io.last().body, { ok: true, callId: inc.body.callId, peer: 'bob' });
    assert.deepEqual([alice.line.state, bob.line.state], ['paired', 'paired']);
    assert.deepEqual(a.board.snapshot().find((l) => l.user === 'alice')!.peer, { user: 'bob', connectionId: bob.line.id, node: 'b' });
    assert.deepEqual(b.board.snapshot().find((l) => l.user === 'bob')!.peer, { user: 'alice', connectionId: alice.line.id, node: 'a' });
    assert.equal(a.board.calls + b.board.calls, 1);

    // A second call to bob's second line has its own call ID.
    const bob2 = await c.login(b, 'bob');
    const carol = await c.login(a, 'carol');
    await c.settle();
    assert.notEqual(await c.pair(carol, bob2), inc.body.callId);
    assert.equal(a.board.calls + b.board.calls, 2);
  });

  it('a demand to another node fails as a local one would: rejected, timeout, busy, not logged in, caller gone', async () => {
    const c = cluster(['a', 'b']);
    const [a, b] = c.nodes as [Node, Node];
    const alice = await c.login(a, 'alice');
    const erin = await c.login(a, 'erin');
    const bob = await c.login(b, 'bob');
    await c.login(b, 'other');
    await c.settle();

    a.board.connect(alice.line, 'bob');
    await c.settle();
    b.board.answer(bob.line, false, bob.io.last().body.callId, 'no paper');
    await c.settle();
    assert.deepEqual([alice.io.last().body.reason, alice.io.last().body.message], ['rejected', 'rejected: no paper']);
    assert.deepEqual([alice.line.state, bob.line.state], ['vacant', 'vacant']);

    a.board.connect(alice.line, 'bob');
    await c.net.settle(); // (the clock stands still)
    a.board.connect(erin.line, 'bob'); // bob's only line is notified: busy
    await c.net.settle();
    assert.deepEqual(erin.io.last().body, { ok: false, reason: 'busy', message: 'bob has no vacant connection' }, 'no call was made: no call ID');
    c.clock.advance(DEFAULT_FAX.callTimeoutMs - 1);
    await c.net.settle();
    assert.equal(alice.line.state, 'dialling');
    c.clock.advance(1);
    await c.net.settle();
    assert.deepEqual([alice.io.last().body.reason, alice.line.state, bob.line.state], ['timeout', 'vacant', 'vacant']);

    a.board.connect(alice.line, 'other');
    assert.equal(alice.io.last().body.reason, 'not-logged-in', 'a user of another account on another node is not revealed');
    a.board.connect(alice.line, 'nobody');
    assert.equal(alice.io.last().body.reason, 'not-logged-in');

    // The caller leaves while the callee rings: the callee is vacant again, and its late ACCEPT is refused.
    a.board.connect(alice.line, 'bob');
    await c.settle();
    const callId = bob.io.last().body.callId;
    alice.io.close();
    await c.settle();
    assert.equal(bob.line.state, 'vacant');
    b.board.answer(bob.line, true, callId);
    assert.equal(bob.io.last().body.code, 'not-paired');
    assert.equal(a.bridge.size + b.bridge.size, 0, 'nothing is left of the calls');
  });

  it('DATA crosses in order both ways, frames whole; a slow receiving line pauses the sender once about 1 MiB is unacknowledged', async () => {
    const c = cluster(['a', 'b']);
    const [a, b] = c.nodes as [Node, Node];
    const alice = await c.login(a, 'alice');
    const bob = await c.login(b, 'bob');
    await c.settle();
    await c.pair(alice, bob);

    bob.io.room = 0; // bob's machine reads nothing for now
    const frames = [randomBytes(PIECE * 2 + 17), ...Array.from({ length: 40 }, (_, i) => randomBytes(50_000 + i))];
    let next = 0;
    const sendWhileReading = async (): Promise<void> => {
      while (next < frames.length && !alice.io.paused) {
        a.board.data(alice.line, relayed(frames[next++]!));
        await c.net.settle();
      }
    };
    await sendWhileReading();
    assert.equal(alice.io.paused, true, 'the sender is paused');
    const out = frames.slice(0, next).reduce((n, f) => n + f.length, 0);
    assert.ok(out > WINDOW && out <= WINDOW + 50_100, `paused once over the window (${out} bytes out)`);
    await c.settle();
    assert.equal(alice.io.paused, true, 'and stays paused while the receiver does not read');
    assert.equal(bob.io.got.length, next, 'what was sent was written');

    while (next < frames.length) {
      bob.io.drain();
      await c.settle();
      assert.equal(alice.io.paused, false, 'a drained receiver lets the sender read again');
      await sendWhileReading();
    }
    bob.io.room = Infinity;
    bob.io.drain();
    await c.settle();
    assert.deepEqual(bob.io.got.map((g) => g.bytes), frames, 'every frame whole, in order');

    const back = [Buffer.from('confirmed'), randomBytes(PIECE + 1), Buffer.alloc(0)];
    for (const f of back) b.board.data(bob.line, relayed(f));
    await c.settle();
    assert.deepEqual(alice.io.got.map((g) => [g.type, g.bytes]), back.map((f) => [FrameType.DATA, f]));

    const total = frames.reduce((n, f) => n + f.length, 0);
    const backTotal = back.reduce((n, f) => n + f.length, 0);
    assert.deepEqual([a.board.bytesRelayed, b.board.bytesRelayed], [total, backTotal], 'bytes are counted once, by the node that read them');
    const mine = a.board.snapshot().find((l) => l.user === 'alice')!;
    assert.deepEqual([mine.bytesIn, mine.bytesOut], [total, backTotal]);
  });

  it('TERMINATE and RELEASE cross both ways by the rules of one node; a dropped line sends its peer a TERMINATE', async () => {
    const c = cluster(['a', 'b']);
    const [a, b] = c.nodes as [Node, Node];
    const alice = await c.login(a, 'alice');
    const bob = await c.login(b, 'bob');
    await c.settle();

    // (19)–(21): TERMINATE with its payload passes; each side releases.
    await c.pair(alice, bob);
    a.board.terminate(alice.line, relayed(Buffer.from('bye')));
    await c.settle();
    assert.deepEqual(bob.io.got.map((g) => [g.type, g.bytes.toString()]), [[FrameType.TERMINATE, 'bye']]);
    a.board.release(alice.line);
    await c.settle();
    assert.deepEqual([alice.line.state, bob.line.state], ['vacant', 'paired'], 'bob owes his RELEASE');
    assert.equal(bob.io.lastOf(FrameType.TERMINATE), undefined, 'no second TERMINATE');
    b.board.release(bob.line);
    assert.equal(bob.line.state, 'vacant');

    // RELEASE without TERMINATE: the peer gets one the relay makes.
    await c.pair(alice, bob);
    b.board.release(bob.line);
    await c.settle();
    assert.deepEqual(alice.io.last(), { type: FrameType.TERMINATE });
    a.board.release(alice.line);
    assert.equal(alice.line.state, 'vacant');

    // A side that never releases is released by its own node's timer.
    await c.pair(bob, alice);
    b.board.terminate(bob.line, relayed(Buffer.alloc(0)));
    b.board.release(bob.line);
    await c.settle();
    assert.equal(alice.line.state, 'paired');
    c.clock.advance(DEFAULT_FAX.releaseTimeoutMs);
    assert.equal(alice.line.state, 'vacant');

    // A line that drops: its peer on the other node gets a TERMINATE.
    await c.pair(alice, bob);
    bob.io.close();
    await c.settle();
    assert.deepEqual(alice.io.last(), { type: FrameType.TERMINATE });
    a.board.data(alice.line, relayed(Buffer.from('late')));
    assert.equal(alice.io.last().body.code, 'not-paired');
    a.board.release(alice.line);
    assert.equal(alice.line.state, 'vacant');
    await c.settle();
    assert.equal(a.bridge.size + b.bridge.size, 0);
  });

  it('a lost node ends its calls here with a TERMINATE made by the relay, and fails a demand waiting on it', async () => {
    const c = cluster(['a', 'b']);
    const [a, b] = c.nodes as [Node, Node];
    const alice = await c.login(a, 'alice');
    const carol = await c.login(a, 'carol');
    const bob = await c.login(b, 'bob');
    await c.login(b, 'erin');
    const gina = await c.login(b, 'gina');
    const hank = await c.login(a, 'hank');
    await c.settle();
    await c.pair(alice, bob);
    a.board.connect(carol.line, 'erin'); // rings on b
    b.board.connect(gina.line, 'hank'); // rings on a
    await c.settle();

    b.bus.dead = true; // kill -9
    a.nodes.drop('b');
    assert.deepEqual(alice.io.last(), { type: FrameType.TERMINATE });
    const failed = carol.io.last().body;
    assert.deepEqual([failed.ok, failed.reason], [false, 'rejected']);
    assert.match(failed.message, /relay node holding erin's connection \(b\) was lost/);
    assert.equal(hank.line.state, 'vacant', 'a call from the lost node stops ringing');
    a.board.release(alice.line);
    assert.deepEqual([alice.line.state, carol.line.state], ['vacant', 'vacant']);
    assert.deepEqual(c.list(alice), ['alice', 'carol', 'hank']);
    assert.equal(a.bridge.size, 0);
  });

  it('a message lost on the bus ends the call on both sides rather than passing a frame out of order', async () => {
    const c = cluster(['a', 'b']);
    const [a] = c.nodes as [Node, Node];
    const alice = await c.login(a, 'alice');
    const bob = await c.login(c.nodes[1]!, 'bob');
    await c.settle();
    await c.pair(alice, bob);
    let lost = false;
    c.net.lose = (topic, m) => topic === 'fax.bridge' && m.s === 1 && !lost && (lost = true);
    for (const s of ['one', 'two', 'three']) a.board.data(alice.line, relayed(Buffer.from(s)));
    await c.settle();
    assert.deepEqual(bob.io.got.map((g) => g.bytes.toString()), ['one']);
    assert.deepEqual([alice.io.last(), bob.io.last()], [{ type: FrameType.TERMINATE }, { type: FrameType.TERMINATE }]);
  });

  it('LOGOUT on one node closes the user’s connections on the others', async () => {
    const c = cluster(['a', 'b']);
    const [a, b] = c.nodes as [Node, Node];
    const here = await c.login(a, 'alice');
    const there = await c.login(b, 'alice');
    await c.settle();
    a.board.logout(here.line);
    await c.settle();
    assert.deepEqual([here.io.closed, there.io.closed], [true, true]);
  });

  it('alone (no other node), a demand for a user not logged in here fails at once as before', async () => {
    const c = cluster(['a']);
    const alice = await c.login(c.nodes[0]!, 'alice');
    c.nodes[0]!.board.connect(alice.line, 'bob');
    assert.deepEqual([alice.io.last().body.reason, alice.line.state], ['not-logged-in', 'vacant']);
  });
});
