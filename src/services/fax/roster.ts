import type { Bus } from '../../bus/bus.js';
import type { Clock } from '../../domain/clock.js';
import { Gossip, type News } from '../../sessions/gossip.js';
import type { NodeWatch } from '../../sessions/nodes.js';

/** Users per message when a node tells its whole list. */
const CHUNK = 2_000;

/** [user ID, account ID, connections on the telling node]; 0 connections: logged out there. */
type Entry = [string, string, number];

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
  private readonly elsewhere = new Map<string, Whereabouts>();
  private readonly byAccount = new Map<string, Set<string>>();
  private readonly gossip: Gossip<Entry>;

  constructor(
    bus: Bus,
    private readonly nodes: NodeWatch,
    clock: Clock,
  ) {
    this.gossip = new Gossip<Entry>(bus, nodes, clock, 'fax.roster', CHUNK, () => [...this.here.values()], (news, from) => this.heard(news, from));
    nodes.on('down', (node) => this.forget(node));
  }

  /** The user now holds `count` connections on this node. */
  linesHere(userId: string, accountId: string, count: number): void {
    const entry: Entry = [userId, accountId, count];
    if (count > 0) this.here.set(userId, entry);
    else this.here.delete(userId);
    this.gossip.add(entry);
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
    this.gossip.start();
  }

  stop(): void {
    this.gossip.stop();
  }

  private heard(news: News<Entry>, node: string): void {
    if (news.reset) this.forget(node);
    for (const [userId, accountId, count] of news.entries) this.set(userId, accountId, node, count);
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
