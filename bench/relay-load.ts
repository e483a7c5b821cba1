/**
 * Device sessions and the push relay under load, against one real relay process:
 * sessions held, RSS per idle session, session setup rate, CPU during idle churn, GET round
 * trips at a fixed rate and at the most the relay can do, and the time to the offline error.
 * Devices run in several load processes from source addresses 127.0.0.2, .3, … .
 *
 *   npm run build && node dist/bench/relay-load.js [--sessions 10000] [--workers 4] [--idle 60] [--rate 1000] [--seconds 10]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { OID } from '../src/device/sim/printer-mib.js';
import type { SimulatedDevice } from '../src/device/sim/simulator.js';
import { openStore } from '../src/stores.js';
import { databaseUrlFor } from '../test/helpers/store.js';
import { createServices } from '../src/services/index.js';
import { cryptoRandom } from '../src/services/kernel/secrets.js';
import { systemClock } from '../src/domain/clock.js';
import { cliJson, startRelay } from '../test/helpers/relay.js';
import { pct, procStat, sleep } from './measure.js';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '10000' },
    workers: { type: 'string', default: '4' },
    idle: { type: 'string', default: '60' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '64' },
  },
});
const SESSIONS = Number(values.sessions);
const WORKERS = Number(values.workers);
const IDLE_S = Number(values.idle);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const WAIT = 60;

const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

const relay = await startRelay({
  args: ['--bosh-wait', String(WAIT), '--log-level', 'info'],
  env: { FLEETRELAY_AUTH_FAILURES_PER_MINUTE: '1000000' },
  nodeArgs: process.env.RELAY_NODE_ARGS?.split(' ').filter(Boolean),
});
const pid = relay.proc.pid!;
const workers: ChildProcess[] = [];
try {
  const token = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--admin']).token;

  // Provision the fleet straight into the data directory (the relay sees it at once).
  const store = await openStore({ dataDir: relay.dataDir, databaseUrl: databaseUrlFor(relay.dataDir) });
  const services = createServices({ store, clock: systemClock, random: cryptoRandom(), domain: 'fleetrelay.local' }, { registrationTtlMs: 60_000 });
  const fleet: SimulatedDevice[] = [];
  for (let i = 0; i < SESSIONS + 1; i++) {
    const serial = `LOAD-${i}`;
    const { credentials } = await services.devices.provision({ kind: 'cli' }, { serial, model: 'LoadJet' });
    fleet.push({ deviceId: credentials.deviceId, token: credentials.token, serial, model: 'LoadJet' });
  }
  await store.close();
  const offlineDevice = fleet.pop()!;

  const heapUsed = async (): Promise<number> => {
    const m = await fetch(`${relay.url}/metrics`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text());
    return Number(/^fleetrelay_nodejs_heap_size_used_bytes (\S+)/m.exec(m)?.[1]);
  };
  await sleep(1000);
  const base = procStat(pid);
  const baseHeap = await heapUsed();

  // Connect every device, spread over WORKERS processes and source addresses.
  const t0 = performance.now();
  const perWorker = Math.ceil(SESSIONS / WORKERS);
  const started = await Promise.all(
    Array.from({ length: WORKERS }, (_, w) => {
      const child = fork(fileURLToPath(new URL('./device-worker.js', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      workers.push(child);
      return new Promise<{ connected: number; ms: number }>((resolve) => {
        child.on('message', (m: { started?: boolean; connected: number; ms: number }) => m.started && resolve(m));
        child.send({
          start: {
            relayUrl: relay.url,
            domain: 'fleetrelay.local',
            devices: fleet.slice(w * perWorker, (w + 1) * perWorker),
            source: `127.0.0.${2 + w}`,
            wait: WAIT,
            concurrency: Math.ceil(200 / WORKERS),
          },
        });
      });
    }),
  );
  const setupMs = performance.now() - t0;
  const connected = started.reduce((n, s) => n + s.connected, 0);
  await sleep(3000);
  const held = procStat(pid);
  const heldHeap = await heapUsed();
  const metrics = await fetch(`${relay.url}/metrics`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text());
  const sessionsGauge = Number(/^fleetrelay_bosh_sessions (\d+)/m.exec(metrics)?.[1]);

  console.log(`node ${process.version}; relay pid ${pid}; ${WORKERS} load processes from 127.0.0.2–${1 + WORKERS}; BOSH wait=${WAIT}`);
  console.log(`sessions held:            ${sessionsGauge} (devices connected ${connected} of ${SESSIONS})`);
  console.log(
    `session setup:            ${Math.round((connected / setupMs) * 1000)}/s (${connected} in ${(setupMs / 1000).toFixed(1)} s: create, SASL PLAIN, restart, bind, session); relay CPU ${(((held.cpuTicks - base.cpuTicks) * 10) / connected).toFixed(2)} ms per setup`,
  );
  console.log(`relay RSS:                ${(base.rssKiB / 1024).toFixed(1)} MiB idle → ${(held.rssKiB / 1024).toFixed(1)} MiB holding; ${((held.rssKiB - base.rssKiB) / connected).toFixed(1)} KiB per session (JS heap ${((heldHeap - baseHeap) / 1024 / connected).toFixed(1)} KiB of it)`);

  // Idle churn: every device re-requests once per `wait`.
  const c0 = procStat(pid).cpuTicks;
  const i0 = performance.now();
  await sleep(IDLE_S * 1000);
  const cpuPct = ((procStat(pid).cpuTicks - c0) / 100 / ((performance.now() - i0) / 1000)) * 100;
  console.log(`idle churn CPU:           ${cpuPct.toFixed(1)} % of a core over ${IDLE_S} s (${((cpuPct * 15000) / connected).toFixed(1)} % per 15k sessions)`);
  console.log(`relay RSS after idle:     ${(procStat(pid).rssKiB / 1024).toFixed(1)} MiB`);

  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const get = (deviceId: string): Promise<{ status: number; ms: number }> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ oids: [OID.sysName] });
      const t = performance.now();
      const req = request(`${relay.url}/api/v1/devices/${deviceId}/get`, {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const pick = (): string => fleet[Math.floor(Math.random() * connected)]!.deviceId;
  let cpuMark = procStat(pid).cpuTicks;
  const report = (name: string, results: { status: number; ms: number }[], secs: number): void => {
    const ok = results.filter((r) => r.status === 200).map((r) => r.ms).sort((a, b) => a - b);
    const ticks = procStat(pid).cpuTicks;
    const relayCpuMs = ((ticks - cpuMark) * 10) / results.length;
    cpuMark = ticks;
    console.log(
      `${name.padEnd(25)} ${Math.round(results.length / secs)}/s, p50 ${fmt(pct(ok, 50))}, p99 ${fmt(pct(ok, 99))}, max ${fmt(pct(ok, 100))}, non-200 ${results.length - ok.length}; relay CPU ${relayCpuMs.toFixed(3)} ms per round trip`,
    );
  };

  // Fixed rate (open loop): RATE GETs per second to random connected devices.
  {
    cpuMark = procStat(pid).cpuTicks;
    const results: { status: number; ms: number }[] = [];
    const inflight: Promise<void>[] = [];
    const start = performance.now();
    for (let i = 0; i < RATE * SECONDS; i++) {
      const due = start + (i * 1000) / RATE;
      const now = performance.now();
      if (due > now) await sleep(due - now);
      inflight.push(get(pick()).then((r) => void results.push(r)));
    }
    await Promise.all(inflight);
    report(`GET at ${RATE}/s:`, results, SECONDS);
  }

  // As many as the relay can do (closed loop, CONCURRENCY in flight).
  {
    const results: { status: number; ms: number }[] = [];
    const end = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < end) results.push(await get(pick()));
      }),
    );
    report(`GET max (${CONCURRENCY} in flight):`, results, SECONDS);
  }

  // The offline error (S351): never a wait.
  {
    const results: { status: number; ms: number }[] = [];
    for (let i = 0; i < 500; i++) results.push(await get(offlineDevice.deviceId));
    const ms = results.filter((r) => r.status === 409).map((r) => r.ms).sort((a, b) => a - b);
    console.log(`offline error (409):      p50 ${fmt(pct(ms, 50))}, p99 ${fmt(pct(ms, 99))} (${ms.length} of ${results.length})`);
  }
  agent.destroy();
  console.log(`relay RSS at the end:     ${(procStat(pid).rssKiB / 1024).toFixed(1)} MiB (JS heap used ${((await heapUsed()) / 1048576).toFixed(1)} MiB)`);
} finally {
  for (const w of workers) w.send({ stop: true });
  await sleep(2000);
  for (const w of workers) w.kill();
  await relay.stop();
}
