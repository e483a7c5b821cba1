/**
 * Fax relay figures against a real relay process (issue 6):
 *  1. throughput of one call with 64 KiB DATA frames, in the same run as a plain loopback TCP
 *     transfer and a socat relay (Debian's socat, default options) of the same bytes;
 *  2. latency a relay hop adds per frame (64-byte DATA ping-pong, relay vs direct echo);
 *  3. 1,000 simultaneous paired calls: relay RSS, time to pair, an exchange on every call.
 *
 *   npm run build && node dist/bench/fax-relay.js [--mib 512] [--runs 3] [--calls 1000]
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { frame, pair, RawFax, T } from '../test/helpers/fax.js';
import { pump, received } from './fax-stream.js';
import { adminToken, api, startRelay } from '../test/helpers/relay.js';

const { values } = parseArgs({
  options: { mib: { type: 'string', default: '512' }, runs: { type: 'string', default: '3' }, calls: { type: 'string', default: '1000' }, only: { type: 'string' } },
});
const TOTAL = Number(values.mib) * 1024 * 1024;
const RUNS = Number(values.runs);
const CALLS = Number(values.calls);
const PW = 'bench-password';
const FRAME = frame(T.DATA, Buffer.alloc(64 * 1024, 0x5a));
const FRAMES = Math.ceil(TOTAL / (64 * 1024));
const WIRE_BYTES = FRAMES * FRAME.length;

if (spawnSync('socat', ['-V']).status !== 0) {
  console.error('socat is needed for the comparison: apt-get install -y socat');
  process.exit(1);
}

const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const median = (xs: number[]): number => pct(xs, 50);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function listenSink(): Promise<{ server: Server; port: number; next: Promise<Socket> }> {
  return new Promise((resolve) => {
    let accept!: (s: Socket) => void;
    const next = new Promise<Socket>((r) => (accept = r));
    const server = createServer((s) => accept(s)).listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, next }));
  });
}

/** A socat process relaying from a fresh port to `target`, and a client connected through it. */
async function socatTo(target: number): Promise<{ client: Socket; stop: () => void }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const socat = spawn('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, `TCP:127.0.0.1:${target}`], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const c = await new Promise<Socket | undefined>((r) => {
      const s = connect(port, '127.0.0.1', () => r(s)).once('error', () => r(undefined));
    });
    if (c) return { client: c, stop: () => socat.kill() };
    await sleep(20);
  }
  throw new Error('socat did not start');
}

/** Plain TCP to a sink, directly or through socat: the time to move the bytes. */
async function plain(via: 'direct' | 'socat'): Promise<number> {
  const sink = await listenSink();
  const path = via === 'socat' ? await socatTo(sink.port) : { client: connect(sink.port, '127.0.0.1'), stop: () => {} };
  const s = await sink.next;
  const t0 = performance.now();
  const done = received(s, WIRE_BYTES);
  await pump(path.client, FRAME, FRAMES);
  await done;
  const ms = performance.now() - t0;
  path.client.destroy();
  s.destroy();
  path.stop();
  sink.server.close();
  return ms;
}

async function viaRelay(faxPort: number): Promise<number> {
  const a = await RawFax.login(faxPort, 'tx', PW);
  const b = await RawFax.login(faxPort, 'rx', PW);
  await pair(a, b, 'rx');
  const t0 = performance.now();
  const done = received(b.socket, WIRE_BYTES);
  await pump(a.socket, FRAME, FRAMES);
  await done;
  const ms = performance.now() - t0;
  a.end();
  b.end();
  await sleep(200);
  return ms;
}

/** Round trips of a 64-byte DATA frame: a → (relay) → b echoes → (relay) → a. */
async function pingPong(a: Socket, b: Socket, n: number): Promise<number[]> {
  const ping = frame(T.DATA, Buffer.alloc(64, 1));
  b.removeAllListeners('data');
  let bGot = 0;
  b.on('data', (c: Buffer) => {
    bGot += c.length;
    while (bGot >= ping.length) {
      bGot -= ping.length;
      b.write(ping);
    }
  });
  a.removeAllListeners('data');
  const rtts: number[] = [];
  let aGot = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const on = (c: Buffer): void => {
        aGot += c.length;
        if (aGot >= ping.length) {
          aGot -= ping.length;
          a.off('data', on);
          resolve();
        }
      };
      a.on('data', on);
      a.write(ping);
    });
    rtts.push(performance.now() - t0);
  }
  return rtts;
}

async function latency(faxPort: number): Promise<{ direct: number[]; socat: number[]; relay: number[] }> {
  const echo = async (via: 'direct' | 'socat'): Promise<number[]> => {
    const sink = await listenSink();
    const path = via === 'socat' ? await socatTo(sink.port) : { client: connect(sink.port, '127.0.0.1'), stop: () => {} };
    const s = await sink.next;
    path.client.setNoDelay(true);
    s.setNoDelay(true);
    await pingPong(path.client, s, 500);
    const rtts = await pingPong(path.client, s, 5000);
    path.client.destroy();
    s.destroy();
    path.stop();
    sink.server.close();
    return rtts;
  };
  const direct = await echo('direct');
  const socat = await echo('socat');
  const a = await RawFax.login(faxPort, 'tx', PW);
  const b = await RawFax.login(faxPort, 'rx', PW);
  a.socket.setNoDelay(true);
  b.socket.setNoDelay(true);
  await pair(a, b, 'rx');
  await pingPong(a.socket, b.socket, 500);
  const relay = await pingPong(a.socket, b.socket, 5000);
  a.end();
  b.end();
  return { direct, socat, relay };
}

async function inBatches<T>(n: number, batch: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += batch) out.push(...(await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => fn(i + k)))));
  return out;
}

async function manyCalls(relay: Awaited<ReturnType<typeof startRelay>>, admin: string): Promise<void> {
  const perUser = 25;
  const users = Math.ceil(CALLS / perUser);
  for (let u = 0; u < users; u++)
    for (const side of ['caller', 'callee'])
      await api(relay.url, '/api/v1/fax/users', { method: 'POST', token: admin, json: { id: `${side}${u}`, password: PW, settings: { maxConnections: perUser } } });
  const pid = relay.proc.pid!;
  await sleep(500);
  const base = rssMiB(pid);
  const t0 = performance.now();
  const callers = await inBatches(CALLS, 100, (i) => RawFax.login(relay.faxPort, `caller${Math.floor(i / perUser)}`, PW, 60_000));
  const callees = await inBatches(CALLS, 100, (i) => RawFax.login(relay.faxPort, `callee${Math.floor(i / perUser)}`, PW, 60_000));
  const tLogin = performance.now() - t0;
  const loggedIn = rssMiB(pid);

  // Every callee accepts whatever call reaches it; every caller dials its callee user.
  const t1 = performance.now();
  const accepted = callees.map(async (c) => {
    const inc = await c.next(T.INCOMING, 60_000);
    c.send(T.ACCEPT, { callId: inc.body.callId });
  });
  const results = await Promise.all(
    callers.map(async (c, i) => {
      c.send(T.CONNECT, { to: `callee${Math.floor(i / perUser)}` });
      return (await c.next(T.CONNECT_RESULT, 60_000)).body.ok === true;
    }),
  );
  await Promise.all(accepted);
  const tPair = performance.now() - t1;
  const paired = results.filter(Boolean).length;
  const pairedRss = rssMiB(pid);

  // Each call: 16 frames of 16 KiB from caller to callee, all calls at once.
  const chunk = Buffer.alloc(16 * 1024, 7);
  const t2 = performance.now();
  for (const c of callers) for (let k = 0; k < 16; k++) c.send(T.DATA, chunk);
  let bytes = 0;
  await Promise.all(
    callees.map(async (c) => {
      for (let k = 0; k < 16; k++) {
        const f = await c.next(T.DATA, 60_000);
        bytes += f.payload.length;
      }
    }),
  );
  const tExchange = performance.now() - t2;
  const busyRss = rssMiB(pid);
  for (const c of [...callers, ...callees]) c.end();

  console.log(`\n${CALLS} simultaneous calls (${2 * CALLS} connections, ${users} caller and ${users} callee users, ${perUser} connections each)`);
  console.log(`  logins: ${(tLogin / 1000).toFixed(1)} s; pairing: ${paired}/${CALLS} paired in ${(tPair / 1000).toFixed(2)} s`);
  console.log(`  exchange: ${(bytes / 1048576).toFixed(0)} MiB over all calls in ${(tExchange / 1000).toFixed(2)} s (${(bytes / 1048576 / (tExchange / 1000)).toFixed(0)} MiB/s)`);
  console.log(`  relay RSS: ${base.toFixed(1)} MiB before, ${loggedIn.toFixed(1)} logged in, ${pairedRss.toFixed(1)} paired, ${busyRss.toFixed(1)} after the exchange`);
  console.log(`  per connection: ${(((loggedIn - base) * 1024) / (2 * CALLS)).toFixed(1)} KiB logged in; per paired call: ${(((pairedRss - base) * 1024) / CALLS).toFixed(1)} KiB`);
}

const relay = await startRelay({ nodeArgs: process.env.RELAY_NODE_ARGS?.split(' ').filter(Boolean) });
try {
  const admin = adminToken(relay.dataDir);
  for (const id of ['tx', 'rx']) await api(relay.url, '/api/v1/fax/users', { method: 'POST', token: admin, json: { id, password: PW } });

  console.log(`one call, ${FRAMES} DATA frames of 64 KiB (${(WIRE_BYTES / 1048576).toFixed(0)} MiB on the wire), median of ${RUNS} runs`);
  const runs: Record<string, number[]> = { direct: [], socat: [], relay: [] };
  for (let r = 0; r < RUNS; r++) {
    if (!values.only || values.only === 'direct') runs.direct!.push(await plain('direct'));
    if (!values.only || values.only === 'socat') runs.socat!.push(await plain('socat'));
    if (!values.only || values.only === 'relay') runs.relay!.push(await viaRelay(relay.faxPort));
  }
  const mbs = (ms: number): number => WIRE_BYTES / 1e6 / (ms / 1000);
  if (values.only) {
    for (const [name, ms] of Object.entries(runs)) if (ms.length) console.log(`  ${name} ${ms.map((x) => (WIRE_BYTES / 1e6 / (x / 1000)).toFixed(0)).join(', ')} MB/s`);
  } else {
  for (const [name, ms] of Object.entries(runs)) console.log(`  ${name.padEnd(7)} ${mbs(median(ms)).toFixed(0).padStart(5)} MB/s   (runs: ${ms.map((x) => mbs(x).toFixed(0)).join(', ')})`);
  console.log(`  relay / socat: ${((100 * mbs(median(runs.relay!))) / mbs(median(runs.socat!))).toFixed(0)} %`);

  const l = await latency(relay.faxPort);
  const us = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`;
  console.log('\nround trip of a 64-byte DATA frame (5,000 after 500 warm-up)');
  console.log(`  direct echo   p50 ${us(pct(l.direct, 50))}  p99 ${us(pct(l.direct, 99))}`);
  console.log(`  via socat     p50 ${us(pct(l.socat, 50))}  p99 ${us(pct(l.socat, 99))}`);
  console.log(`  via the relay p50 ${us(pct(l.relay, 50))}  p99 ${us(pct(l.relay, 99))}`);
  const added = (x: number[], p: number): string => us((pct(x, p) - pct(l.direct, p)) / 2);
  console.log(`  added per frame, one way: relay p50 ${added(l.relay, 50)} p99 ${added(l.relay, 99)}; socat p50 ${added(l.socat, 50)} p99 ${added(l.socat, 99)}`);

  await manyCalls(relay, admin);
  }
} finally {
  await relay.stop();
}
