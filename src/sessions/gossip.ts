import type { Bus } from '../bus/bus.js';
import type { Clock } from '../domain/clock.js';
import type { NodeWatch } from './nodes.js';

/** Changes are told to the other nodes in batches this often. */
const TELL_EVERY_MS = 50;

/** What one node told: entries that changed, or (`reset`) the start of its whole list, which replaces what it said before. */
export interface News<E> {
  entries: E[];
  reset?: boolean;
}

/**
 * What a node tells the others of what it holds (device sessions, fax users): its changes in a
 * batch every TELL_EVERY_MS, and its whole list, in chunks, when it starts (a node restarted
 * under its old name replaces what it held before) and to any node that hears of it anew.
 */
export class Gossip<E> {
  private news: E[] = [];
  private stopTimer: (() => void) | null = null;

  constructor(
    private readonly bus: Bus,
    private readonly nodes: NodeWatch,
    private readonly clock: Clock,
    private readonly topic: string,
    private readonly chunk: number,
    private readonly whole: () => E[],
    private readonly heard: (news: News<E>, from: string) => void,
  ) {}

  /** A change here, told with the next batch. */
  add(entry: E): void {
    this.news.push(entry);
  }

  start(): void {
    this.bus.onBroadcast(this.topic, (body, from) => this.heard(body as News<E>, from));
    this.bus.serve(`${this.topic}.ask`, () => this.tellAll());
    this.nodes.on('up', (node) => this.bus.tell(node, `${this.topic}.ask`, null));
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
    const news = this.news;
    this.news = [];
    for (let i = 0; i < news.length; i += this.chunk) this.bus.broadcast(this.topic, { entries: news.slice(i, i + this.chunk) });
  }

  private tellAll(): void {
    this.news = [];
    const all = this.whole();
    for (let i = 0; i === 0 || i < all.length; i += this.chunk) this.bus.broadcast(this.topic, { entries: all.slice(i, i + this.chunk), reset: i === 0 });
  }
}
