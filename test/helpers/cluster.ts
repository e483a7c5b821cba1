/** Real relay clusters for tests: node processes on one PostgreSQL database and the machine's NATS, and a load balancer in front. */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { cliJson, startRelay, tempDir, type RelayProcess } from './relay.js';
import { postgresUrlFor } from './store.js';

export const NATS_URL = process.env.FLEETRELAY_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

export interface TestCluster {
  nodes: RelayProcess[];
  names: string[];
  databaseUrl: string;
  admin: string;
  /** Starts one more node (or starts a stopped one again under its name). */
  add(name: string): Promise<RelayProcess>;
  stop(): Promise<void>;
}

/** `n` nodes named node-1…node-n, sharing a fresh database (its own cluster on the shared NATS). */
export async function startCluster(n: number, o: { args?: string[] } = {}): Promise<TestCluster> {
  const databaseUrl = postgresUrlFor(tempDir('fleetrelay-cluster-'));
  const started: RelayProcess[] = [];
  const add = async (name: string): Promise<RelayProcess> => {
    const node = await startRelay({ args: ['--database-url', databaseUrl, '--nats-url', NATS_URL, '--node-id', name, ...(o.args ?? [])] });
    started.push(node);
    return node;
  };
  const names = Array.from({ length: n }, (_, i) => `node-${i + 1}`);
  const nodes = [await add(names[0]!)]; // the first migrates the new database
  nodes.push(...(await Promise.all(names.slice(1).map(add))));
  const admin = cliJson<{ token: string }>(nodes[0]!.dataDir, ['--database-url', databaseUrl, 'token', 'create', '--admin']).token;
  return {
    nodes,
    names,
    databaseUrl,
    admin,
    add,
    async stop() {
      await Promise.all(started.map((r) => r.stop().catch(() => undefined)));
    },
  };
}

/** Provisions a device through the CLI on the cluster's database. */
export function provision(c: TestCluster, serial: string): { deviceId: string; jid: string; token: string } {
  return cliJson(c.nodes[0]!.dataDir, ['--database-url', c.databaseUrl, 'device', 'add', '--serial', serial, '--model', 'MFC-L2750']);
}

/**
 * A TCP load balancer without sticky routing: each new connection goes to the next node in turn,
 * skipping one that refuses (a node that is gone), as HAProxy's round-robin with health checks would.
 */
export async function roundRobin(urls: () => string[]): Promise<{ url: string; connections: number[]; close(): Promise<void> }> {
  let next = 0;
  const connections: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.pause();
    const targets = urls();
    const attempt = (tries: number): void => {
      if (tries >= targets.length) return void client.destroy();
      const i = next++ % targets.length;
      const u = new URL(targets[i]!);
      const upstream = connect(Number(u.port), u.hostname);
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        connections[i] = (connections[i] ?? 0) + 1;
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        client.pipe(upstream).pipe(client);
        client.resume();
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
      });
      upstream.once('error', () => {
        if (!connected) attempt(tries + 1);
      });
    };
    attempt(0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** One gauge's value from a node's /metrics. */
export async function gauge(node: RelayProcess, token: string, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}
