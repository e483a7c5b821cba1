import { EventEmitter } from 'node:events';
import type { Bus } from '../bus/bus.js';
import type { Clock } from '../domain/clock.js';
import type { ClusterNodes } from './nodes.js';
import type { PresenceService } from './presence.js';

/** Presence changes on this node are told to the others in batches this often. */
const TELL_EVERY_MS = 50;
/** Device IDs per message when a node tells its whole list. */
const CHUNK = 5_000;

interface Claim {
  node: string;
  /** When the session was bound: of two claims, the later one holds the device. */
  at: number;
}

/** [deviceId, bound at] */
type Entry = [string, number];
interface PresenceNews {
  online: Entry[];
  offline: string[];
  /** This is (the start of) the node's whole list: forget what it said before. */
  reset?: boolean;
}

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
  private news: PresenceNews = { online: [], offline: [] };
  private stopTimer: (() => void) | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly nodes: ClusterNodes,
    private readonly presence: PresenceService,
    private readonly clock: Clock,
  ) {
    super();
    presence.on('online', (id) => {
      const at = clock.now();
      this.boundHere.set(id, at);
      this.news.online.push([id, at]);
    });
    presence.on('offline', (id) => {
      this.boundHere.delete(id);
      this.news.offline.push(id);
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
    this.bus.onBroadcast('presence', (body, from) => this.heard(body as PresenceNews, from));
    // A node heard of for the first time (it joined, or came back after it was taken for dead) is asked for its whole list.
    this.bus.serve('presence.ask', () => this.tellAll());
    this.nodes.on('up', (node) => this.bus.tell(node, 'presence.ask', null));
    const loop = (): void => {
      this.tell();
      this.stopTimer = this.clock.after(TELL_EVERY_MS, loop);
    };
    loop();
  }

  stop(): void {
    this.stopTimer?.();
    this.tell();
  }

  private tell(): void {
    if (this.news.online.length === 0 && this.news.offline.length === 0) return;
    const news = this.news;
    this.news = { online: [], offline: [] };
    for (let i = 0; i < Math.max(news.online.length, news.offline.length); i += CHUNK)
      this.bus.broadcast('presence', { online: news.online.slice(i, i + CHUNK), offline: news.offline.slice(i, i + CHUNK) });
  }

  private tellAll(): void {
    this.tell();
    const all: Entry[] = [...this.boundHere];
    for (let i = 0; i === 0 || i < all.length; i += CHUNK) this.bus.broadcast('presence', { online: all.slice(i, i + CHUNK), offline: [], reset: i === 0 });
  }

  private heard(news: PresenceNews, node: string): void {
    if (news.reset) for (const [id, claim] of [...this.elsewhere]) if (claim.node === node) this.elsewhere.delete(id);
    for (const id of news.offline) if (this.elsewhere.get(id)?.node === node) this.elsewhere.delete(id);
    for (const [id, at] of news.online) {
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
