/**
 * Both stores side by side in one run: the same benches against a relay on SQLite and on
 * PostgreSQL (a database made for the run on FLEETRELAY_TEST_DATABASE_URL's server, dropped
 * afterwards), and one table of the figures the PostgreSQL issue asks for.
 *
 *   npm run build && node dist/bench/stores.js [--devices 1000] [--sessions 2000] [--billing-devices 10000] [--billing-days 365]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../test/helpers/relay.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    sessions: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    'billing-devices': { type: 'string', default: '10000' },
    'billing-days': { type: 'string', default: '365' },
  },
});

/** A bench script's output lines, run with the environment that puts its relay on `store`. */
function bench(script: string, args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/bench', script), ...args], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  process.stderr.write(r.stdout);
  return r.stdout;
}

const grab = (out: string, re: RegExp): string => re.exec(out)?.[1] ?? '?';

function figures(env: NodeJS.ProcessEnv): Record<string, string> {
  const api = bench('api-latency.js', ['--devices', values.devices!, '--seconds', '5'], env);
  const reports = bench('reports-load.js', ['--devices', values.devices!, '--seconds', values.seconds!, '--billing-devices', values['billing-devices']!, '--billing-days', values['billing-days']!], env);
  const push = bench('relay-load.js', ['--sessions', values.sessions!, '--idle', '5', '--rate', '1000', '--seconds', values.seconds!], env);
  return {
    'provisioning (POST /api/v1/devices)': grab(api, /provision\)\s+(\d+ req\/s)/),
    'GET /api/v1/devices/{id}': grab(api, /GET \/api\/v1\/devices\/\{id\}\s+(\d+ req\/s\s+p50 [\d.]+ ms\s+p99 [\d.]+ ms)/),
    'reports ingested': grab(reports, /reports ingested:\s+(.+?);/),
    'billing export': grab(reports, /billing export:\s+HTTP \d+, (.+)/),
    'push GET round trip at 1,000/s': grab(push, /GET at \d+\/s:\s+(.+?), max/),
  };
}

function onPostgres<T>(fn: (env: NodeJS.ProcessEnv) => T): T {
  const made = spawnSync(process.execPath, [join(ROOT, 'scripts/test-database.mjs'), 'create'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`cannot make a PostgreSQL database for the bench: ${made.stderr}`);
  const url = made.stdout.trim();
  try {
    return fn({ FLEETRELAY_TEST_STORE: 'postgres', FLEETRELAY_TEST_RUN_DATABASE_URL: url });
  } finally {
    spawnSync(process.execPath, [join(ROOT, 'scripts/test-database.mjs'), 'drop', url], { stdio: 'inherit' });
  }
}

const sqlite = figures({ FLEETRELAY_TEST_STORE: 'sqlite' });
const postgres = onPostgres(figures);
console.log(`\n${'figure'.padEnd(38)} ${'SQLite'.padEnd(48)} PostgreSQL`);
for (const k of Object.keys(sqlite)) console.log(`${k.padEnd(38)} ${sqlite[k]!.padEnd(48)} ${postgres[k]}`);
