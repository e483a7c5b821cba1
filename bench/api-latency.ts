/**
 * Northbound API under load against a real relay process: every request authenticates its
 * bearer token against SQLite (no cache), so this measures the store's point reads too.
 *
 *   npm run build && node dist/bench/api-latency.js [--devices 10000] [--seconds 10] [--concurrency 32]
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { api, cliJson, startRelay } from '../test/helpers/relay.js';

const { values } = parseArgs({
  options: { devices: { type: 'string', default: '10000' }, seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '32' } },
});
const DEVICES = Number(values.devices);
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function load(name: string, base: string, makePath: (i: number) => string, token: string): Promise<void> {
  const latencies: number[] = [];
  let errors = 0;
  const end = Date.now() + SECONDS * 1000;
  let n = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      const t0 = performance.now();
      const r = await fetch(base + makePath(n++), { headers: { authorization: `Bearer ${token}` } });
      await r.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (r.status !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  latencies.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(34)} ${String(Math.round(latencies.length / SECONDS)).padStart(6)} req/s  ` +
      `p50 ${pct(latencies, 50).toFixed(2)} ms  p99 ${pct(latencies, 99).toFixed(2)} ms  max ${pct(latencies, 100).toFixed(1)} ms  errors ${errors}`,
  );
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const relay = await startRelay();
try {
  const token = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--admin']).token;
  const t0 = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < DEVICES; i += 64) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(64, DEVICES - i) }, (_, k) =>
        api(relay.url, '/api/v1/devices', { method: 'POST', token, json: { serial: `BENCH-${i + k}`, model: 'BenchJet 9000', capabilities: { memoryMB: 512 } } }),
      ),
    );
    ids.push(...batch.map((r) => r.body.deviceId as string));
  }
  const provisionSecs = (performance.now() - t0) / 1000;
  console.log(`node ${process.version}, ${DEVICES} devices, ${CONCURRENCY} concurrent clients, ${SECONDS} s per run`);
  console.log(`${'POST /api/v1/devices (provision)'.padEnd(34)} ${String(Math.round(DEVICES / provisionSecs)).padStart(6)} req/s  (64 in flight)`);
  await load('GET /api/v1/devices/{id}', relay.url, (i) => `/api/v1/devices/${ids[i % ids.length]}`, token);
  await load('GET /api/v1/devices?limit=100', relay.url, () => '/api/v1/devices?limit=100', token);
  await load('GET /api/v1/devices?limit=500', relay.url, () => '/api/v1/devices?limit=500', token);
  await load('GET /healthz (no auth, baseline)', relay.url, () => '/healthz', token);
  console.log(`relay RSS after the runs: ${rssMiB(relay.proc.pid!).toFixed(1)} MiB`);
} finally {
  await relay.stop();
}
