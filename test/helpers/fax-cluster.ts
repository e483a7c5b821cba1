/**
 * Fax relay nodes joined in memory for unit tests of seed 001 FIG. 3: a bus that keeps each
 * node's messages in order, node liveness moved by the test, fax lines that record what the
 * switchboard tells them, and switchboards wired to a roster and a bridge as main.ts does.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { NodeUnreachable, RemoteError, type Bus } from '../../src/bus/bus.js';
import { FrameType } from '../../src/protocol/fax/frames.js';
import { FaxBridge } from '../../src/services/fax/bridge.js';
import type { FaxLine, Relayed } from '../../src/services/fax/line.js';
import { FAX_USERS, RecordingLine } from './fax-line.js';
import { FaxRoster } from '../../src/services/fax/roster.js';
import { DEFAULT_FAX, FaxSwitchboard } from '../../src/services/fax/switchboard.js';
import { RateLimiter } from '../../src/services/kernel/rate-limit.js';
import { cryptoRandom } from '../../src/services/kernel/secrets.js';
import type { NodeEvents } from '../../src/sessions/nodes.js';
import { ManualClock } from './clock.js';

const json = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));

/**
 * Relay nodes joined in memory: every message goes through one queue, in the order sent (so in
 * order from one node to another, as on NATS), and bodies are copied through JSON. A dead node
 * neither gets nor sends anything; a request to it is never answered.
 */
export class FakeNet {
  readonly buses = new Map<string, FakeBus>();
  private queue: (() => void)[] = [];
  private pumping = false;
  /** Drops the bus messages it returns true for. */
  lose: (topic: string, body: any) => boolean = () => false;

  post(fn: () => void): void {
    this.queue.push(fn);
    if (!this.pumping) {
      this.pumping = true;
      setImmediate(() => this.pump());
    }
  }

  private pump(): void {
    while (this.queue.length) this.queue.shift()!();
    this.pumping = false;
  }

  /** Until nothing is in flight (answers of requests come a few promise turns later). */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((r) => setImmediate(r));
      quiet = this.queue.length || this.pumping ? 0 : quiet + 1;
    }
  }
}

export class FakeBus implements Bus {
  readonly handlers = new Map<string, (body: unknown) => unknown>();
  readonly listeners = new Map<string, ((body: unknown, from: string) => void)[]>();
  dead = false;

  constructor(
    readonly node: string,
    private readonly net: FakeNet,
  ) {
    net.buses.set(node, this);
  }

  request(node: string, topic: string, body: unknown): Promise<unknown> {
    const to = this.net.buses.get(node);
    if (!to || to.dead || !to.handlers.has(topic)) return Promise.reject(new NodeUnreachable(node));
    return new Promise((resolve, reject) =>
      this.net.post(() => {
        if (to.dead || this.dead) return;
        let answer: unknown;
        try {
          answer = to.handlers.get(topic)!(json(body));
        } catch (err) {
          return this.net.post(() => reject(new RemoteError((err as Error).message)));
        }
        void Promise.resolve(answer).then((v) => this.net.post(() => to.dead || this.dead || resolve(json(v))));
      }),
    );
  }

  tell(node: string, topic: string, body: unknown): void {
    if (this.net.lose(topic, body)) return;
    this.net.post(() => {
      const to = this.net.buses.get(node);
      if (!this.dead && to && !to.dead) to.handlers.get(topic)?.(json(body));
    });
  }

  serve(topic: string, handler: (body: unknown) => unknown): void {
    this.handlers.set(topic, handler);
  }

  broadcast(topic: string, body: unknown): void {
    for (const to of this.net.buses.values())
      if (to !== this) this.net.post(() => this.dead || to.dead || to.listeners.get(topic)?.forEach((fn) => fn(json(body), this.node)));
  }

  onBroadcast(topic: string, fn: (body: unknown, from: string) => void): void {
    this.listeners.set(topic, [...(this.listeners.get(topic) ?? []), fn]);
  }

  lead(_: string, onChange: (leading: boolean) => void): void {
    onChange(true);
  }

  async close(): Promise<void> {}
}

/** The nodes a node sees alive, moved by the test instead of heartbeats. */
export class FakeNodes extends EventEmitter<NodeEvents> {
  private readonly up = new Set<string>();
  isUp(node: string): boolean {
    return this.up.has(node);
  }
  bring(node: string): void {
    this.up.add(node);
    this.emit('up', node);
  }
  drop(node: string): void {
    this.up.delete(node);
    this.emit('down', node);
  }
}

/** A fax machine's connection as the switchboard sees it; its socket buffer takes `room` bytes before it is full. */
export class Line extends RecordingLine {
  got: { type: number; bytes: Buffer }[] = [];
  paused = false;
  room = Infinity;
  private buffered = 0;
  private drains: (() => void)[] = [];
  onClose: () => void = () => {};

  relayData(d: Relayed): boolean {
    return this.take(FrameType.DATA, d);
  }
  terminated(d: Relayed | null): boolean {
    if (d) return this.take(FrameType.TERMINATE, d);
    this.sent.push({ type: FrameType.TERMINATE });
    return true;
  }
  private take(type: number, d: Relayed): boolean {
    this.got.push({ type, bytes: Buffer.concat(d.parts ?? [], d.length) });
    this.buffered += d.length;
    return this.buffered <= this.room;
  }
  /** The machine reads what was written to it. */
  drain(): void {
    this.buffered = 0;
    for (const fn of this.drains.splice(0)) fn();
  }
  pauseReading(): void {
    this.paused = true;
  }
  resumeReading(): void {
    this.paused = false;
  }
  onceDrained(fn: () => void): void {
    this.drains.push(fn);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
  lastOf(type: number): { type: number; body?: any } | undefined {
    return this.sent.filter((f) => f.type === type).at(-1);
  }
}

export interface Node {
  name: string;
  bus: FakeBus;
  nodes: FakeNodes;
  board: FaxSwitchboard;
  bridge: FaxBridge;
}
export interface Fax {
  line: FaxLine;
  io: Line;
  node: Node;
}

export function cluster(names: string[]) {
  const clock = new ManualClock();
  const net = new FakeNet();
  const users = FAX_USERS;
  const limiter = (): RateLimiter => new RateLimiter(clock, 3, 60_000);
  const make = (name: string): Node => {
    const bus = new FakeBus(name, net);
    const nodes = new FakeNodes();
    const board = new FaxSwitchboard(users, clock, cryptoRandom(), DEFAULT_FAX, { perUser: limiter(), perAddress: limiter() });
    const roster = new FaxRoster(bus, nodes, clock);
    const bridge = new FaxBridge(board, roster, bus, nodes);
    roster.start();
    return { name, bus, nodes, board, bridge };
  };
  const all: Node[] = [];
  /** A node that starts: it and the others see each other come up. */
  const add = (name: string): Node => {
    const n = make(name);
    for (const m of all) {
      m.nodes.bring(name);
      n.nodes.bring(m.name);
    }
    all.push(n);
    return n;
  };
  for (const name of names) add(name);
  /** Lets the roster's batched news out and every message through. */
  const settle = async (): Promise<void> => {
    await net.settle();
    clock.advance(50);
    await net.settle();
  };
  const login = async (node: Node, user: string): Promise<Fax> => {
    const io = new Line();
    const line = node.board.open(io)!;
    io.onClose = () => node.board.closed(line);
    await node.board.login(line, user, 'right');
    assert.equal(io.last().body.ok, true);
    return { line, io, node };
  };
  /** `caller` calls `to`, whose line `callee` accepts. */
  const pair = async (caller: Fax, callee: Fax): Promise<string> => {
    caller.node.board.connect(caller.line, callee.line.userId);
    await settle();
    const inc = callee.io.last();
    assert.equal(inc.type, FrameType.INCOMING);
    callee.node.board.answer(callee.line, true, inc.body.callId);
    await settle();
    assert.deepEqual(caller.io.last().body, { ok: true, callId: inc.body.callId, peer: callee.line.userId });
    return inc.body.callId;
  };
  const list = (f: Fax): string[] => {
    f.node.board.list(f.line);
    return f.io.last().body.users;
  };
  return { clock, net, nodes: all, add, settle, login, pair, list };
}

export const relayed = (b: Buffer): Relayed => ({ length: b.length, parts: [b] });
