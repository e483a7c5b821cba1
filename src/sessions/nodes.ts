import { EventEmitter } from 'node:events';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../domain/clock.js';

/** Every node says it is alive this often… */
export const BEAT_MS = 2_000;
/** …and one not heard from for this long is taken for dead (kill -9, a lost host, a cut cable). */
export const DEAD_AFTER_MS = 6_000;

/** What the cluster's other parts need of the live nodes. */
export interface NodeWatch {
  on(event: 'up' | 'down', fn: (node: string) => void): unknown;
  isUp(node: string): boolean;
}

export interface NodeEvents {
  up: [node: string];
  down: [node: string];
}

/**
 * The relay nodes alive in the cluster, by their heartbeats on the bus. A node that stops
 * cleanly says goodbye and is down at once; one that dies is down after DEAD_AFTER_MS.
 */
export class ClusterNodes extends EventEmitter<NodeEvents> implements NodeWatch {
  private readonly lastHeard = new Map<string, number>();
  /** New device sessions each peer said in its last heartbeat it can still take. */
  private readonly roomOf = new Map<string, number>();
  /** Peers that said in their last heartbeat that console pages watch them live. */
  private readonly watched = new Set<string>();
  private stopTimer: (() => void) | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly clock: Clock,
    /** New device sessions this node can still take, told with each heartbeat. */
    private readonly room: () => number = () => 0,
    /** Whether console pages watch this node live, told with each heartbeat. */
    private readonly watching: () => boolean = () => false,
  ) {
    super();
  }

  get self(): string {
    return this.bus.node;
  }

  /** The other nodes alive now. */
  get peers(): string[] {
    return [...this.lastHeard.keys()];
  }

  isUp(node: string): boolean {
    return node === this.bus.node || this.lastHeard.has(node);
  }

  start(): void {
    this.bus.onBroadcast('node.beat', (beat, from) => {
      const b = beat as { room?: unknown; watching?: unknown } | null;
      this.roomOf.set(from, Math.max(0, Number(b?.room) || 0));
      if (b?.watching === true) this.watched.add(from);
      else this.watched.delete(from);
      this.heard(from);
    });
    this.bus.onBroadcast('node.bye', (_, from) => this.lost(from));
    const beat = (): void => {
      this.bus.broadcast('node.beat', { room: this.room(), watching: this.watching() });
      const now = this.clock.now();
      for (const [node, at] of [...this.lastHeard]) if (now - at > DEAD_AFTER_MS) this.lost(node);
      this.stopTimer = this.clock.after(BEAT_MS, beat);
    };
    beat();
  }

  /**
   * The live peer with the most room for a new device session, or null if none has room. It
   * counts one session fewer until its next heartbeat, so a crowd is spread over the peers.
   */
  takeRoomElsewhere(): string | null {
    let best: string | null = null;
    for (const n of this.peers) if ((this.roomOf.get(n) ?? 0) > (best === null ? 0 : this.roomOf.get(best)!)) best = n;
    if (best !== null) this.roomOf.set(best, this.roomOf.get(best)! - 1);
    return best;
  }

  /** Whether a live peer has console pages watching it (it wants this node's live events). */
  get peersWatching(): boolean {
    return this.watched.size > 0;
  }

  /** Says goodbye: the others take this node's devices for OFFLINE at once. */
  stop(): void {
    this.stopTimer?.();
    this.bus.broadcast('node.bye', null);
    this.lastHeard.clear();
  }

  private heard(node: string): void {
    const known = this.lastHeard.has(node);
    this.lastHeard.set(node, this.clock.now());
    if (!known) this.emit('up', node);
  }

  private lost(node: string): void {
    this.roomOf.delete(node);
    this.watched.delete(node);
    if (this.lastHeard.delete(node)) this.emit('down', node);
  }
}
