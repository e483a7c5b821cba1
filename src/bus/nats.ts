import { connect, ErrorCode, type KV, type NatsConnection, type NatsError } from 'nats';
import { BusTimeout, NodeUnreachable, RemoteError, type Bus } from './bus.js';

export interface NatsBusOptions {
  url: string;
  /** Nodes sharing a cluster name form one relay; other clusters on the same NATS are unseen. */
  cluster: string;
  node: string;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

/** A lease lives this long unless its holder renews it; renewed (and competed for) every LEASE_EVERY_MS. */
export const LEASE_TTL_MS = 10_000;
const LEASE_EVERY_MS = 2_000;
const LEASE_BUCKET = 'fleetrelay_leases';

const encode = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));
const decode = (b: Uint8Array): unknown => JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8'));

/**
 * The bus on NATS: requests go to `fr.<cluster>.n.<node>.<topic>`, so a node that is gone is
 * "no responders" at once; broadcasts to `fr.<cluster>.all.<topic>`. Leases are keys in a
 * JetStream key-value bucket whose entries expire unless renewed (NATS KV), so a dead holder's
 * lease lapses by itself.
 */
export class NatsBus implements Bus {
  readonly node: string;
  private readonly prefix: string;
  private readonly leases: (() => Promise<void>)[] = [];
  private kv: Promise<KV> | null = null;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly o: NatsBusOptions,
  ) {
    this.node = o.node;
    this.prefix = `fr.${o.cluster}`;
  }

  static async connect(o: NatsBusOptions): Promise<NatsBus> {
    let nc: NatsConnection;
    try {
      nc = await connect({ servers: o.url, name: `fleetrelay ${o.node}`, maxReconnectAttempts: -1, reconnectTimeWait: 1000, timeout: 10_000 });
    } catch (err) {
      throw new Error(`cannot reach NATS at ${o.url}: ${(err as Error).message}`);
    }
    const bus = new NatsBus(nc, o);
    void bus.watchStatus();
    // Two nodes by one name would take each other's requests: the second one refuses to start.
    try {
      await bus.request(o.node, 'hello', null, 2_000);
      await nc.close();
      throw new Error(`relay node name ${o.node} is already in use in this cluster (give each node its own --node-id)`);
    } catch (err) {
      if (!(err instanceof NodeUnreachable || err instanceof BusTimeout)) throw err;
    }
    bus.serve('hello', () => bus.node);
    return bus;
  }

  /** Whether a cluster can run on the NATS server at `url`: reachable, with JetStream (for the leader's lease). Says what it found, or throws why not. */
  static async probe(url: string): Promise<string> {
    const nc = await connect({ servers: url, timeout: 5_000, maxReconnectAttempts: 0 }).catch((err: Error) => {
      throw new Error(`cannot reach NATS at ${url}: ${err.message}`);
    });
    try {
      const version = nc.info?.version ?? '?';
      await (await nc.jetstreamManager()).getAccountInfo().catch(() => {
        throw new Error(`NATS ${version} at ${url} has no JetStream: start it with -js`);
      });
      return `NATS ${version} at ${url}, JetStream on`;
    } finally {
      await nc.close();
    }
  }

  async request(node: string, topic: string, body: unknown, timeoutMs: number): Promise<unknown> {
    let reply;
    try {
      reply = await this.nc.request(`${this.prefix}.n.${node}.${topic}`, encode(body), { timeout: timeoutMs });
    } catch (err) {
      const code = (err as NatsError).code;
      if (code === ErrorCode.NoResponders) throw new NodeUnreachable(node);
      if (code === ErrorCode.Timeout) throw new BusTimeout(node, timeoutMs);
      throw err;
    }
    const answer = decode(reply.data) as { ok?: unknown; error?: string };
    if (answer.error !== undefined) throw new RemoteError(answer.error);
    return answer.ok;
  }

  tell(node: string, topic: string, body: unknown): void {
    if (!this.nc.isClosed()) this.nc.publish(`${this.prefix}.n.${node}.${topic}`, encode(body));
  }

  serve(topic: string, handler: (body: unknown) => Promise<unknown> | unknown): void {
    this.nc.subscribe(`${this.prefix}.n.${this.node}.${topic}`, {
      callback: (err, msg) => {
        if (err) return;
        void (async () => {
          let answer;
          try {
            answer = { ok: (await handler(decode(msg.data))) ?? null };
          } catch (e) {
            answer = { error: e instanceof Error ? e.message : String(e) };
          }
          if (msg.reply) msg.respond(encode(answer));
        })();
      },
    });
  }

  broadcast(topic: string, body: unknown): void {
    if (!this.nc.isClosed()) this.nc.publish(`${this.prefix}.all.${topic}`, encode({ from: this.node, body }));
  }

  onBroadcast(topic: string, fn: (body: unknown, from: string) => void): void {
    this.nc.subscribe(`${this.prefix}.all.${topic}`, {
      callback: (err, msg) => {
        if (err) return;
        const m = decode(msg.data) as { from: string; body: unknown };
        if (m.from !== this.node) fn(m.body, m.from);
      },
    });
  }

  lead(name: string, onChange: (leading: boolean) => void): void {
    const key = `${this.o.cluster}.${name}`;
    let revision = 0;
    let stopped = false;
    const set = (r: number): void => {
      if (stopped && r > 0) return; // a renewal that was under way when the node let go
      if ((r > 0) !== (revision > 0)) onChange(r > 0);
      revision = r;
    };
    const turn = async (): Promise<void> => {
      const kv = await this.bucket();
      try {
        set(revision > 0 ? await kv.update(key, encode(this.node), revision) : await kv.create(key, encode(this.node)));
      } catch {
        set(0); // someone else holds it (or NATS is away: then nobody can be sure, so this node stops leading)
      }
    };
    const loop = (): void => {
      if (stopped) return;
      void turn().catch(() => set(0)).finally(() => {
        if (!stopped) timer = setTimeout(loop, LEASE_EVERY_MS);
      });
    };
    let timer = setTimeout(loop, 0);
    this.leases.push(async () => {
      stopped = true;
      clearTimeout(timer);
      const held = revision;
      set(0);
      // Handing the lease back lets another node take it at once rather than after it lapses.
      if (held > 0) await this.bucket().then((kv) => kv.delete(key, { previousSeq: held })).catch(() => undefined);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.leases.map((stop) => stop()));
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close().catch(() => undefined);
    }
  }

  private bucket(): Promise<KV> {
    this.kv ??= this.nc.jetstream().views.kv(LEASE_BUCKET, { ttl: LEASE_TTL_MS, history: 1 });
    this.kv.catch(() => (this.kv = null));
    return this.kv;
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') this.o.log(`NATS ${s.type}`, { server: String(s.data) });
    }
  }
}
