/**
 * Cloud print figures (issue 5) against a real relay process:
 *  1. document delivery relay → printer: a 100 MB job's document fetched as a printer does
 *     (GET /device/v1/jobs/{id}/document), beside nginx (Debian's, `sendfile on`, one worker)
 *     serving the same file in the same run;
 *  2. cancel latency while the printer downloads: API cancel → the printer told, and → API answer;
 *  3. notification latency: submit (multipart POST) → job notice at the printer over its session.
 *
 *   npm run build && node dist/bench/print-delivery.js [--mb 100] [--runs 15] [--cancels 30] [--notices 100]
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { VirtualPrinter } from '../src/device/sim/printer.js';
import { adminToken, api, cliJson, startRelay, tempDir } from '../test/helpers/relay.js';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '100' }, runs: { type: 'string', default: '15' }, cancels: { type: 'string', default: '30' }, notices: { type: 'string', default: '100' } },
});
const SIZE = Number(values.mb) * 1_000_000;
const RUNS = Number(values.runs);

if (spawnSync('nginx', ['-v']).status !== 0) {
  console.error('nginx is needed for the comparison: apt-get install -y nginx');
  process.exit(1);
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));

/** Downloads a URL, discarding the body; resolves with the milliseconds it took. */
function fetchAll(url: string, headers: Record<string, string> = {}): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    get(url, { headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ ms: performance.now() - t0, bytes }));
    }).on('error', reject);
  });
}

async function startNginx(dir: string, port: number): Promise<() => void> {
  const conf = join(dir, 'nginx.conf');
  const temp = (n: string): string => `${n}_temp_path ${join(dir, n)};`;
  writeFileSync(
    conf,
    `user root; worker_processes 1; daemon off; pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')};
events { worker_connections 64; }
http { sendfile on; tcp_nopush on; access_log off; ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join(' ')}
  server { listen 127.0.0.1:${port}; root ${join(dir, 'www')}; } }\n`,
  );
  const p = spawn('nginx', ['-c', conf], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => get(`http://127.0.0.1:${port}/`, (res) => (res.resume(), r(true))).on('error', () => r(false)));
    if (ok) return () => p.kill();
    await sleep(50);
  }
  p.kill();
  throw new Error('nginx did not start');
}

async function submit(url: string, token: string, printerId: string, doc: Buffer, name: string): Promise<string> {
  const form = new FormData();
  form.append('document', new Blob([new Uint8Array(doc)], { type: 'application/pdf' }), name);
  const res = await fetch(`${url}/api/v1/printers/${printerId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  if (res.status !== 201) throw new Error(`submit: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { jobId: string }).jobId;
}

const pdf = (n: number): Buffer => Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(Math.max(0, n - 16)), Buffer.from('\n%%EOF\n')]);

const relay = await startRelay({ args: ['--max-document', String(SIZE + 1_000_000)] });
const dir = tempDir();
let stopNginx = (): void => {};
try {
  const admin = adminToken(relay.dataDir);
  const device = (serial: string) => cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', serial, '--model', 'BENCH-PRN']);

  // 1. Delivery throughput.
  const fetcher = device('FETCH');
  await fetch(`${relay.url}/device/v1/printer/state`, { method: 'POST', headers: { authorization: `Bearer ${fetcher.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ acceptingJobs: true }) });
  const doc = pdf(SIZE);
  mkdirSync(join(dir, 'www'), { recursive: true });
  writeFileSync(join(dir, 'www', 'doc.pdf'), doc);
  const jobId = await submit(relay.url, admin, fetcher.deviceId, doc, 'big.pdf');
  const port = 20000 + Math.floor(Math.random() * 20000);
  stopNginx = await startNginx(dir, port);
  const mbs = (x: { ms: number; bytes: number }): number => x.bytes / 1e6 / (x.ms / 1000);
  const r = { relay: [] as number[], nginx: [] as number[] };
  // One unmeasured fetch each first: the page cache and the servers are then warm for both.
  await fetchAll(`http://127.0.0.1:${port}/doc.pdf`);
  await fetchAll(`${relay.url}/device/v1/jobs/${jobId}/document`, { authorization: `Bearer ${fetcher.token}` });
  for (let i = 0; i < RUNS; i++) {
    r.nginx.push(mbs(await fetchAll(`http://127.0.0.1:${port}/doc.pdf`)));
    r.relay.push(mbs(await fetchAll(`${relay.url}/device/v1/jobs/${jobId}/document`, { authorization: `Bearer ${fetcher.token}` })));
  }
  console.log(`document delivery, ${(SIZE / 1e6).toFixed(0)} MB, median of ${RUNS}`);
  console.log(`  nginx (sendfile) ${pct(r.nginx, 50).toFixed(0).padStart(5)} MB/s   (runs: ${r.nginx.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`  relay            ${pct(r.relay, 50).toFixed(0).padStart(5)} MB/s   (runs: ${r.relay.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`  relay / nginx: ${((100 * pct(r.relay, 50)) / pct(r.nginx, 50)).toFixed(0)} %`);
  stopNginx();

  // 2. Cancel while downloading, and 3. notification latency: printers on sessions.
  const events = new Map<string, number>();
  const onEvent = (e: string, id: string): void => void events.set(`${e}:${id}`, performance.now());
  const waitFor = async (key: string, limitMs = 30_000): Promise<number> => {
    const end = Date.now() + limitMs;
    while (!events.has(key)) {
      if (Date.now() > end) throw new Error(`no ${key}`);
      await sleep(1);
    }
    return events.get(key)!;
  };
  const slow = device('SLOW');
  const slowPrinter = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: slow, bytesPerSecond: 4_000_000, onEvent });
  await slowPrinter.start();
  const toPrinter: number[] = [];
  const toAnswer: number[] = [];
  const cancelDoc = pdf(8_000_000);
  for (let i = 0; i < Number(values.cancels); i++) {
    const id = await submit(relay.url, admin, slow.deviceId, cancelDoc, 'cancel-me.pdf');
    await waitFor(`downloading:${id}`);
    await sleep(100);
    const t0 = performance.now();
    const res = await api(relay.url, `/api/v1/jobs/${id}/cancel`, { method: 'POST', token: admin });
    const tAnswer = performance.now();
    if (res.body.state !== 'canceled') throw new Error(`cancel: ${JSON.stringify(res.body)}`);
    toPrinter.push((await waitFor(`canceled:${id}`)) - t0);
    toAnswer.push(tAnswer - t0);
    await waitFor(`canceled-while-fetching:${id}`);
  }
  await slowPrinter.stop();
  console.log(`\ncancel while the printer downloads (${toPrinter.length} cancels of an 8 MB job at 4 MB/s)`);
  console.log(`  API call → printer stops   p50 ${ms(pct(toPrinter, 50))}  p99 ${ms(pct(toPrinter, 99))}  max ${ms(Math.max(...toPrinter))}`);
  console.log(`  API call → answer canceled p50 ${ms(pct(toAnswer, 50))}  p99 ${ms(pct(toAnswer, 99))}  max ${ms(Math.max(...toAnswer))}`);

  const quick = device('QUICK');
  const printer = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: quick, pageMs: 1, onEvent });
  await printer.start();
  const notice: number[] = [];
  const small = pdf(20_000);
  for (let i = 0; i < Number(values.notices); i++) {
    const t0 = performance.now();
    const id = await submit(relay.url, admin, quick.deviceId, small, 'note.pdf');
    notice.push((await waitFor(`notified:${id}`)) - t0);
    await waitFor(`completed:${id}`);
  }
  await printer.stop();
  console.log(`\nsubmit (20 kB multipart POST) → job notice at the printer over its BOSH session (${notice.length} jobs, one at a time)`);
  console.log(`  p50 ${ms(pct(notice, 50))}  p99 ${ms(pct(notice, 99))}  max ${ms(Math.max(...notice))}`);
} finally {
  stopNginx();
  await relay.stop();
}
