import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ManualClock } from '../helpers/clock.js';
import { FrameType } from '../../src/protocol/fax/frames.js';
import { DEFAULT_FAX, FaxSwitchboard } from '../../src/services/fax/switchboard.js';
import type { FaxLine, Relayed } from '../../src/services/fax/line.js';
import { FAX_USERS, RecordingLine } from '../helpers/fax-line.js';
import { RateLimiter } from '../../src/services/kernel/rate-limit.js';
import { cryptoRandom } from '../../src/services/kernel/secrets.js';
import { controlFrame, dataFrame, FrameReader, type FrameProblem } from '../../src/protocol/fax/frames.js';

describe('fax frame reader', () => {
  it('reads the same frames however the bytes are split', () => {
    const frames = [controlFrame(FrameType.LOGIN, { user: 'a', password: 'b' }), controlFrame(FrameType.HOLD), dataFrame(FrameType.DATA, randomBytes(3000)), dataFrame(FrameType.DATA, Buffer.alloc(0))];
    const wire = Buffer.concat(frames);
    for (let cut = 1; cut < 40; cut++) {
      const got: Buffer[] = [];
      const r = new FrameReader(1 << 20, (type, parts, length) => got.push(dataFrame(type, Buffer.concat(parts, length))), (p) => assert.fail(p.message));
      for (let off = 0; off < wire.length; off += cut) r.push(wire.subarray(off, off + cut));
      assert.deepEqual(got, frames, `split every ${cut} bytes`);
    }
  });

  it('reports a zero length and goes on; reports an oversize length and stops', () => {
    const problems: FrameProblem[] = [];
    const types: number[] = [];
    const r = new FrameReader(1024, (t) => types.push(t), (p) => problems.push(p));
    const big = Buffer.alloc(5);
    big.writeUInt32BE(1025, 0);
    r.push(Buffer.concat([Buffer.from([0, 0, 0, 0]), controlFrame(FrameType.HOLD), big, controlFrame(FrameType.LIST)]));
    assert.deepEqual(problems.map((p) => [p.code, p.fatal]), [['bad-frame', false], ['too-large', true]]);
    assert.deepEqual(types, [FrameType.HOLD], 'nothing after the oversize frame is read');
  });
});

/** A connection that records what the switchboard says to it, as the frame type and body the fax port would write. */
class FakeLine extends RecordingLine {
  relayed: number[] = [];
  relayData(): boolean {
    this.relayed.push(FrameType.DATA);
    return true;
  }
  terminated(data: Relayed | null): boolean {
    if (data) this.relayed.push(FrameType.TERMINATE);
    else this.sent.push({ type: FrameType.TERMINATE });
    return true;
  }
  pauseReading(): void {}
  resumeReading(): void {}
  onceDrained(): void {}
  close(): void {
    this.closed = true;
  }
}

function board(clock: ManualClock): FaxSwitchboard {
  const users = FAX_USERS;
  const limiter = (): RateLimiter => new RateLimiter(clock, 3, 60_000);
  return new FaxSwitchboard(users, clock, cryptoRandom(), DEFAULT_FAX, { perUser: limiter(), perAddress: limiter() });
}

async function loggedIn(b: FaxSwitchboard, user: string): Promise<{ line: FaxLine; io: FakeLine }> {
  const io = new FakeLine();
  const line = b.open(io)!;
  await b.login(line, user, 'right');
  assert.equal(io.last().body && (io.last().body as any).ok, true);
  return { line, io };
}

describe('fax switchboard on an injected clock', () => {
  it('a call the callee does not answer fails with timeout after 35 s, not before', async () => {
    const clock = new ManualClock();
    const b = board(clock);
    const a = await loggedIn(b, 'alice');
    const c = await loggedIn(b, 'carol');
    b.connect(a.line, 'carol');
    assert.equal(c.io.last().type, FrameType.INCOMING);
    clock.advance(34_999);
    assert.equal(a.line.state, 'dialling');
    clock.advance(1);
    assert.deepEqual([a.io.last().type, a.io.last().body.reason], [FrameType.CONNECT_RESULT, 'timeout']);
    assert.deepEqual([a.line.state, c.line.state], ['vacant', 'vacant']);
  });

  it('after a TERMINATE, a side that never releases is released by the relay after 30 s', async () => {
    const clock = new ManualClock();
    const b = board(clock);
    const a = await loggedIn(b, 'alice');
    const c = await loggedIn(b, 'carol');
    b.connect(a.line, 'carol');
    b.answer(c.line, true, undefined);
    b.terminate(a.line, { length: 0 });
    assert.deepEqual(c.io.relayed, [FrameType.TERMINATE]);
    b.release(a.line);
    assert.deepEqual([a.line.state, c.line.state], ['vacant', 'paired']);
    clock.advance(29_000);
    assert.equal(c.line.state, 'paired');
    clock.advance(1_000);
    assert.equal(c.line.state, 'vacant');
    // Vacant again: it can be called.
    b.connect(a.line, 'carol');
    assert.equal(c.io.last().type, FrameType.INCOMING);
  });

  it('accounts do not see each other; a wrong password closes; failures are throttled per user', async () => {
    const clock = new ManualClock();
    const b = board(clock);
    const a = await loggedIn(b, 'alice');
    await loggedIn(b, 'other');
    b.list(a.line);
    assert.deepEqual(a.io.last().body, { users: ['alice'] });
    b.connect(a.line, 'other');
    assert.equal(a.io.last().body.reason, 'not-logged-in');
    for (let i = 0; i < 4; i++) {
      const io = new FakeLine();
      await b.login(b.open(io)!, 'mallory', 'wrong');
      assert.equal(io.closed, true);
      assert.equal(io.last().body && (io.last().body as any).reason, i < 3 ? 'bad-credentials' : 'throttled');
    }
    clock.advance(60_000);
    const io = new FakeLine();
    await b.login(b.open(io)!, 'mallory', 'right');
    assert.equal((io.last().body as any).ok, true, 'the window passed');
  });

  it('closes lines that never log in or fall silent', async () => {
    const clock = new ManualClock();
    const b = board(clock);
    b.start();
    const idle = new FakeLine();
    b.open(idle);
    const a = await loggedIn(b, 'alice');
    clock.advance(DEFAULT_FAX.loginTimeoutMs + 16_000);
    assert.equal(idle.closed, true);
    assert.equal(a.io.closed, false);
    clock.advance(DEFAULT_FAX.holdIntervalMs * DEFAULT_FAX.silenceFactor);
    assert.equal(a.io.closed, true);
    b.stop();
  });
});

describe('fax connections before login', () => {
  it('are closed at the login deadline, not before', async () => {
    const clock = new ManualClock();
    const b = board(clock);
    const io = new FakeLine();
    b.open(io);
    clock.advance(DEFAULT_FAX.loginTimeoutMs - 1);
    assert.equal(io.closed, false);
    clock.advance(1);
    assert.equal(io.closed, true);
  });

  it('are capped per address and in all; a login or a close makes room again', async () => {
    const clock = new ManualClock();
    const b = board(clock);
    const perAddress = DEFAULT_FAX.maxWaitingLoginsPerAddress;
    const mine = Array.from({ length: perAddress }, () => b.open(new FakeLine('198.51.100.7')));
    assert.ok(mine.every((l) => l !== null));
    assert.equal(b.open(new FakeLine('198.51.100.7')), null, 'one address may not hold more');
    assert.notEqual(b.open(new FakeLine('198.51.100.8')), null, 'another address may');
    await b.login(mine[0]!, 'alice', 'right');
    b.closed(mine[1]!);
    assert.notEqual(b.open(new FakeLine('198.51.100.7')), null);
    assert.notEqual(b.open(new FakeLine('198.51.100.7')), null);
    assert.equal(b.open(new FakeLine('198.51.100.7')), null);

    const waitingNow = perAddress + 1;
    let more = 0;
    while (more < 2 * DEFAULT_FAX.maxWaitingLogins && b.open(new FakeLine(`203.0.113.${more % 250}`))) more++;
    assert.equal(waitingNow + more, DEFAULT_FAX.maxWaitingLogins, 'the relay-wide cap, whatever the addresses');
  });
});
