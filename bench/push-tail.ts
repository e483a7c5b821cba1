/**
 * The push relay's latency tail, side by side with ejabberd (issue 14), one server at a time on
 * the same machine and the same instrument: device sessions held in load processes (the SDK's
 * BOSH or WebSocket client, answering each pushed GET from its session), GETs pushed at a fixed
 * rate to the devices in turn, then as many as the server can do.
 *
 * FleetRelay is asked through its REST API (a full round trip: API → device → API); ejabberd, which
 * has no such API, through an XMPP client of its own sending the same IQ to the device's full JID.
 * One-way latency is the time from the ask to the pushed IQ's arrival at the device, both read on
 * CLOCK_MONOTONIC (measure.ts), which the bench and the load processes share.
 *
 *   npm run build && node dist/bench/push-tail.js [--sessions 15000] [--rate 1000] [--seconds 20]
 *     [--targets fleetrelay-websocket,fleetrelay-bosh,ejabberd-websocket,ejabberd-bosh] [--idle 40] [--samples prefix]
 *
 * ejabberd is Debian's package (apt-get install ejabberd), run privately with bench/peers/ejabberd.yml.
 * RELAY_NODE_ARGS passes Node flags to the relay, and BENCH_RELAY_LOG=file keeps what it printed
 * (with RELAY_NODE_ARGS=--trace-gc, its GC pauses).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sessionUrl } from '../src/device/sdk/stream-client.js';
import { WsClient } from '../src/device/sdk/ws-client.js';
import { OID } from '../src/device/sim/printer-mib.js';
import type { SimulatedDevice } from '../src/device/sim/simulator.js';
import { NS } from '../src/protocol/xmpp/namespaces.js';
import { el } from '../src/protocol/xmpp/xml.js';
import { cliJson, startRelay } from '../test/helpers/relay.js';
import { provisionFleet } from './fleet.js';
import { monotonicMs, pct, procStat, sleep } from './measure.js';
import { startEjabberd } from './peers/ejabberd.js';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '15000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    idle: { type: 'string', default: '40' },
    concurrency: { type: 'string', default: '64' },
    workers: { type: 'string', default: '4' },
    targets: { type: 'string', default: 'fleetrelay-websocket,fleetrelay-bosh,ejabberd-websocket,ejabberd-bosh' },
    /** Write every sample (ask time, one way, round trip, in ms) here, one JSON file per target. */
    samples: { type: 'string' },
  },
});
const SESSIONS = Number(values.sessions);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const IDLE_S = Number(values.idle);
const CONCURRENCY = Number(values.concurrency);
const WORKERS = Number(values.workers);
const WAIT = 60;

type Transport = 'bosh' | 'websocket';

/** A server under test, with its fleet provisioned and a way to push one GET. */
interface Server {
  pid: number;
  url: string;
  domain: string;
  devices: SimulatedDevice[];
  /** Asks `device` for sysName; resolves with the pushed request's ID once the answer is back. */
  push(device: SimulatedDevice): Promise<{ requestId: string; ok: boolean }>;
  stop(): Promise<void>;
}

async function fleetRelay(): Promise<Server> {
  const relay = await startRelay({
    args: ['--bosh-wait', String(WAIT), '--admit-rate', '1000000'],
    env: { FLEETRELAY_AUTH_FAILURES_PER_MINUTE: '1000000' },
    nodeArgs: process.env.RELAY_NODE_ARGS?.split(' ').filter(Boolean),
  });
  const token = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--admin']).token;
  const devices = await provisionFleet(relay.dataDir, SESSIONS, { serial: (i) => `TAIL-${i}` });
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const body = JSON.stringify({ oids: [OID.sysName] });
  return {
    pid: relay.proc.pid!,
    url: relay.url,
    domain: 'fleetrelay.local',
    devices,
    push: (device) =>
      new Promise((resolve, reject) => {
        const req = request(`${relay.url}/api/v1/devices/${device.deviceId}/get`, {
          method: 'POST',
          agent,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        });
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ requestId: res.statusCode === 200 ? (JSON.parse(text) as { requestId: string }).requestId : '', ok: res.statusCode === 200 }));
        });
        req.on('error', reject);
        req.end(body);
      }),
    stop: async () => {
      agent.destroy();
      if (process.env.BENCH_RELAY_LOG) writeFileSync(process.env.BENCH_RELAY_LOG, relay.logs.join('\n'));
      await relay.stop();
    },
  };
}

async function ejabberd(): Promise<Server> {
  const server = await startEjabberd({ httpPort: 15280, domain: 'ejabberd.local' });
  const devices: SimulatedDevice[] = Array.from({ length: SESSIONS }, (_, i) => ({ deviceId: `tail-${i}`, token: randomBytes(12).toString('hex'), serial: `TAIL-${i}`, model: 'LoadJet' }));
  const api = { user: 'bench-api', password: randomBytes(12).toString('hex') };
  await server.register([api, ...devices.map((d) => ({ user: d.deviceId, password: d.token }))]);
  // The service side: one XMPP client sending each GET as the IQ FleetRelay would push.
  const waiting = new Map<string, (ok: boolean) => void>();
  const sender = new WsClient({
    url: sessionUrl(server.url, 'websocket'),
    domain: server.domain,
    onStanza: (s) => waiting.get(s.attrs.id ?? '')?.(s.attrs.type === 'result'),
    onEnd: () => undefined,
  });
  await sender.open(api.user, api.password, 'bench');
  let seq = 0;
  return {
    pid: server.pid,
    url: server.url,
    domain: server.domain,
    devices,
    push: (device) =>
      new Promise((resolve) => {
        const requestId = `p${++seq}`;
        waiting.set(requestId, (ok) => (waiting.delete(requestId), resolve({ requestId, ok })));
        sender.send(el('iq', { type: 'get', id: requestId, to: `${device.deviceId}@${server.domain}/relay` }, el('query', { xmlns: NS.push }, el('object', { oid: OID.sysName }))));
      }),
    stop: async () => {
      await sender.terminate();
      await server.stop();
    },
  };
}

/** Connects the fleet from WORKERS load processes (source addresses 127.0.0.2, .3, …). */
async function connect(server: Server, transport: Transport): Promise<{ workers: ChildProcess[]; connected: number }> {
  const per = Math.ceil(server.devices.length / WORKERS);
  const workers: ChildProcess[] = [];
  const started = await Promise.all(
    Array.from({ length: WORKERS }, (_, w) => {
      const child = fork(fileURLToPath(new URL('./device-worker.js', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      workers.push(child);
      return new Promise<number>((resolve) => {
        child.on('message', (m: { started?: boolean; connected: number }) => m.started && resolve(m.connected));
        child.send({
          start: { relayUrl: server.url, domain: server.domain, devices: server.devices.slice(w * per, (w + 1) * per), source: `127.0.0.${2 + w}`, wait: WAIT, concurrency: Math.ceil(400 / WORKERS), transport },
        });
      });
    }),
  );
  return { workers, connected: started.reduce((a, b) => a + b, 0) };
}

/** When each pushed request reached its device, from every load process. */
async function arrivals(workers: ChildProcess[]): Promise<Map<string, number>> {
  const lists = await Promise.all(
    workers.map(
      (w) =>
        new Promise<[string, number][]>((resolve) => {
          const on = (m: { pushes?: [string, number][] }): void => {
            if (!m.pushes) return;
            w.off('message', on);
            resolve(m.pushes);
          };
          w.on('message', on);
          w.send({ pushes: true });
        }),
    ),
  );
  return new Map(lists.flat());
}

const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1));
/** p50, p99 and max of a sample. */
const tail = (xs: number[]): [string, string, string] => {
  const s = [...xs].sort((a, b) => a - b);
  return [ms(pct(s, 50)), ms(pct(s, 99)), ms(pct(s, 100))];
};
const spread = (xs: number[]): string => {
  const [p50, p99, max] = tail(xs);
  return `p50 ${p50}, p99 ${p99}, max ${max} ms`;
};
const cell = (xs: number[]): string => {
  const [p50, p99, max] = tail(xs);
  return `${p50} / **${p99}** / ${max}`;
};

interface Figures {
  target: string;
  sessions: number;
  /** RSS over the server's own before the fleet connected, per session: 3 s after the last one connected, and after the idle period. */
  rssPerSessionKiB: number;
  settledRssPerSessionKiB: number;
  setupPerSecond: number;
  setupCpuMs: number;
  idleCpuPct: number;
  oneWay: number[];
  roundTrip: number[];
  failed: number;
  pushCpuPct: number;
  maxPerSecond: number;
  maxCpuMsPerTrip: number;
}

async function measure(target: string): Promise<Figures> {
  const [product, transport] = target.split('-') as ['fleetrelay' | 'ejabberd', Transport];
  const server = product === 'fleetrelay' ? await fleetRelay() : await ejabberd();
  let workers: ChildProcess[] = [];
  try {
    await sleep(2000);
    const base = procStat(server.pid);
    const t0 = performance.now();
    const c = await connect(server, transport);
    workers = c.workers;
    const setupS = (performance.now() - t0) / 1000;
    await sleep(3000);
    const held = procStat(server.pid);
    const i0 = performance.now();
    await sleep(IDLE_S * 1000);
    const settled = procStat(server.pid);
    const idleCpuPct = ((settled.cpuTicks - held.cpuTicks) / 100 / ((performance.now() - i0) / 1000)) * 100;

    // Fixed rate, open loop: the devices in turn, so no device has two requests at once.
    const asked: { device: SimulatedDevice; at: number; done: number; requestId: string; ok: boolean }[] = [];
    const inflight: Promise<void>[] = [];
    const cpu0 = procStat(server.pid).cpuTicks;
    const start = performance.now();
    const startMs = monotonicMs();
    for (let i = 0; i < RATE * SECONDS; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const device = server.devices[i % c.connected]!;
      const at = monotonicMs();
      inflight.push(
        server.push(device).then(
          (r) => void asked.push({ device, at, done: monotonicMs(), ...r }),
          () => void asked.push({ device, at, done: monotonicMs(), requestId: '', ok: false }),
        ),
      );
    }
    await Promise.all(inflight);
    const pushCpuPct = ((procStat(server.pid).cpuTicks - cpu0) / 100 / ((performance.now() - start) / 1000)) * 100;
    await sleep(200);
    const reached = await arrivals(workers);
    const ok = asked.filter((a) => a.ok && reached.has(a.requestId));
    if (values.samples)
      writeFileSync(`${values.samples}-${target}.json`, JSON.stringify(ok.map((a) => [a.at - startMs, reached.get(a.requestId)! - a.at, a.done - a.at].map((x) => Math.round(x * 1000) / 1000))));

    // As many as the server can do: CONCURRENCY in flight.
    let trips = 0;
    const cpu1 = procStat(server.pid).cpuTicks;
    const end = performance.now() + SECONDS * 1000;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < end) if ((await server.push(server.devices[next++ % c.connected]!)).ok) trips++;
      }),
    );
    const maxCpuMsPerTrip = ((procStat(server.pid).cpuTicks - cpu1) * 10) / trips;
    await arrivals(workers);
    return {
      target,
      sessions: c.connected,
      rssPerSessionKiB: (held.rssKiB - base.rssKiB) / c.connected,
      settledRssPerSessionKiB: (settled.rssKiB - base.rssKiB) / c.connected,
      setupPerSecond: c.connected / setupS,
      setupCpuMs: ((held.cpuTicks - base.cpuTicks) * 10) / c.connected,
      idleCpuPct,
      oneWay: ok.map((a) => reached.get(a.requestId)! - a.at),
      roundTrip: ok.map((a) => a.done - a.at),
      failed: asked.length - ok.length,
      pushCpuPct,
      maxPerSecond: trips / SECONDS,
      maxCpuMsPerTrip,
    };
  } finally {
    for (const w of workers) w.send({ stop: true });
    await sleep(2000);
    for (const w of workers) w.kill();
    await server.stop();
  }
}

console.log(`node ${process.version}; ${SESSIONS} sessions from ${WORKERS} load processes; GETs at ${RATE}/s for ${SECONDS} s, then ${CONCURRENCY} in flight for ${SECONDS} s`);
const all: Figures[] = [];
for (const target of values.targets.split(',')) {
  const f = await measure(target);
  all.push(f);
  console.log(
    `${target}: ${f.sessions} sessions, ${f.rssPerSessionKiB.toFixed(1)} KiB RSS each (${f.settledRssPerSessionKiB.toFixed(1)} after ${IDLE_S} s idle), setup ${Math.round(f.setupPerSecond)}/s (${f.setupCpuMs.toFixed(2)} ms CPU each), idle ${f.idleCpuPct.toFixed(1)} % CPU\n` +
      `  one way ${spread(f.oneWay)}; round trip ${spread(f.roundTrip)}; ${f.failed} failed; server CPU ${f.pushCpuPct.toFixed(0)} % of a core at ${RATE}/s\n` +
      `  max ${Math.round(f.maxPerSecond)} round trips/s, server CPU ${f.maxCpuMsPerTrip.toFixed(3)} ms each`,
  );
}
console.log('\n| | ' + all.map((f) => f.target).join(' | ') + ' |\n|---|' + all.map(() => '---|').join(''));
const row = (name: string, show: (f: Figures) => string): void => console.log(`| ${name} | ${all.map(show).join(' | ')} |`);
row('sessions held', (f) => String(f.sessions));
row('RSS per session, 3 s after setup', (f) => `${f.rssPerSessionKiB.toFixed(1)} KiB`);
row(`RSS per session after ${IDLE_S} s idle`, (f) => `${f.settledRssPerSessionKiB.toFixed(1)} KiB`);
row('session setup', (f) => `${Math.round(f.setupPerSecond)}/s`);
row('one way p50 / p99 / max (ms)', (f) => cell(f.oneWay));
row('round trip p50 / p99 / max (ms)', (f) => cell(f.roundTrip));
row(`server CPU at ${RATE}/s`, (f) => `${f.pushCpuPct.toFixed(0)} %`);
row('max round trips/s', (f) => `${Math.round(f.maxPerSecond)} (${f.maxCpuMsPerTrip.toFixed(3)} ms CPU each)`);
