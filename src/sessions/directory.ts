import { EventEmitter } from 'node:events';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../domain/clock.js';
import { Gossip, type News } from './gossip.js';
import type { ClusterNodes } from './nodes.js';
import type { PresenceService } from './presence.js';

/** Device IDs per message when a node tells its whole list. */
const CHUNK = 5_000;

interface Claim {
  node: string;
  /** When the session was bound: of two claims, the later one holds the device. */
  at: number;
}

/** [deviceId, when its session was bound here]; null: its session here ended. */
type Entry = [string, number | null];

export interface DirectoryEvents {
  /** A session bound on another node holds this device now: the one here must end. */
  taken: [deviceId: string];
  /** A node died holding these devices: they are OFFLINE. */
  lost: [node: string, deviceIds: string[]];
}

/**
 * Which node holds each device's session, cluster-wide (seed 000's "connection information"
 * across relay servers). Each node tells the others what bound and ended on it; a node that dies
 * takes its devices with it. A device is ONLINE on every node exactly while some live node holds
 * its session, so presence reads the same everywhere.
 */
export class DeviceDirectory extends EventEmitter<DirectoryEvents> {
  private readonly elsewhere = new Map<string, Claim>();
  private readonly boundHere = new Map<string, number>();
  private readonly gossip: Gossip<Entry>;

  constructor(
    private readonly bus: Bus,
    private readonly nodes: ClusterNodes,
    private readonly presence: PresenceService,
    clock: Clock,
  ) {
    super();
    this.gossip = new Gossip<Entry>(bus, nodes, clock, 'presence', CHUNK, () => [...this.boundHere], (news, from) => this.heard(news, from));
    presence.on('online', (id) => {
      const at = clock.now();
      this.boundHere.set(id, at);
      this.gossip.add([id, at]);
    });
    presence.on('offline', (id) => {
      this.boundHere.delete(id);
      this.gossip.add([id, null]);
    });
    nodes.on('down', (node) => this.forget(node));
  }

  /** The node holding the device's session; null when none does. */
  nodeOf(deviceId: string): string | null {
    if (this.presence.isOnline(deviceId)) return this.bus.node;
    const claim = this.elsewhere.get(deviceId);
    return claim && this.nodes.isUp(claim.node) ? claim.node : null;
  }

  isOnline(deviceId: string): boolean {
    return this.nodeOf(deviceId) !== null;
  }

  /** Devices ONLINE cluster-wide. */
  get onlineCount(): number {
    return this.presence.onlineCount + this.elsewhere.size;
  }

  start(): void {
    this.gossip.start();
  }

  stop(): void {
    this.gossip.stop();
  }

  private heard(news: News<Entry>, node: string): void {
    if (news.reset) for (const [id, claim] of [...this.elsewhere]) if (claim.node === node) this.elsewhere.delete(id);
    for (const [id, at] of news.entries) {
      if (at === null) {
        if (this.elsewhere.get(id)?.node === node) this.elsewhere.delete(id);
        continue;
      }
      const here = this.boundHere.get(id);
      if (here !== undefined) {
        if (!later({ node, at }, { node: this.bus.node, at: here })) continue; // the session here is the newer: the other node ends its own
        this.emit('taken', id);
      }
      const known = this.elsewhere.get(id);
      if (!known || later({ node, at }, known) || known.node === node) this.elsewhere.set(id, { node, at });
    }
  }

  private forget(node: string): void {
    const lost: string[] = [];
    for (const [id, claim] of [...this.elsewhere])
      if (claim.node === node) {
        this.elsewhere.delete(id);
        lost.push(id);
      }
    if (lost.length) this.emit('lost', node, lost);
  }
}

function later(a: Claim, b: Claim): boolean {
  return a.at > b.at || (a.at === b.at && a.node > b.node);
}
