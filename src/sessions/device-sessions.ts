import { BusTimeout, NodeUnreachable, type Bus } from '../bus/bus.js';
import type { DeviceMessage } from '../domain/messages.js';
import type { AnswerKind, AnswerKinds, Answers } from './answers.js';
import type { DeviceDirectory } from './directory.js';
import type { SessionHub } from './hub.js';
import type { ClusterNodes } from './nodes.js';
import type { PresenceService } from './presence.js';

/** Beyond the device's own bound, what a request to another node may take on the bus. */
const BUS_MARGIN_MS = 5_000;
const DELIVER_TIMEOUT_MS = 5_000;

/** The node holding the device's session was lost while a request waited for the device's answer. */
export class NodeLost extends Error {
  constructor(
    readonly deviceId: string,
    readonly node: string,
  ) {
    super(`the relay node holding ${deviceId}'s session (${node}) was lost while the request waited for its answer; the device reconnects to another node`);
  }
}

/** What HTTP routes need of presence: whether a device is ONLINE, and a request from it that resets its management timer. */
export interface DevicePresence {
  isOnline(deviceId: string): boolean;
  refresh(deviceId: string): void;
}

interface AskBody {
  deviceId: string;
  requestId: string;
  kind: AnswerKind;
  msg: DeviceMessage;
  timeoutMs: number;
  undelivered: AnswerKinds[AnswerKind];
}

/**
 * What services use of the session layer, cluster-wide: whether a device is online, a message
 * down its session, and a request that waits for the device's answer. A device whose session is
 * on another node is reached over the bus; when that node dies, what waits on it ends at once as
 * undelivered.
 */
export class DeviceSessions implements DevicePresence {
  /** Requests waiting on other nodes, by node: each ends as undelivered when its node dies. */
  private readonly waitingOn = new Map<string, Set<() => void>>();
  private readonly handlers = new Map<string, ((body: unknown) => void)[]>();

  constructor(
    readonly hub: SessionHub,
    readonly answers: Answers,
    readonly presence: PresenceService,
    readonly directory: DeviceDirectory,
    private readonly bus: Bus,
    nodes: ClusterNodes,
  ) {
    directory.on('taken', (deviceId) => hub.release(deviceId));
    nodes.on('down', (node) => {
      for (const end of this.waitingOn.get(node) ?? []) end();
    });
    bus.serve('deliver', (b) => {
      const { deviceId, msg } = b as { deviceId: string; msg: DeviceMessage };
      return hub.deliver(deviceId, msg);
    });
    bus.serve('ask', (b) => {
      const a = b as AskBody;
      return this.askHere(a.deviceId, a.requestId, a.kind, a.msg, a.timeoutMs, a.undelivered);
    });
    bus.serve('answer', (b) => {
      const a = b as { deviceId: string; requestId: string; kind: AnswerKind; answer: AnswerKinds[AnswerKind] };
      return answers.settle(a.deviceId, a.requestId, a.kind, a.answer);
    });
    bus.serve('refresh', (deviceId) => void presence.refresh(deviceId as string));
  }

  isOnline(deviceId: string): boolean {
    return this.directory.isOnline(deviceId);
  }

  /** A request from the device (survival notification, report, any device HTTP call) resets its management timer wherever its session is. */
  refresh(deviceId: string): void {
    const node = this.directory.nodeOf(deviceId);
    if (node === this.bus.node) this.presence.refresh(deviceId);
    else if (node !== null) this.bus.tell(node, 'refresh', deviceId);
  }

  /**
   * Calls `fn` whenever a device binds a session on this node, whether it was OFFLINE or still
   * ONLINE with an older session (which the new one replaces): whatever was sent down the old
   * session and not acted on must be sent again.
   */
  onSessionBound(fn: (deviceId: string) => void): void {
    this.hub.onBound(fn);
  }

  /** Runs `fn` on every node, this one first: for what each node keeps of its own (open downloads, long-polls). */
  everywhere(topic: string, body: unknown): void {
    for (const fn of this.handlers.get(topic) ?? []) fn(body);
    this.bus.broadcast(topic, body);
  }

  onEverywhere(topic: string, fn: (body: unknown) => void): void {
    const fns = this.handlers.get(topic);
    if (fns) return void fns.push(fn);
    this.handlers.set(topic, [fn]);
    this.bus.onBroadcast(topic, (body) => {
      for (const f of this.handlers.get(topic) ?? []) f(body);
    });
  }

  /** Requests waiting for an answer from one device, on this node. */
  load(deviceId: string): number {
    return this.answers.load(deviceId);
  }

  /** Hands a message to the device's session, wherever it is; false if it has none or it is full. */
  async deliver(deviceId: string, msg: DeviceMessage): Promise<boolean> {
    const node = this.directory.nodeOf(deviceId);
    if (node === this.bus.node) return this.hub.deliver(deviceId, msg);
    if (node === null) return false;
    try {
      return (await this.bus.request(node, 'deliver', { deviceId, msg }, DELIVER_TIMEOUT_MS)) === true;
    } catch {
      return false;
    }
  }

  /**
   * Sends a request down the device's session and waits for the answer with the same request
   * ID: null when none came within `timeoutMs`, `undelivered` at once when the session could not
   * take it; rejects with NodeLost when the node holding it is lost while it waits.
   */
  async ask<K extends AnswerKind>(deviceId: string, requestId: string, kind: K, msg: DeviceMessage, timeoutMs: number, undelivered: AnswerKinds[K]): Promise<AnswerKinds[K] | null> {
    const node = this.directory.nodeOf(deviceId);
    if (node === this.bus.node) return this.askHere(deviceId, requestId, kind, msg, timeoutMs, undelivered);
    if (node === null) return undelivered;
    const body: AskBody = { deviceId, requestId, kind, msg, timeoutMs, undelivered };
    let end!: () => void;
    const lost = new Promise<never>((_, reject) => (end = () => reject(new NodeLost(deviceId, node))));
    const waiting = this.waitingOn.get(node) ?? new Set();
    this.waitingOn.set(node, waiting.add(end));
    try {
      const asked = this.bus.request(node, 'ask', body, timeoutMs + BUS_MARGIN_MS) as Promise<AnswerKinds[K] | null>;
      return await Promise.race([asked, lost]);
    } catch (err) {
      if (err instanceof BusTimeout) return null;
      if (err instanceof NodeUnreachable) return undelivered;
      throw err;
    } finally {
      waiting.delete(end);
      if (waiting.size === 0 && this.waitingOn.get(node) === waiting) this.waitingOn.delete(node);
    }
  }

  /** Whether a request sent from this node waits for an answer of this kind. */
  waits(requestId: string, kind: AnswerKind): boolean {
    return this.answers.kindOf(requestId) === kind;
  }

  /**
   * Hands the device's answer to whoever waits for it: here, or on the node holding the device's
   * session (an answer sent over plain HTTP may reach any node). False when nothing waits.
   */
  async settle<K extends AnswerKind>(deviceId: string, requestId: string, kind: K, answer: AnswerKinds[K]): Promise<boolean> {
    if (this.answers.settle(deviceId, requestId, kind, answer)) return true;
    const node = this.directory.nodeOf(deviceId);
    if (node === null || node === this.bus.node) return false;
    try {
      return (await this.bus.request(node, 'answer', { deviceId, requestId, kind, answer }, DELIVER_TIMEOUT_MS)) === true;
    } catch {
      return false;
    }
  }

  private askHere<K extends AnswerKind>(deviceId: string, requestId: string, kind: K, msg: DeviceMessage, timeoutMs: number, undelivered: AnswerKinds[K]): Promise<AnswerKinds[K] | null> {
    const answer = this.answers.expect(deviceId, requestId, kind, timeoutMs, undelivered);
    if (!this.hub.deliver(deviceId, msg)) this.answers.settle(deviceId, requestId, kind, undelivered);
    return answer;
  }
}
