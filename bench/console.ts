/**
 * The console with a big fleet (issue 15's aims: /devices under 200 ms and the dashboard under
 * 300 ms with 100,000 devices in the store): provisions `--devices` devices (a tenth of them
 * tagged; each with a status whose toner is somewhere in 0–99 %, a firmware version, half of them
 * seen), signs in as a person, and times each page `--runs` times, one request at a time.
 *
 *   npm run build && [FLEETRELAY_TEST_STORE=postgres] node dist/bench/console.js [--devices 100000] [--runs 20]
 */
import { parseArgs } from 'node:util';
import { cli, startRelay } from '../test/helpers/relay.js';
import { databaseUrlFor } from '../test/helpers/store.js';
import { provisionFleet } from './fleet.js';
import { pct } from './measure.js';
import { EMPTY_STATUS } from '../src/domain/status.js';

const { values } = parseArgs({ options: { devices: { type: 'string', default: '100000' }, runs: { type: 'string', default: '20' } } });
const N = Number(values.devices);
const RUNS = Number(values.runs);

const relay = await startRelay({ args: ['--status-poll', '0'] });
try {
  const t0 = performance.now();
  let someId = '';
  await provisionFleet(relay.dataDir, N, {
    serial: (i) => `CON-${String(i).padStart(6, '0')}`,
    model: (i) => (i % 3 ? 'MP C3004' : 'HL-L2350'),
    each: async (device, i, store) => {
      const now = Date.now();
      if (i % 10 === 0) await store.devices.setTags(device.id, ['floor-3'], now);
      if (i === Math.floor(N / 2)) someId = device.id;
      // Every device has a status (its toner somewhere in 0–99 %: a tenth low), a firmware version, and half were seen.
      const percent = (i * 37) % 100;
      const supply = { index: 1, description: 'Black Toner', kind: 'tonerCartridge', colour: 'black', level: percent * 30, max: 3000, percent };
      await store.status.save(device.id, { ...EMPTY_STATUS, supplies: [supply], polledAt: now }, [{ object: 'supply.1', at: now - 86400_000, value: Math.min(100, percent + 5) }, { object: 'supply.1', at: now, value: percent }], now);
      await store.firmware.setDeviceVersion(device.id, i % 4 ? '2.0' : '1.0');
      if (i % 2) await store.devices.savePresence([{ deviceId: device.id, online: false, lastSeenAt: now - (i % 1000) * 60_000 }]);
    },
  });
  console.log(`${N} devices provisioned in ${((performance.now() - t0) / 1000).toFixed(0)} s (${databaseUrlFor(relay.dataDir) ? 'PostgreSQL' : 'SQLite'})`);

  if (cli(relay.dataDir, ['user', 'add', 'bench', '--password', 'bench password 1', '--admin']).code !== 0) throw new Error('user add failed');
  const login = await fetch(`${relay.url}/login`);
  const csrfCookie = /fr_login_csrf=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
  const form = new URLSearchParams({ _csrf: csrfCookie, next: '/', username: 'bench', password: 'bench password 1' });
  const signed = await fetch(`${relay.url}/login`, { method: 'POST', body: form, headers: { cookie: `fr_login_csrf=${csrfCookie}` }, redirect: 'manual' });
  const session = /fr_session=([^;]+)/.exec(signed.headers.get('set-cookie') ?? '')?.[1];
  if (!session) throw new Error(`sign-in failed: ${signed.status}`);

  const pages = ['/', '/devices', '/devices?state=offline', '/devices?tag=floor-3', '/devices?model=HL-L2350', '/devices?q=CON-0500', '/devices?sort=serial', '/devices?sort=seen', '/devices?supply=low', '/firmware', `/devices/${someId}`];
  console.log(`\n| page | p50 | p95 | max | bytes |\n|---|---|---|---|---|`);
  for (const path of pages) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS + 2; i++) {
      const s = performance.now();
      const res = await fetch(`${relay.url}${path}`, { headers: { cookie: `fr_session=${session}` } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      if (i >= 2) times.push(performance.now() - s); // two warm-ups
      bytes = body.length;
    }
    times.sort((a, b) => a - b);
    console.log(`| \`${path}\` | ${pct(times, 50).toFixed(1)} ms | ${pct(times, 95).toFixed(1)} ms | ${pct(times, 100).toFixed(1)} ms | ${bytes} |`);
  }
} finally {
  await relay.stop();
}
