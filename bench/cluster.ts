/**
 * The relay as a cluster on PostgreSQL + NATS (issue 13), on this one machine. Three parts, in a
 * schema made for the run (dropped at the end), devices in forked load processes
 * (bench/device-worker.ts) each spread over 8 source addresses from 127.0.0.2 on, each device
 * with its own keep-alive connections (--shared-agent: one pool per load process, whose sockets
 * pass from device to device, so most requests reach a worker that must forward them):
 *
 * - push: two nodes (separate `serve` processes, --node-id a and b); --push-devices devices on
 *   node a; GET round trips at each --rate for --seconds sent to a (same node) and to b (cross
 *   node, over NATS), each run twice, alternating a and b.
 * - hold: `serve --workers W --max-sessions M` holding --sessions devices: sessions held, RSS per
 *   session (all relay processes from /proc, minus their idle baseline), session setup rate, idle
 *   CPU of all relay processes over --idle seconds.
 * - storm: with every device of hold connected, the relay is stopped (SIGTERM) and started again
 *   on the same ports: time until every device is bound again, sessions per second meanwhile,
 *   503s from admission control (--admit-rate, per process) the devices saw, whether a worker died.
 *
 * It prints figures and asserts none.
 *
 *   npm run build && node dist/bench/cluster.js [--parts push,hold,storm] [--sessions 100000]
 *     [--workers 6] [--max-sessions 110000] [--load 12] [--concurrency 20] [--idle 60]
 *     [--push-devices 1000] [--rate 1000,300] [--seconds 10] [--bosh-wait 60] [--setup-minutes 20] [--shared-agent] [--relay-args "--admit-rate 500"]
 *
 * FLEETRELAY_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) and
 * FLEETRELAY_BENCH_NATS_URL (default nats://127.0.0.1:4222) say where the servers are.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { OID } from '../src/device/sim/printer-mib.js';
import type { SimulatedDevice } from '../src/device/sim/simulator.js';
import { systemClock } from '../src/domain/clock.js';
import { createServices } from '../src/services/index.js';
import { cryptoRandom } from '../src/services/kernel/secrets.js';
import { openStore } from '../src/stores.js';
import { cliJson, startRelay, tempDir, waitForLog, type RelayProcess } from '../test/helpers/relay.js';

const { values } = parseArgs({
  options: {
    parts: { type: 'string', default: 'push,hold,storm' },
    sessions: { type: 'string', default: '100000' },
    workers: { type: 'string', default: '6' },
    'max-sessions': { type: 'string' },
    load: { type: 'string' },
    concurrency: { type: 'string', default: '20' },
    idle: { type: 'string', default: '60' },
    'push-devices': { type: 'string', default: '1000' },
    rate: { type: 'string', default: '1000,300' },
    seconds: { type: 'string', default: '10' },
    'relay-args': { type: 'string', default: '' },
    'bosh-wait': { type: 'string', default: '60' },
    'setup-minutes': { type: 'string', default: '20' },
    'shared-agent': { type: 'boolean', default: false },
  },
});
const PARTS = new Set(values.parts!.split(','));
const SESSIONS = Number(values.sessions);
const WORKERS = Number(values.workers);
const MAX_SESSIONS = Number(values['max-sessions'] ?? Math.ceil(SESSIONS * 1.1));
const LOAD = Number(values.load ?? Math.ceil(SESSIONS / 8500)); // ~8,500 devices (sockets) per load process: under its 20,000 open files
const CONCURRENCY = Number(values.concurrency);
const IDLE_S = Number(values.idle);
const PUSH_DEVICES = Number(values['push-devices']);
const RATES = values.rate!.split(',').map(Number);
const SECONDS = Number(values.seconds);
const RELAY_ARGS = values['relay-args']!.split(' ').filter(Boolean);
const DB = process.env.FLEETRELAY_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS = process.env.FLEETRELAY_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const DOMAIN = 'fleetrelay.local';
/** BOSH wait the devices ask and the relay allows; the management timer is set above it. */
const WAIT = Number(values['bosh-wait']);
const SETUP_MINUTES = Number(values['setup-minutes']);
const ADDRESSES_PER_LOAD = 8;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (x: number): string => `${x.toFixed(2)} ms`;
const n = (x: number): string => Math.round(x).toLocaleString('en');
const log = (line: string): void => console.log(line);
const note = (line: string): void => void process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${line}\n`);

// ---- /proc -------------------------------------------------------------------------------
function proc(pid: number): { rssKiB: number; ticks: number; fds: number } {
  try {
    const rssKiB = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { rssKiB, ticks: Number(f[11]) + Number(f[12]), fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return { rssKiB: 0, ticks: 0, fds: 0 }; // gone
  }
}
const sum = (pids: number[], k: 'rssKiB' | 'ticks' | 'fds'): number => pids.reduce((t, p) => t + proc(p)[k], 0);
/** The relay's processes: the primary and, with --workers, its workers. */
const relayPids = (r: RelayProcess): number[] => {
  const pid = r.proc.pid!;
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return [pid, ...(kids ? kids.split(' ').map(Number) : [])];
};
/** The whole machine's CPU time: [busy, all] ticks over every core. */
function machine(): [number, number] {
  const t = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const all = t.reduce((a, b) => a + b, 0);
  return [all - t[3]! - t[4]!, all];
}
/** Percent of one core the processes used while `fn` ran, and how busy the whole machine was (% of all its cores). */
async function cpuWhile(pids: () => number[], fn: () => Promise<unknown>): Promise<{ pct: number; ticks: number; secs: number; machinePct: number }> {
  const p = pids();
  const c0 = sum(p, 'ticks');
  const m0 = machine();
  const t0 = performance.now();
  await fn();
  const ticks = sum(p, 'ticks') - c0;
  const m1 = machine();
  const secs = (performance.now() - t0) / 1000;
  return { pct: ticks / secs, ticks, secs, machinePct: (100 * (m1[0] - m0[0])) / (m1[1] - m0[1]) };
}

// ---- the database ----------------------------------------------------------------------------
const schema = `bench_cluster_${process.pid}`;
const admin = new pg.Client(DB);
await admin.connect();
await admin.query(`CREATE SCHEMA ${schema}`);
const dbUrl = (() => {
  const u = new URL(DB);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
})();
const onlineInStore = async (): Promise<number> => Number((await admin.query(`SELECT count(*) AS n FROM ${schema}.devices WHERE online`)).rows[0].n);

// ---- relays ----------------------------------------------------------------------------------
/** A loopback port free now (workers share fixed ports only). */
const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
const relays: RelayProcess[] = [];
async function relay(nodeId: string, o: { dataDir?: string; workers?: number; ports?: number[] } = {}): Promise<RelayProcess & { deaths: string[]; ports: number[] }> {
  const ports = o.ports ?? [await freePort(), await freePort(), await freePort()];
  const args = ['--database-url', dbUrl, '--nats-url', NATS, '--node-id', nodeId, '--bosh-wait', String(WAIT), '--management-timer', String(Math.max(120, WAIT + 60)), '--log-level', 'info'];
  args.push('--port', String(ports[0]), '--smtp-port', String(ports[1]), '--fax-port', String(ports[2]));
  if (o.workers) args.push('--workers', String(o.workers), '--max-sessions', String(MAX_SESSIONS));
  const nodeArgs = process.env.RELAY_NODE_ARGS?.split(' ').filter(Boolean); // e.g. --cpu-prof (the workers inherit it)
  const r = await startRelay({ dataDir: o.dataDir, args: [...args, ...RELAY_ARGS], env: { FLEETRELAY_AUTH_FAILURES_PER_MINUTE: '1000000' }, nodeArgs, readyMs: 600_000 });
  relays.push(r);
  // A worker that dies, and anything logged at error or worse, from the primary and the workers (they share its stdout).
  // Every line also goes to a file, for what the summary does not say.
  const deaths: string[] = [];
  const file = createWriteStream(join(tmpdir(), `fleetrelay-bench-${schema}-${nodeId}-${r.proc.pid}.log`));
  createInterface({ input: r.proc.stdout! }).on('line', (l) => {
    file.write(`${l}\n`);
    if (l.includes('relay worker died') || /"level":(50|60)/.test(l)) deaths.push(l.slice(0, 400));
  });
  createInterface({ input: r.proc.stderr! }).on('line', (l) => {
    file.write(`${l}\n`);
    deaths.push(`stderr: ${l.slice(0, 400)}`);
  });
  r.proc.once('close', () => file.end());
  // startRelay is satisfied by the first worker's "relay ready"; the primary's line comes when all are.
  if (o.workers && o.workers > 1 && !(await waitForLog(r, '"workers":', 600_000))) throw new Error('the workers did not all get ready in 10 minutes');
  return Object.assign(r, { deaths, ports });
}

let token = '';
/** Sessions ended since start, by why, summed over the workers sessionsByNode read. */
const endedByWhy = new Map<string, number>();
/** fleetrelay_bosh_sessions of every worker: /metrics on fresh connections (each reaches a worker in turn) until each node has answered. */
async function sessionsByNode(url: string, nodes: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const ended = new Map<string, Map<string, number>>();
  for (let i = 0; i < 20 * nodes && seen.size < nodes; i++) {
    const { node, text } = await new Promise<{ node: string; text: string }>((resolve, reject) => {
      const req = request(`${url}/metrics`, { agent: false, timeout: 30_000, headers: { authorization: `Bearer ${token}` } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ node: String(res.headers['x-fleetrelay-node']), text }));
      });
      req.on('timeout', () => req.destroy(new Error('no answer in 30 s'))).on('error', reject).end();
    }).catch(() => ({ node: '', text: '' }));
    if (!node) continue;
    seen.set(node, Number(/^fleetrelay_bosh_sessions (\S+)$/m.exec(text)?.[1]));
    ended.set(node, new Map([...text.matchAll(/^fleetrelay_bosh_sessions_ended_total\{why="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])])));
  }
  endedByWhy.clear();
  for (const m of ended.values()) for (const [why, v] of m) endedByWhy.set(why, (endedByWhy.get(why) ?? 0) + v);
  return seen;
}
/** A gauge from /metrics; NaN when the relay does not answer within 30 s (overloaded). */
async function gauge(url: string, name: string): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) })).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

// ---- load processes ----------------------------------------------------------------------------
const loads: ChildProcess[] = [];
let nextAddress = 2;
function loadProcess(relayUrl: string, devices: SimulatedDevice[]): ChildProcess {
  const child = fork(fileURLToPath(new URL('./device-worker.js', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  loads.push(child);
  child.on('error', (err) => note(`load process ${child.pid}: ${err.message}`));
  child.on('exit', (code, signal) => note(`load process ${child.pid} exited (${signal ?? code})`));
  const sources = Array.from({ length: ADDRESSES_PER_LOAD }, () => `127.0.${Math.floor(nextAddress / 256)}.${nextAddress++ % 256}`);
  child.send({ start: { relayUrl, domain: DOMAIN, devices, sources, wait: WAIT, concurrency: CONCURRENCY, agentPerDevice: !values['shared-agent'] } });
  return child;
}
interface Counts {
  connected: number;
  /** Session attempts refused with 503 (admission), attempts failed otherwise, sessions lost. */
  busy: number;
  failed: number;
  ended: number;
  reasons: Record<string, number>;
}
/** A load process's answer to {count}. */
const counting = new Map<ChildProcess, (c: Counts) => void>();
function counts(child: ChildProcess): Promise<Counts> {
  if (!counting.has(child))
    child.on('message', (m: Counts & { started?: boolean }) => {
      if (!m.started && m.connected !== undefined) counting.get(child)?.(m);
    });
  if (!child.connected) return Promise.resolve({ connected: 0, busy: 0, failed: 0, ended: 0, reasons: {} });
  return new Promise((resolve) => {
    counting.set(child, resolve);
    child.send({ count: true });
  });
}
async function allCounts(children: ChildProcess[]): Promise<Counts> {
  const all = await Promise.all(children.map(counts));
  const reasons: Record<string, number> = {};
  for (const c of all) for (const [why, k] of Object.entries(c.reasons)) reasons[why] = (reasons[why] ?? 0) + k;
  return { connected: all.reduce((t, c) => t + c.connected, 0), busy: all.reduce((t, c) => t + c.busy, 0), failed: all.reduce((t, c) => t + c.failed, 0), ended: all.reduce((t, c) => t + c.ended, 0), reasons };
}
const allConnected = async (children: ChildProcess[]): Promise<number> => (await allCounts(children)).connected;
async function stopLoads(): Promise<void> {
  for (const c of loads.splice(0)) {
    c.send({ stop: true });
    setTimeout(() => c.kill('SIGKILL'), 10_000).unref();
  }
  await sleep(3000);
}

/** Polls the devices' own count every second until `target` are bound, fewer than 0.1 % more were bound in the last `stallS`, or SETUP_MINUTES are over. */
async function untilConnected(children: ChildProcess[], target: number, stallS: number, every = 10): Promise<{ connected: number; secs: number; timeline: [number, number][]; last: Counts; cut: boolean }> {
  const t0 = performance.now();
  const timeline: [number, number][] = [];
  let best = -1;
  let bestAt = t0;
  for (let i = 0; ; i++) {
    const last = await allCounts(children);
    const c = last.connected;
    const secs = (performance.now() - t0) / 1000;
    timeline.push([secs, c]);
    if (c >= best + Math.max(5, target / 1000)) [best, bestAt] = [c, performance.now()];
    if (i % every === 0) note(`${secs.toFixed(0)} s: ${n(c)} devices bound (so far ${n(last.busy)} attempts refused with 503, ${n(last.failed)} failed otherwise, ${n(last.ended)} sessions lost)`);
    const cut = secs > SETUP_MINUTES * 60;
    if (c >= target || performance.now() - bestAt > stallS * 1000 || cut) {
      const reached = timeline.find(([, k]) => k === c)![0]; // when the last count was first seen
      return { connected: c, secs: reached, timeline, last, cut };
    }
    await sleep(1000);
  }
}

// ---- push round trips ------------------------------------------------------------------------
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
function get(url: string, deviceId: string): Promise<{ status: number; ms: number }> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ oids: [OID.sysName] });
    const t = performance.now();
    const req = request(`${url}/api/v1/devices/${deviceId}/get`, {
      method: 'POST',
      agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t }));
    });
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t }));
    req.end(body);
  });
}
/** `rate` GETs a second for SECONDS (open loop) to random devices through `url`. */
async function getsAtRate(url: string, devices: SimulatedDevice[], rate: number): Promise<{ status: number; ms: number }[]> {
  const results: { status: number; ms: number }[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < rate * SECONDS; i++) {
    const due = start + (i * 1000) / rate;
    const now = performance.now();
    if (due > now) await sleep(due - now);
    inflight.push(get(url, devices[Math.floor(Math.random() * devices.length)]!.deviceId).then((r) => void results.push(r)));
  }
  await Promise.all(inflight);
  return results;
}

// ---- the fleet, straight into the store --------------------------------------------------------
const FLEET = Math.max(PARTS.has('hold') || PARTS.has('storm') ? SESSIONS : 0, PARTS.has('push') ? PUSH_DEVICES : 0);
const fleet: SimulatedDevice[] = new Array(FLEET);
async function provision(): Promise<void> {
  const t0 = performance.now();
  const store = await openStore({ dataDir: tempDir('fleetrelay-bench-'), databaseUrl: dbUrl });
  const services = createServices({ store, clock: systemClock, random: cryptoRandom(), domain: DOMAIN }, { registrationTtlMs: 60_000 });
  await services.accounts.ensureDefaultAccount();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < FLEET; i = next++) {
        const serial = `LOAD-${i}`;
        const { credentials } = await services.devices.provision({ kind: 'cli' }, { serial, model: 'LoadJet' });
        fleet[i] = { deviceId: credentials.deviceId, token: credentials.token, serial, model: 'LoadJet' };
      }
    }),
  );
  await store.close();
  note(`${n(FLEET)} devices provisioned in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
log(`node ${process.version}; ${cpuModel}; PostgreSQL + NATS on this machine; schema ${schema}; BOSH wait ${WAIT} s; relay args: ${RELAY_ARGS.join(' ') || '(none)'}`);
const backlog = Number(readFileSync('/proc/sys/net/core/netdev_max_backlog', 'utf8'));
if (backlog < 16384 && SESSIONS > 20_000)
  log(`net.core.netdev_max_backlog is ${backlog}: at this many loopback connections the kernel drops packets and keep-alive aborts connections (docs/benchmarks.md); sysctl -w net.core.netdev_max_backlog=65536`);

// Stopped from outside (Ctrl-C, a timeout): the same clean-up as at the end.
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    note(`${sig}: stopping the relays and load processes, dropping ${schema}`);
    for (const c of loads) c.kill('SIGKILL');
    void Promise.all(relays.map((r) => r.stop().catch(() => undefined)))
      .then(() => admin.query(`DROP SCHEMA ${schema} CASCADE`))
      .finally(() => process.exit(1));
  });

try {
  await provision();
  if (PARTS.has('push')) {
    const a = await relay('a');
    const b = await relay('b');
    token = cliJson<{ token: string }>(a.dataDir, ['--database-url', dbUrl, 'token', 'create', '--admin']).token;
    const devices = fleet.slice(0, PUSH_DEVICES);
    const load = loadProcess(a.url, devices);
    const up = await untilConnected([load], PUSH_DEVICES, 30);
    for (let i = 0; i < 100 && (await gauge(b.url, 'fleetrelay_devices_online')) < up.connected; i++) await sleep(100);
    log(`\n## push: nodes a and b (one process each), ${n(up.connected)} devices on a; GETs for ${SECONDS} s at each rate`);
    const pids = [a.proc.pid!, b.proc.pid!];
    const runs = RATES.flatMap((rate) => [[`${rate}/s, same node (API on a)`, a, rate], [`${rate}/s, cross node (API on b)`, b, rate]] as const);
    for (const [name, via, rate] of [...runs, ...runs]) {
      const ticks = pids.map((p) => proc(p).ticks);
      const m0 = machine();
      const results = await getsAtRate(via.url, devices, rate);
      const m1 = machine();
      const used = pids.map((p, i) => ((proc(p).ticks - ticks[i]!) * 10) / results.length);
      const ok = results.filter((r) => r.status === 200).map((r) => r.ms).sort((x, y) => x - y);
      log(
        `${name.padEnd(32)} p50 ${ms(pct(ok, 50))}, p99 ${ms(pct(ok, 99))}, max ${ms(pct(ok, 100))}, non-200 ${results.length - ok.length} of ${results.length}; CPU per round trip: a ${used[0]!.toFixed(3)} ms, b ${used[1]!.toFixed(3)} ms; machine ${((100 * (m1[0] - m0[0])) / (m1[1] - m0[1])).toFixed(0)} % busy`,
      );
    }
    await stopLoads();
    await Promise.all([a.stop(), b.stop()]);
    relays.length = 0;
  }

  if (PARTS.has('hold') || PARTS.has('storm')) {
    let r = await relay('h', { workers: WORKERS });
    if (!token) token = cliJson<{ token: string }>(r.dataDir, ['--database-url', dbUrl, 'token', 'create', '--admin']).token;
    await sleep(5000);
    const idlePids = relayPids(r);
    const baseRss = sum(idlePids, 'rssKiB');
    log(`\n## hold: serve --workers ${WORKERS} --max-sessions ${MAX_SESSIONS} (${idlePids.length} processes), ${n(SESSIONS)} devices in ${LOAD} load processes × ${ADDRESSES_PER_LOAD} source addresses, ${CONCURRENCY} session setups at once per load process`);
    log(`relay RSS idle:           ${(baseRss / 1024).toFixed(0)} MiB (all ${idlePids.length} processes)`);

    const per = Math.ceil(SESSIONS / LOAD);
    const children = Array.from({ length: LOAD }, (_, i) => loadProcess(r.url, fleet.slice(i * per, Math.min(SESSIONS, (i + 1) * per))));
    let up!: Awaited<ReturnType<typeof untilConnected>>;
    const loadPids = children.map((c) => c.pid!);
    const setupLoad = sum(loadPids, 'ticks');
    const primary0 = proc(idlePids[0]!).ticks;
    const setupCpu = await cpuWhile(() => idlePids, async () => void (up = await untilConnected(children, SESSIONS, 60)));
    const primaryMs = ((proc(idlePids[0]!).ticks - primary0) * 10) / up.connected;
    const setupLoadPct = (sum(loadPids, 'ticks') - setupLoad) / setupCpu.secs;
    await sleep(10_000); // presence flushed (every 2 s), the directory told to every node (every 50 ms)
    const pids = relayPids(r);
    const clients = await allConnected(children);
    const stored = await onlineInStore();
    const online = await gauge(r.url, 'fleetrelay_devices_online');
    const nodes = await gauge(r.url, 'fleetrelay_cluster_nodes');
    const heldRss = sum(pids, 'rssKiB');
    const byNode = await sessionsByNode(r.url, WORKERS);
    log(`sessions held:            ${n(stored)} ONLINE in the store (SELECT count(*) FROM devices WHERE online); the devices count ${n(clients)} bound; fleetrelay_devices_online ${n(online)}; fleetrelay_cluster_nodes ${nodes}`);
    if (up.last.failed || up.last.ended) log(`  failed attempts and lost sessions while connecting: ${Object.entries(up.last.reasons).sort((x, y) => y[1] - x[1]).slice(0, 4).map(([k, v]) => `${n(v)} × ${k}`).join('; ')}; 503s: ${n(up.last.busy)}`);
    log(`fleetrelay_bosh_sessions: ${n([...byNode.values()].reduce((a, b) => a + b, 0))} summed over ${byNode.size} workers (${[...byNode].sort().map(([k, v]) => `${k} ${n(v)}`).join(', ')})`);
    log(`sessions ended, by why:   ${[...endedByWhy].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${n(v)} ${k}`).join(', ') || 'none'} (fleetrelay_bosh_sessions_ended_total, all workers)`);
    log(`open files per process:   ${pids.map((p) => n(proc(p).fds)).join(', ')} (primary first)`);
    if (up.cut) log(`setup cut off after ${SETUP_MINUTES} minutes (--setup-minutes) with ${n(up.connected)} of ${n(SESSIONS)} bound; ${n(up.last.ended)} sessions were lost meanwhile`);
    const rates = [60, 180, 300, 600, 900, 1200].filter((t) => t < up.timeline.at(-1)![0]).map((t) => `${n(up.timeline.find(([s]) => s >= t)![1])} after ${t / 60} min`);
    log(`bound over time:          ${rates.join(', ')}`);
    log(`session setup:            ${n(up.connected / up.secs)}/s (${n(up.connected)} in ${up.secs.toFixed(1)} s); relay CPU ${((setupCpu.ticks * 10) / up.connected).toFixed(2)} ms per setup (${primaryMs.toFixed(2)} of it the primary's; ${setupCpu.pct.toFixed(0)} % of a core; load processes ${setupLoadPct.toFixed(0)} %; the machine ${setupCpu.machinePct.toFixed(0)} % busy)`);
    log(`relay RSS:                ${(baseRss / 1024).toFixed(0)} → ${(heldRss / 1024).toFixed(0)} MiB; ${((heldRss - baseRss) / clients).toFixed(1)} KiB per session`);
    log(`RSS per process:          ${pids.map((p) => `${(proc(p).rssKiB / 1024).toFixed(0)}`).join(', ')} MiB; load processes ${(sum(children.map((c) => c.pid!), 'rssKiB') / 1024).toFixed(0)} MiB`);
    const l0 = sum(loadPids, 'ticks');
    const each0 = pids.map((p) => proc(p).ticks);
    const idle = await cpuWhile(() => pids, () => sleep(IDLE_S * 1000));
    const each = pids.map((p, i) => (proc(p).ticks - each0[i]!) / idle.secs);
    log(`idle CPU:                 ${idle.pct.toFixed(1)} % of a core over ${idle.secs.toFixed(0)} s, all relay processes (${((idle.pct * 15000) / clients).toFixed(1)} % per 15k sessions); the load processes ${((sum(loadPids, 'ticks') - l0) / idle.secs).toFixed(1)} %; the machine ${idle.machinePct.toFixed(0)} % busy`);
    log(`idle CPU per process:     ${each.map((x) => x.toFixed(1)).join(', ')} % (primary first)`);
    const after = await allCounts(children);
    log(`after the idle minute(s):  ${n(after.connected)} bound; ${n(after.ended - up.last.ended)} sessions lost meanwhile`);
    if (r.deaths.length) log(`errors / worker deaths:   ${r.deaths.length}\n  ${r.deaths.slice(0, 5).join('\n  ')}`);

    if (PARTS.has('storm')) {
      const target = clients;
      const before = await allCounts(children);
      log(`\n## storm: SIGTERM to the relay holding ${n(target)} sessions, then serve again on the same ports`);
      const t0 = performance.now();
      const code = await r.stop();
      const stopped = (performance.now() - t0) / 1000;
      r = await relay('h', { workers: WORKERS, ports: r.ports, dataDir: r.dataDir });
      const ready = (performance.now() - t0) / 1000;
      const readyPids = relayPids(r);
      let back!: Awaited<ReturnType<typeof untilConnected>>;
      const cpu = await cpuWhile(() => readyPids, async () => void (back = await untilConnected(children, target, 120, 5)));
      await sleep(5000);
      const stored2 = await onlineInStore();
      const byNode2 = await sessionsByNode(r.url, WORKERS);
      const endPids = relayPids(r);
      // Sessions bound a second, over 5-second windows, from the devices' own count.
      let peak = 0;
      for (let i = 5; i < back.timeline.length; i++) peak = Math.max(peak, (back.timeline[i]![1] - back.timeline[i - 5]![1]) / (back.timeline[i]![0] - back.timeline[i - 5]![0]));
      log(`stop:                     exit code ${code} after ${stopped.toFixed(1)} s; all ${WORKERS} workers ready again ${ready.toFixed(1)} s after the SIGTERM`);
      log(`all ONLINE again:         ${n(back.connected)} of ${n(target)} bound ${(ready + back.secs).toFixed(1)} s after the SIGTERM (${back.secs.toFixed(1)} s after ready); ${n(stored2)} ONLINE in the store 5 s later`);
      log(`fleetrelay_bosh_sessions: ${[...byNode2].sort().map(([k, v]) => `${k} ${n(v)}`).join(', ')} (each worker's cap: ${n(Math.ceil(MAX_SESSIONS / WORKERS))})`);
      log(`sessions set up:          ${n(back.connected / back.secs)}/s on average from ready, ${n(peak)}/s at the most over 5 s; relay CPU ${cpu.pct.toFixed(0)} % of a core meanwhile; the machine ${cpu.machinePct.toFixed(0)} % busy`);
      log(`the devices saw:          ${n(back.last.busy - before.busy)} session attempts refused with 503 (admission), ${n(back.last.failed - before.failed)} failed otherwise, ${n(back.last.ended - before.ended)} sessions lost`);
      const why = Object.entries(back.last.reasons).map(([k, v]) => [k, v - (before.reasons[k] ?? 0)] as const).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
      log(`  why (failed, ended):    ${why.slice(0, 6).map(([k, v]) => `${n(v)} × ${k}`).join('; ')}`);
      log(`workers:                  ${readyPids.length - 1} at ready, ${endPids.length - 1} at the end, ${readyPids.filter((p) => !endPids.includes(p)).length} replaced; deaths and errors logged: ${r.deaths.length}`);
      if (r.deaths.length) log(`  ${r.deaths.slice(0, 5).join('\n  ')}`);
      log(`relay RSS after the storm: ${(sum(endPids, 'rssKiB') / 1024).toFixed(0)} MiB`);
    }
    await stopLoads();
    await r.stop();
  }
} finally {
  agent.destroy();
  for (const c of loads) c.kill('SIGKILL');
  await Promise.all(relays.map((r) => r.stop().catch(() => undefined)));
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
