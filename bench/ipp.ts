/**
 * IPP figures (issue 16) against a real relay process: a `--mb` MB PDF sent by Print-Job beside
 * the same file by the REST upload (multipart POST /api/v1/printers/{id}/jobs), each `--runs`
 * times, in MB/s; and Get-Printer-Attributes per second with `--clients` clients on kept-alive
 * connections for `--seconds`. The device's side: those documents fetched by the REST GET beside
 * INFRA's Fetch-Document (MB/s), and how long a job takes from the client's upload to an output
 * device's held Get-Notifications answering with it (`--events` jobs).
 *
 *   npm run build && node dist/bench/ipp.js [--mb 100] [--runs 5] [--clients 8] [--seconds 10]
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, writeFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { decodeMessage, encodeMessage, GROUP, TAG, type IppAttribute } from '../src/protocol/ipp/codec.js';
import { ippRequest } from '../src/protocol/ipp/requests.js';
import { adminToken, api, cliJson, startRelay, tempDir } from '../test/helpers/relay.js';
import { pct } from './measure.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '100' }, runs: { type: 'string', default: '5' }, clients: { type: 'string', default: '8' }, seconds: { type: 'string', default: '10' }, events: { type: 'string', default: '100' } } });
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

/** GETs a URL and counts the answer's bytes, as post() reads, so the two fetches of a document are timed alike. */
function get(url: string, headers: Record<string, string>): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    request(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ ms: performance.now() - t0, bytes }));
    })
      .on('error', reject)
      .end();
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

  // The device's side: half the documents by REST, half by Fetch-Document.
  const device = `Basic ${Buffer.from(`${printer.deviceId}:${printer.token}`).toString('base64')}`;
  const fetchable = await post(ippUrl, { authorization: device, 'content-type': 'application/ipp' }, operation(0x000a, 1, [{ name: 'which-jobs', values: [{ tag: TAG.keyword, value: 'fetchable' }] }]));
  const numbers = decodeMessage(fetchable.body)!.message.groups.filter((g) => g.tag === GROUP.job).map((g) => g.attributes.find((a) => a.name === 'job-id')!.values[0]!.value as number);
  const jobs = (await api(relay.url, `/api/v1/jobs?printerId=${printer.deviceId}&limit=500`, { token: admin })).body.items as { jobId: string }[];
  const byRest: number[] = [];
  const byInfra: number[] = [];
  for (let i = 0; i < Number(values.runs); i++) {
    const r = await get(`${relay.url}/device/v1/jobs/${jobs[2 * i]!.jobId}/document`, { authorization: `Bearer ${printer.token}` });
    if (r.bytes !== SIZE) throw new Error(`REST document: ${r.bytes} bytes`);
    byRest.push(r.ms);
    const q = await post(ippUrl, { authorization: device, 'content-type': 'application/ipp' }, operation(0x0042, i + 1, [{ name: 'job-id', values: [{ tag: TAG.integer, value: numbers[2 * i + 1]! }] }, { name: 'document-number', values: [{ tag: TAG.integer, value: 1 }] }]));
    if (q.body.length < SIZE) throw new Error(`Fetch-Document: ${q.body.length} bytes`);
    byInfra.push(q.ms);
  }
  console.log(`  device GET (REST)      ${mbps(byRest)}`);
  console.log(`  INFRA Fetch-Document   ${mbps(byInfra)}`);

  // A job's way to an output device: upload → its held Get-Notifications answers.
  const subscription = encodeMessage({
    version: { major: 2, minor: 0 },
    code: 0x0016,
    requestId: 1,
    groups: [
      { tag: GROUP.operation, attributes: [{ name: 'attributes-charset', values: [{ tag: TAG.charset, value: 'utf-8' }] }, { name: 'attributes-natural-language', values: [{ tag: TAG.naturalLanguage, value: 'en' }] }, { name: 'printer-uri', values: [{ tag: TAG.uri, value: 'ipp://relay/ipp/print/bench' }] }] },
      { tag: GROUP.subscription, attributes: [{ name: 'notify-pull-method', values: [{ tag: TAG.keyword, value: 'ippget' }] }] },
    ],
  });
  const subscribed = decodeMessage((await post(ippUrl, { authorization: device, 'content-type': 'application/ipp' }, subscription)).body)!.message;
  const sid = subscribed.groups.find((g) => g.tag === GROUP.subscription)!.attributes.find((a) => a.name === 'notify-subscription-id')!.values[0]!.value as number;
  const tiny = Buffer.from('%PDF-1.4\n%%EOF\n');
  const lags: number[] = [];
  let next = sid;
  for (let i = 0; i < Number(values.events); i++) {
    const seq = (await post(ippUrl, { authorization: device, 'content-type': 'application/ipp' }, operation(0x001c, 1, [{ name: 'notify-subscription-ids', values: [{ tag: TAG.integer, value: sid }] }, { name: 'notify-sequence-numbers', values: [{ tag: TAG.integer, value: next }] }])));
    next = lastSeq(seq.body) ?? next; // catch up: the next poll waits for the next job
    const held = post(ippUrl, { authorization: device, 'content-type': 'application/ipp' }, operation(0x001c, 2, [{ name: 'notify-subscription-ids', values: [{ tag: TAG.integer, value: sid }] }, { name: 'notify-sequence-numbers', values: [{ tag: TAG.integer, value: next }] }, { name: 'notify-wait', values: [{ tag: TAG.boolean, value: true }] }]));
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    const form = new FormData();
    form.append('document', new Blob([new Uint8Array(tiny)]), 'tiny.pdf');
    const made = await fetch(`${relay.url}/api/v1/printers/${printer.deviceId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
    if (made.status !== 201) throw new Error(`upload: ${made.status}`);
    const told = await held;
    lags.push(performance.now() - t0);
    next = lastSeq(told.body) ?? next;
  }
  lags.sort((a, b) => a - b);
  console.log(`upload → output device told (held Get-Notifications), ${values.events} jobs: p50 ${pct(lags, 50).toFixed(1)} ms, p99 ${pct(lags, 99).toFixed(1)} ms, max ${pct(lags, 100).toFixed(1)} ms`);

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

/** The sequence number after the last event in a Get-Notifications answer. */
function lastSeq(body: Buffer): number | undefined {
  const events = decodeMessage(body)!.message.groups.filter((g) => g.tag === GROUP.eventNotification);
  const last = events.at(-1)?.attributes.find((a) => a.name === 'notify-sequence-number')?.values[0]?.value;
  return typeof last === 'number' ? last + 1 : undefined;
}
