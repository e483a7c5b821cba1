/**
 * IPP figures (issue 16) against a real relay process: a `--mb` MB PDF sent by Print-Job beside
 * the same file by the REST upload (multipart POST /api/v1/printers/{id}/jobs), each `--runs`
 * times, in MB/s; and Get-Printer-Attributes per second with `--clients` clients on kept-alive
 * connections for `--seconds`.
 *
 *   npm run build && node dist/bench/ipp.js [--mb 100] [--runs 5] [--clients 8] [--seconds 10]
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { TAG, type IppAttribute } from '../src/protocol/ipp/codec.js';
import { ippRequest } from '../src/protocol/ipp/requests.js';
import { adminToken, api, cliJson, startRelay, tempDir } from '../test/helpers/relay.js';
import { pct } from './measure.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '100' }, runs: { type: 'string', default: '5' }, clients: { type: 'string', default: '8' }, seconds: { type: 'string', default: '10' } } });
const SIZE = Number(values.mb) * 1_000_000;

const operation = (code: number, requestId: number, extra: IppAttribute[] = []): Buffer =>
  ippRequest(code, requestId, [{ name: 'printer-uri', values: [{ tag: TAG.uri, value: 'ipp://relay/ipp/print/bench' }] }, ...extra]);

/** POSTs a body (a buffer, or a stream of unknown length) and reads the whole answer; the milliseconds it took. */
function post(url: string, headers: Record<string, string>, body: Buffer | Readable, agent?: Agent): Promise<{ ms: number; status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

const relay = await startRelay({ args: ['--max-document', String(SIZE + 1_000_000), '--status-poll', '0'] });
try {
  const admin = adminToken(relay.dataDir);
  const printer = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'IPP-BENCH', '--model', 'MP C3004']);
  await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: printer.token, json: { acceptingJobs: true } });
  const file = join(tempDir(), 'big.pdf');
  writeFileSync(file, Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(SIZE - 9)]));
  const basic = `Basic ${Buffer.from(`bench:${admin}`).toString('base64')}`;
  const ippUrl = `${relay.url}/ipp/print/${printer.deviceId}`;

  const rest: number[] = [];
  const ipp: number[] = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const boundary = `----fleetrelay${i}`;
    const multipart = Readable.from(
      (async function* () {
        yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="document"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
        yield* createReadStream(file);
        yield Buffer.from(`\r\n--${boundary}--\r\n`);
      })(),
    );
    const r = await post(`${relay.url}/api/v1/printers/${printer.deviceId}/jobs`, { authorization: `Bearer ${admin}`, 'content-type': `multipart/form-data; boundary=${boundary}` }, multipart);
    if (r.status !== 201) throw new Error(`REST upload: ${r.status} ${r.body.toString().slice(0, 200)}`);
    rest.push(r.ms);
    const head = operation(0x0002, i + 1, [{ name: 'document-format', values: [{ tag: TAG.mimeMediaType, value: 'application/pdf' }] }]);
    const ippBody = Readable.from(
      (async function* () {
        yield head;
        yield* createReadStream(file);
      })(),
    );
    const q = await post(ippUrl, { authorization: basic, 'content-type': 'application/ipp' }, ippBody);
    if (q.status !== 200 || q.body.readUInt16BE(2) !== 0) throw new Error(`Print-Job: HTTP ${q.status}, IPP status 0x${q.body.readUInt16BE(2).toString(16)}`);
    ipp.push(q.ms);
  }
  const mbps = (runs: number[]) => {
    const xs = [...runs].sort((a, b) => a - b);
    return `${(SIZE / 1e6 / (pct(xs, 50) / 1000)).toFixed(0)} MB/s (p50 ${pct(xs, 50).toFixed(0)} ms, slowest ${pct(xs, 100).toFixed(0)} ms)`;
  };
  console.log(`${values.mb} MB PDF, ${values.runs} runs each, one after another:`);
  console.log(`  REST multipart upload  ${mbps(rest)}`);
  console.log(`  IPP Print-Job          ${mbps(ipp)}`);

  const agent = new Agent({ keepAlive: true, maxSockets: Number(values.clients) });
  const gpa = operation(0x000b, 1, [{ name: 'requested-attributes', values: [{ tag: TAG.keyword, value: 'all' }] }]);
  const until = performance.now() + Number(values.seconds) * 1000;
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: Number(values.clients) }, async () => {
      while (performance.now() < until) {
        const r = await post(ippUrl, { authorization: basic, 'content-type': 'application/ipp' }, gpa, agent);
        if (r.status !== 200) throw new Error(`Get-Printer-Attributes: HTTP ${r.status}`);
        times.push(r.ms);
      }
    }),
  );
  agent.destroy();
  times.sort((a, b) => a - b);
  console.log(`Get-Printer-Attributes (all), ${values.clients} clients, ${values.seconds} s: ${(times.length / Number(values.seconds)).toFixed(0)}/s, p50 ${pct(times, 50).toFixed(1)} ms, p99 ${pct(times, 99).toFixed(1)} ms`);
} finally {
  await relay.stop();
}
