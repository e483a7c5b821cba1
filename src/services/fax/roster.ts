import type { Bus } from '../../bus/bus.js';
import type { Clock } from '../../domain/clock.js';

/** Changes of this node's fax users are told to the others in batches this often. */
const TELL_EVERY_MS = 50;
/** Users per message when a node tells its whole list. */
const CHUNK = 2_000;

/** The cluster's live nodes, as the roster and the bridge need them (sessions/nodes.ts). */
export interface NodeWatch {
  on(event: 'up' | 'down', fn: (node: string) => void): unknown;
  isUp(node: string): boolean;
}

/** [user ID, account ID, connections on the telling node]; 0 connections: logged out there. */
type Entry = [string, string, number];
interface RosterNews {
  users: Entry[];
  /** This is (the start of) the node's whole list: forget what it said before. */
  reset?: boolean;
}

interface Whereabouts {
  accountId: string;
  /** Connections per node. */
  nodes: Map<string, number>;
}

/**
 * Which fax users are logged in on which other relay node, with how many connections: seed 001
 * [0046], where each relay server tells the others when its connection information changes, so
 * any of them can list every logged-in user and find the server to forward a demand to. Each
 * node tells what changed on it; a node heard of anew is asked for its whole list; the users of
 * a node that is down are forgotten.
 */
export class FaxRoster {
  private readonly here = new Map<string, Entry>();
  private news = new Map<string, Entry>();
  private readonly elsewhere = new Map<string, Whereabouts>();
  private readonly byAccount = new Map<string, Set<string>>();
  private stopTimer: (() => void) | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly nodes: NodeWatch,
    private readonly clock: Clock,
  ) {
    nodes.on('down', (node) => this.forget(node));
  }

  /** The user now holds `count` connections on this node. */
  linesHere(userId: string, accountId: string, count: number): void {
    const entry: Entry = [userId, accountId, count];
    if (count > 0) this.here.set(userId, entry);
    else this.here.delete(userId);
    this.news.set(userId, entry);
  }

  /** Users of the account logged in on other live nodes. */
  usersOf(accountId: string): string[] {
    return [...(this.byAccount.get(accountId) ?? [])].filter((u) => this.nodesOf(u, accountId).length > 0);
  }

  /** The other live nodes where the user (of that account) is logged in, most connections first. */
  nodesOf(userId: string, accountId: string): string[] {
    const w = this.elsewhere.get(userId);
    if (!w || w.accountId !== accountId) return [];
    return [...w.nodes].filter(([node]) => this.nodes.isUp(node)).sort((a, b) => b[1] - a[1]).map(([node]) => node);
  }

  /** Connections the user holds on other live nodes. */
  linesOf(userId: string): number {
    let n = 0;
    for (const [node, count] of this.elsewhere.get(userId)?.nodes ?? []) if (this.nodes.isUp(node)) n += count;
    return n;
  }

  start(): void {
    this.bus.onBroadcast('fax.roster', (body, from) => this.heard(body as RosterNews, from));
    this.bus.serve('fax.roster.ask', () => this.tellAll());
    this.nodes.on('up', (node) => this.bus.tell(node, 'fax.roster.ask', null));
    // A node restarted under its old name before the others took it for dead: they drop what it held before.
    this.tellAll();
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
    if (this.news.size === 0) return;
    const users = [...this.news.values()];
    this.news = new Map();
    for (let i = 0; i < users.length; i += CHUNK) this.bus.broadcast('fax.roster', { users: users.slice(i, i + CHUNK) });
  }

  private tellAll(): void {
    this.news.clear();
    const all = [...this.here.values()];
    for (let i = 0; i === 0 || i < all.length; i += CHUNK) this.bus.broadcast('fax.roster', { users: all.slice(i, i + CHUNK), reset: i === 0 });
  }

  private heard(news: RosterNews, node: string): void {
    if (news.reset) this.forget(node);
    for (const [userId, accountId, count] of news.users) this.set(userId, accountId, node, count);
  }

  private set(userId: string, accountId: string, node: string, count: number): void {
    let w = this.elsewhere.get(userId);
    if (count <= 0) {
      if (!w?.nodes.delete(node) || w.nodes.size > 0) return;
      this.elsewhere.delete(userId);
      this.unindex(userId, w.accountId);
      return;
    }
    if (w && w.accountId !== accountId) {
      // User IDs are unique across the site: a user seen in another account was re-created there.
      this.unindex(userId, w.accountId);
      w = undefined;
    }
    if (!w) {
      w = { accountId, nodes: new Map() };
      this.elsewhere.set(userId, w);
      const users = this.byAccount.get(accountId) ?? new Set();
      this.byAccount.set(accountId, users.add(userId));
    }
    w.nodes.set(node, count);
  }

  private unindex(userId: string, accountId: string): void {
    const users = this.byAccount.get(accountId);
    users?.delete(userId);
    if (users?.size === 0) this.byAccount.delete(accountId);
  }

  private forget(node: string): void {
    for (const [userId, w] of [...this.elsewhere]) if (w.nodes.has(node)) this.set(userId, w.accountId, node, 0);
  }
}
