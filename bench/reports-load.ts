/**
 * Remote management under load against a real relay process: reports ingested per second
 * (JSON, a mix of counters, toner-low repeats and user reports), and a billing export of a
 * large fleet's year of daily reads while other requests keep being served.
 *
 *   npm run build && node dist/bench/reports-load.js [--devices 1000] [--seconds 10] [--concurrency 64]
 *       [--billing-devices 10000] [--billing-days 365]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { openStore } from '../src/stores.js';
import { databaseUrlFor, ON_POSTGRES, storeSql } from '../test/helpers/store.js';
import { createServices } from '../src/services/index.js';
import { cryptoRandom } from '../src/services/kernel/secrets.js';
import { systemClock } from '../src/domain/clock.js';
import { cliJson, startRelay } from '../test/helpers/relay.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '64' },
    'billing-devices': { type: 'string', default: '10000' },
    'billing-days': { type: 'string', default: '365' },
  },
});
const DEVICES = Number(values.devices);
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const BILLING_DEVICES = Number(values['billing-devices']);
const BILLING_DAYS = Number(values['billing-days']);

const pct = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
/** A process's CPU so far, in clock ticks (10 ms): user and system. */
const cpuTicks = (pid: number): { user: number; sys: number } => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]), sys: Number(f[12]) };
};

const relay = await startRelay({ nodeArgs: process.env.RELAY_NODE_ARGS?.split(' ').filter(Boolean) });
const pid = relay.proc.pid!;
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const post = (path: string, token: string, body: unknown): Promise<{ status: number; ms: number }> =>
  new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const t0 = performance.now();
    const req = request(`${relay.url}${path}`, {
      method: 'POST',
      agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end(payload);
  });
const get = (path: string, token: string): Promise<{ status: number; ms: number; bytes: number }> =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(`${relay.url}${path}`, { agent, headers: { authorization: `Bearer ${token}` } });
    req.on('response', (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, bytes }));
    });
    req.on('error', reject);
    req.end();
  });

try {
  const admin = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--admin']).token;
  const store = await openStore({ dataDir: relay.dataDir, databaseUrl: databaseUrlFor(relay.dataDir) });
  const services = createServices({ store, clock: systemClock, random: cryptoRandom(), domain: 'fleetrelay.local' }, { registrationTtlMs: 60_000 });
  const fleet: { token: string; total: number }[] = [];
  for (let i = 0; i < DEVICES; i++)
    fleet.push({ token: (await services.devices.provision({ kind: 'cli' }, { serial: `RPT-${i}`, model: 'LoadJet' })).credentials.token, total: 0 });
  await store.close();
  console.log(`node ${process.version}; ${DEVICES} devices, ${CONCURRENCY} concurrent clients, ${SECONDS} s`);

  // Reports per second: counters (rising), toner-low repeats (de-duplicated alerts), user reports.
  {
    const ms: number[] = [];
    const bad = new Map<number, number>();
    let n = 0;
    const c0 = cpuTicks(pid);
    const b0 = process.cpuUsage();
    const end = performance.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < end) {
          const i = n++;
          const d = fleet[i % fleet.length]!;
          const kind = i % 4;
          const body =
            kind < 2 ? { kind: 'counters', total: (d.total += 7), mono: d.total, colour: 0 } : kind === 2 ? { kind: 'error', code: '341' } : { kind: 'user-report', text: `streaks ${i % 50}` };
          const r = await post('/device/v1/reports', d.token, body);
          ms.push(r.ms);
          if (r.status !== 200) bad.set(r.status, (bad.get(r.status) ?? 0) + 1);
        }
      }),
    );
    const b1 = process.cpuUsage(b0);
    const c1 = cpuTicks(pid);
    ms.sort((a, b) => a - b);
    const per = (ticks: number): string => ((ticks * 10) / ms.length).toFixed(3);
    console.log(`reports ingested:          ${Math.round(ms.length / SECONDS)}/s, p50 ${pct(ms, 50).toFixed(2)} ms, p99 ${pct(ms, 99).toFixed(2)} ms, non-200 ${[...bad.values()].reduce((a, b) => a + b, 0)}${bad.size ? ` (${[...bad].map(([s, k]) => `${k}× ${s}`).join(', ')})` : ''}; relay CPU ${per(c1.user + c1.sys - c0.user - c0.sys)} ms per report`);
    console.log(`  CPU per report:          relay user ${per(c1.user - c0.user)} + system ${per(c1.sys - c0.sys)} ms; this load generator ${((b1.user + b1.system) / 1000 / ms.length).toFixed(3)} ms`);
  }

  // A year of daily reads for a large fleet, written straight into the database.
  {
    const t0 = performance.now();
    if (ON_POSTGRES) await billingDataOnPostgres(relay.dataDir);
    else {
      const db = new Database(join(relay.dataDir, 'fleetrelay.db'));
      db.pragma('busy_timeout = 10000');
      const day0 = Date.UTC(2025, 0, 1);
      const insertDevice = db.prepare(`INSERT INTO devices (id, account_id, serial, model, capabilities, created_at, updated_at) VALUES (?, 'default', ?, 'BillJet', '{}', ?, ?)`);
      const insertRead = db.prepare(`INSERT INTO reports (device_id, account_id, type, total, mono, colour, via, received_at) VALUES (?, 'default', 'counters', ?, ?, ?, 'json', ?)`);
      for (let start = 0; start < BILLING_DEVICES; start += 500) {
        db.transaction(() => {
          for (let i = start; i < Math.min(start + 500, BILLING_DEVICES); i++) {
            const id = `dbill${String(i).padStart(8, '0')}`;
            insertDevice.run(id, `BILL-${i}`, day0, day0);
            let total = 0;
            for (let day = 0; day < BILLING_DAYS; day++) {
              total += 50 + (i % 40);
              insertRead.run(id, total, Math.floor(total * 0.7), total - Math.floor(total * 0.7), day0 + day * 86400_000 + 10 * 3600_000);
            }
          }
        })();
      }
      db.close();
    }
    console.log(`billing data:              ${BILLING_DEVICES} devices × ${BILLING_DAYS} daily reads written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Export the year while a client keeps asking for one device every 20 ms.
    const probe: number[] = [];
    let exporting = true;
    const prober = (async () => {
      while (exporting) {
        probe.push((await get('/api/v1/devices/dbill00000001', admin)).ms);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const e0 = performance.now();
    const r = await get('/api/v1/billing?from=2025-01-01&to=2026-01-01', admin);
    const exportS = (performance.now() - e0) / 1000;
    exporting = false;
    await prober;
    probe.sort((a, b) => a - b);
    console.log(`billing export:            HTTP ${r.status}, ${(r.bytes / 1048576).toFixed(1)} MiB for ${BILLING_DEVICES + DEVICES} devices in ${exportS.toFixed(1)} s`);
    console.log(`other traffic meanwhile:   ${probe.length} requests, p50 ${pct(probe, 50).toFixed(2)} ms, p99 ${pct(probe, 99).toFixed(2)} ms, max ${pct(probe, 100).toFixed(2)} ms`);
  }
} finally {
  agent.destroy();
  await relay.stop();
}

/** The same year of reads as the SQLite loop above (day d's total is (d + 1) × (50 + i % 40)), in two statements. */
async function billingDataOnPostgres(dataDir: string): Promise<void> {
  const day0 = Date.UTC(2025, 0, 1);
  await storeSql(
    dataDir,
    `INSERT INTO devices (id, account_id, serial, model, capabilities, created_at, updated_at)
     SELECT 'dbill' || lpad(i::text, 8, '0'), 'default', 'BILL-' || i, 'BillJet', '{}', to_timestamp(? / 1000.0), to_timestamp(? / 1000.0)
     FROM generate_series(0, ? - 1) AS i`,
    day0, day0, BILLING_DEVICES,
  );
  await storeSql(
    dataDir,
    `INSERT INTO reports (device_id, account_id, type, total, mono, colour, via, received_at)
     SELECT 'dbill' || lpad(i::text, 8, '0'), 'default', 'counters', t, floor(t * 0.7), t - floor(t * 0.7), 'json', to_timestamp(? / 1000.0 + d * 86400 + 36000)
     FROM generate_series(0, ? - 1) AS i, generate_series(0, ? - 1) AS d, LATERAL (SELECT (d + 1) * (50 + i % 40) AS t) AS read`,
    day0, BILLING_DEVICES, BILLING_DAYS,
  );
}
