/**
 * IPP for clients (issue 16): a relayed printer against Debian's ipptool running the test files
 * CUPS ships (ipp-everywhere.test among them), the header checks cupsd makes before asking for
 * credentials, HTTP Basic with an API token or a person's password, account scoping, Cancel-My-Jobs,
 * Identify-Printer, PWG Raster documents, and bad input (truncated, malformed, huge, wrong version,
 * unknown operation) answered with IPP statuses.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OID, PrinterMib } from '../src/device/sim/printer-mib.js';
import { VirtualPrinter } from '../src/device/sim/printer.js';
import { VirtualDevice } from '../src/device/sim/virtual-device.js';
import { decodeMessage, encodeMessage, GROUP, TAG, type IppAttribute, type IppMessage } from '../src/protocol/ipp/codec.js';
import { ippRequest } from '../src/protocol/ipp/requests.js';
import { onePagePdf } from './helpers/pdf.js';
import { whitePwgRaster } from './helpers/pwg-raster.js';
import { adminToken, api, cli, cliJson, startRelay, tempDir, until, type RelayProcess } from './helpers/relay.js';

const ipptool = (uri: string, file: string, document?: string): Promise<string> =>
  new Promise((resolve) =>
    execFile('ipptool', ['-t', '-T', '10', ...(document ? ['-f', document] : []), uri, file], { timeout: 30_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`)),
  );
const TESTS = '/usr/share/cups/ipptool';

/** ipptool exits 0 even when an included test fails: a test passed when its report has [PASS] and no [FAIL]. */
const passed = (out: string): void => {
  assert.match(out, /\[PASS\]/, out);
  assert.doesNotMatch(out, /\[FAIL\]/, out);
};

const PRINTER_URI: IppAttribute = { name: 'printer-uri', values: [{ tag: TAG.uri, value: 'ipp://relay/ipp/print/x' }] };
const CHARSET: IppAttribute = { name: 'attributes-charset', values: [{ tag: TAG.charset, value: 'utf-8' }] };
const LANGUAGE: IppAttribute = { name: 'attributes-natural-language', values: [{ tag: TAG.naturalLanguage, value: 'en' }] };

/** A request with the printer-uri and these operation attributes (operation, version and groups may be changed, to make bad ones). */
const op = (code: number, requestId: number, attributes: IppAttribute[] = []): Buffer => ippRequest(code, requestId, [PRINTER_URI, ...attributes]);
const gpa = (requestId: number, o: { version?: [number, number]; code?: number; groups?: IppMessage['groups'] } = {}): Buffer =>
  o.groups
    ? encodeMessage({ version: { major: o.version?.[0] ?? 2, minor: o.version?.[1] ?? 0 }, code: o.code ?? 0x000b, requestId, groups: o.groups })
    : ippRequest(o.code ?? 0x000b, requestId, [PRINTER_URI, { name: 'requested-attributes', values: [{ tag: TAG.keyword, value: 'printer-is-accepting-jobs' }, { tag: TAG.keyword, value: 'printer-state' }] }], { major: o.version?.[0] ?? 2, minor: o.version?.[1] ?? 0 });
const jobIdOf = (n: number): IppAttribute => ({ name: 'job-id', values: [{ tag: TAG.integer, value: n }] });
const nameOf = (name: string, value: string): IppAttribute => ({ name, values: [{ tag: TAG.nameWithoutLanguage, value }] });
const keywords = (name: string, ...v: string[]): IppAttribute => ({ name, values: v.map((value) => ({ tag: TAG.keyword, value })) });
const jobIdIn = (m: IppMessage): number => m.groups.find((g) => g.tag === GROUP.job)!.attributes.find((a) => a.name === 'job-id')!.values[0]!.value as number;

describe('IPP: a relayed printer for IPP clients (issue 16)', () => {
  let relay: RelayProcess;
  let admin: string;
  let printer: { deviceId: string; token: string };
  let other: { deviceId: string };

  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
    printer = cliJson(relay.dataDir, ['device', 'add', '--serial', 'IPP-1', '--model', 'MP C3004']);
    cliJson(relay.dataDir, ['account', 'add', 'acme']);
    other = cliJson(relay.dataDir, ['device', 'add', '--serial', 'IPP-ACME', '--model', 'MP C3004', '--account', 'acme']);
    assert.equal(cli(relay.dataDir, ['user', 'add', 'anna', '--password', 'anna pass 12']).code, 0);
    assert.equal((await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: printer.token, json: { acceptingJobs: true, status: 'idle' } })).status, 200);
  });
  after(() => relay.stop());

  const uri = (user: string, password: string, id = printer.deviceId) => `ipp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${new URL(relay.url).host}/ipp/print/${id}`;
  const post = (body: Buffer, auth = `Basic ${Buffer.from(`anna:${admin}`).toString('base64')}`, id = printer.deviceId) =>
    fetch(`${relay.url}/ipp/print/${id}`, { method: 'POST', headers: { 'content-type': 'application/ipp', authorization: auth }, body: new Uint8Array(body) });
  const status = async (r: Response) => {
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/ipp');
    return decodeMessage(Buffer.from(await r.arrayBuffer()))!.message;
  };

  it("passes CUPS's get-printer-attributes.test through ipptool, with an API token or a person's password", async () => {
    passed(await ipptool(uri('anna', admin), '/usr/share/cups/ipptool/get-printer-attributes.test'));
    passed(await ipptool(uri('anna', 'anna pass 12'), '/usr/share/cups/ipptool/get-printer-attributes.test'));
  });

  it("prints through ipptool with CUPS's validate-job, print-job, get-jobs and cancel-current-job tests; the job flows on as a REST job does", async () => {
    const pdf = join(tempDir(), 'minutes.pdf');
    writeFileSync(pdf, '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const as = uri('anna', admin);
    passed(await ipptool(as, `${TESTS}/validate-job.test`, pdf));
    const printed = await ipptool(as, `${TESTS}/print-job.test`, pdf);
    passed(printed);
    const jobs = (await api(relay.url, `/api/v1/jobs?printerId=${printer.deviceId}`, { token: admin })).body.items as { jobId: string; state: string; source: string; name: string }[];
    assert.equal(jobs.length, 1);
    assert.deepEqual([jobs[0]!.state, jobs[0]!.source], ['pending', 'ipp'], 'held for the printer, as a REST job');
    const doc = await fetch(`${relay.url}/device/v1/jobs/${jobs[0]!.jobId}/document`, { headers: { authorization: `Bearer ${printer.token}` } });
    assert.equal(await doc.text(), '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n', 'the printer fetches the very bytes ipptool sent');
    passed(await ipptool(as, `${TESTS}/get-jobs.test`));
    passed(await ipptool(as, `${TESTS}/cancel-current-job.test`));
    const after = (await api(relay.url, `/api/v1/jobs/${jobs[0]!.jobId}`, { token: admin })).body;
    assert.ok(['canceled', 'cancel-failed'].includes(after.state), `canceled mid-download by seed 002's table: ${after.state}`);

    // Create-Job, then Send-Document with the document: one job, made when its document comes.
    passed(await ipptool(as, `${TESTS}/create-job.test`, pdf));
    const both = (await api(relay.url, `/api/v1/jobs?printerId=${printer.deviceId}`, { token: admin })).body.items as { jobId: string; state: string; source: string }[];
    assert.equal(both.length, 2);
    assert.deepEqual([both[0]!.state, both[0]!.source], ['pending', 'ipp']);
  });

  it('keeps a Create-Job open for its document: cancelled or closed without one it is gone; one document a job', async () => {
    const jobId = (m: IppMessage) => m.groups.find((g) => g.tag === GROUP.job)!.attributes.find((a) => a.name === 'job-id')!.values[0]!.value as number;
    const created = await status(await post(op(0x0005, 30)));
    assert.equal(created.code, 0x0000);
    const n = jobId(created);
    const incoming = await status(await post(op(0x0009, 31, [jobIdOf(n)])));
    assert.deepEqual(incoming.groups.find((g) => g.tag === GROUP.job)!.attributes.find((a) => a.name === 'job-state-reasons')!.values[0]!.value, 'job-incoming');
    const noLast = await status(await post(Buffer.concat([op(0x0006, 32, [jobIdOf(n)]), Buffer.from('%PDF-1.4\n%%EOF\n')])));
    assert.equal(noLast.code, 0x0400, 'last-document is required (RFC 8011 §4.3.1.1)');
    const notLast = await status(await post(Buffer.concat([op(0x0006, 38, [jobIdOf(n), { name: 'last-document', values: [{ tag: TAG.boolean, value: false }] }]), Buffer.from('%PDF-1.4\n%%EOF\n')])));
    assert.equal(notLast.code, 0x0509, 'one document a job: last-document true');
    assert.equal((await status(await post(op(0x0008, 33, [jobIdOf(n)])))).code, 0x0000, 'cancelled while open');
    const late = op(0x0006, 34, [jobIdOf(n), { name: 'last-document', values: [{ tag: TAG.boolean, value: true }] }]);
    assert.equal((await status(await post(Buffer.concat([late, Buffer.from('%PDF-1.4\n%%EOF\n')])))).code, 0x0406, 'gone');
    const closed = jobId(await status(await post(op(0x0005, 35))));
    assert.equal((await status(await post(op(0x003b, 36, [jobIdOf(closed)])))).code, 0x0000);
    assert.equal((await status(await post(op(0x0009, 37, [jobIdOf(closed)])))).code, 0x0406, 'closed without a document: dropped');
  });

  it('says the printer accepts jobs as it said itself (seed 003), and stops when it says it does not', async () => {
    const attrs = async () => Object.fromEntries((await status(await post(gpa(3)))).groups.find((g) => g.tag === GROUP.printer)!.attributes.map((a) => [a.name, a.values[0]!.value]));
    assert.deepEqual(await attrs(), { 'printer-is-accepting-jobs': true, 'printer-state': 3 });
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: printer.token, json: { acceptingJobs: false } });
    assert.deepEqual(await attrs(), { 'printer-is-accepting-jobs': false, 'printer-state': 5 });
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: printer.token, json: { acceptingJobs: true } });
  });

  it('refuses a Print-Job while the printer does not accept jobs (server-error-not-accepting-jobs), reading the document to the end, making no job', async () => {
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: printer.token, json: { acceptingJobs: false } });
    try {
      const head = op(0x0002, 20);
      const body = Buffer.concat([head, Buffer.alloc(2 * 1024 * 1024, 0x25)]);
      const before = (await api(relay.url, `/api/v1/jobs?printerId=${printer.deviceId}`, { token: admin })).body.items.length;
      assert.equal((await status(await post(body))).code, 0x0506);
      assert.equal((await api(relay.url, `/api/v1/jobs?printerId=${printer.deviceId}`, { token: admin })).body.items.length, before);
    } finally {
      await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: printer.token, json: { acceptingJobs: true } });
    }
  });

  it('checks the header before credentials (request-id 0 is a bad request, as ipp-2.0.test expects), then asks for them with 401; the description needs none', async () => {
    const anonymously = (body: Buffer, id = printer.deviceId) => fetch(`${relay.url}/ipp/print/${id}`, { method: 'POST', headers: { 'content-type': 'application/ipp' }, body: new Uint8Array(body) });
    assert.equal((await status(await anonymously(gpa(0)))).code, 0x0400);
    // CUPS asks for the printer's description without credentials while it makes a queue's PPD (as cupsd and ippeveprinter answer it).
    const described = await status(await anonymously(gpa(1)));
    assert.equal(described.code, 0x0000);
    assert.ok(described.groups.some((g) => g.tag === GROUP.printer && g.attributes.some((a) => a.name === 'printer-is-accepting-jobs')));
    // Everything else asks for credentials; libcups starts every request without them, so none given is not a failure (never 429).
    for (let i = 0; i < 40; i++) {
      const asked = await anonymously(op(0x000a, 100 + i));
      assert.equal(asked.status, 401, `request ${i}`);
      assert.match(asked.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    }
    assert.equal((await post(gpa(1), `Basic ${Buffer.from('anna:wrong password').toString('base64')}`)).status, 401);
  });

  it("answers another account's printer, and one that does not exist, with client-error-not-found", async () => {
    const acme = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'default']).token;
    assert.equal((await status(await post(gpa(5), `Basic ${Buffer.from(`x:${acme}`).toString('base64')}`, other.deviceId))).code, 0x0406);
    assert.equal((await status(await post(gpa(6), undefined, 'dnosuchprinter'))).code, 0x0406);
  });

  it("Cancel-My-Jobs cancels the caller's unfinished jobs on this printer, those of job-ids only when given; another user's stay", async () => {
    const pdf = onePagePdf();
    const printAs = async (user: string, id: number) => jobIdIn(await status(await post(Buffer.concat([op(0x0002, id, [nameOf('requesting-user-name', user)]), pdf]))));
    const state = async (n: number) =>
      (await status(await post(op(0x0009, 400 + n, [jobIdOf(n), keywords('requested-attributes', 'job-state')])))).groups.find((g) => g.tag === GROUP.job)!.attributes.find((a) => a.name === 'job-state')!.values[0]!.value;
    const [mine1, mine2, mine3, bobs] = [await printAs('carla', 40), await printAs('carla', 41), await printAs('carla', 42), await printAs('bob', 43)];
    const open = jobIdIn(await status(await post(op(0x0005, 44, [nameOf('requesting-user-name', 'carla')]))));
    const cancelMine = (id: number, extra: IppAttribute[] = []) => post(op(0x0039, id, [nameOf('requesting-user-name', 'carla'), ...extra]));

    // job-ids naming another user's job: refused, nothing canceled.
    const refused = await status(await cancelMine(45, [{ name: 'job-ids', values: [{ tag: TAG.integer, value: mine1 }, { tag: TAG.integer, value: bobs }] }]));
    assert.equal(refused.code, 0x0404);
    assert.deepEqual([await state(mine1), await state(bobs)], [3, 3], 'nothing canceled');
    assert.equal((await status(await cancelMine(46, [{ name: 'job-ids', values: [{ tag: TAG.integer, value: 999_999 }] }]))).code, 0x0406, 'no such job');

    // job-ids: only those.
    assert.equal((await status(await cancelMine(47, [{ name: 'job-ids', values: [{ tag: TAG.integer, value: mine1 }] }]))).code, 0x0000);
    assert.deepEqual([await state(mine1), await state(mine2)], [7, 3]);

    // All the caller's: the rest of carla's, and her job still waiting for its document; bob's stays.
    assert.equal((await status(await cancelMine(48))).code, 0x0000);
    assert.deepEqual([await state(mine2), await state(mine3), await state(bobs)], [7, 7, 3]);
    assert.equal((await status(await post(op(0x0009, 49, [jobIdOf(open)])))).code, 0x0406, 'the open job is dropped');
    const jobs = (await api(relay.url, `/api/v1/jobs?printerId=${printer.deviceId}`, { token: admin })).body.items as { state: string; createdBy: string }[];
    assert.deepEqual(jobs.filter((j) => j.createdBy.startsWith('bob ')).map((j) => j.state), ['pending']);
    assert.ok(jobs.filter((j) => j.createdBy.startsWith('carla ')).every((j) => j.state === 'canceled'));
    await post(op(0x0008, 50, [jobIdOf(bobs)]));
  });

  it('answers Identify-Printer for a printer without a session with server-error-service-unavailable', async () => {
    const m = await status(await post(op(0x003c, 51, [keywords('identify-actions', 'display')])));
    assert.equal(m.code, 0x0502);
    assert.match(String(m.groups[0]!.attributes.find((a) => a.name === 'status-message')!.values[0]!.value), /offline/);
  });

  it('takes a PWG Raster document (sniffed by its sync word too) and refuses image/urf, which it does not handle', async () => {
    const raster = whitePwgRaster();
    const format = (f: string): IppAttribute => ({ name: 'document-format', values: [{ tag: TAG.mimeMediaType, value: f }] });
    const named = jobIdIn(await status(await post(Buffer.concat([op(0x0002, 60, [format('image/pwg-raster')]), raster]))));
    const sniffed = jobIdIn(await status(await post(Buffer.concat([op(0x0002, 61, [format('application/octet-stream')]), raster]))));
    const jobs = (await api(relay.url, `/api/v1/jobs?printerId=${printer.deviceId}`, { token: admin })).body.items as { jobId: string; documentType: string; documentSize: number }[];
    assert.deepEqual(jobs.slice(0, 2).map((j) => [j.documentType, j.documentSize]), [['image/pwg-raster', raster.length], ['image/pwg-raster', raster.length]]);
    const doc = await fetch(`${relay.url}/device/v1/jobs/${jobs[0]!.jobId}/document`, { headers: { authorization: `Bearer ${printer.token}` } });
    assert.ok(Buffer.from(await doc.arrayBuffer()).equals(raster), 'the printer gets the raster as sent');
    const before = jobs.length;
    assert.equal((await status(await post(Buffer.concat([op(0x0002, 62, [format('image/urf')]), raster])))).code, 0x040a);
    assert.equal((await api(relay.url, `/api/v1/jobs?printerId=${printer.deviceId}`, { token: admin })).body.items.length, before, 'no job made');
    for (const [i, n] of [named, sniffed].entries()) await post(op(0x0008, 63 + i, [jobIdOf(n)]));
  });

  it('describes what it does: page-ranges reach the ticket, overrides are named as ignored, queued-job-count counts, the icon is a PNG', async () => {
    const described = async () =>
      Object.fromEntries((await status(await post(op(0x000b, 70)))).groups.find((g) => g.tag === GROUP.printer)!.attributes.map((a) => [a.name, a.values.map((v) => v.value)]));
    const before = await described();
    assert.match(String(before['printer-device-id']![0]), /^MFG:Unknown;MDL:MP C3004;CMD:PDF,PWGRaster,JPEG,PNG,TXT;SN:IPP-1;$/);
    assert.deepEqual(before['job-creation-attributes-supported'], ['copies', 'media', 'page-ranges', 'print-color-mode', 'print-quality', 'sides']);
    const ranges: IppAttribute = { name: 'page-ranges', values: [{ tag: TAG.rangeOfInteger, value: { lower: 1, upper: 1 } }, { tag: TAG.rangeOfInteger, value: { lower: 3, upper: 4 } }] };
    const overrides: IppAttribute = { name: 'overrides', values: [{ tag: TAG.begCollection, value: [{ name: 'pages', values: [{ tag: TAG.rangeOfInteger, value: { lower: 1, upper: 1 } }] }] }] };
    const printed = await status(await post(Buffer.concat([encodeMessage({ version: { major: 2, minor: 0 }, code: 0x0002, requestId: 71, groups: [{ tag: GROUP.operation, attributes: [CHARSET, LANGUAGE, PRINTER_URI] }, { tag: GROUP.job, attributes: [ranges, overrides] }] }), onePagePdf()])));
    assert.equal(printed.code, 0x0001, 'overrides ignored, and said so');
    assert.deepEqual(printed.groups.find((g) => g.tag === GROUP.unsupported)!.attributes.map((a) => a.name), ['overrides']);
    const job = (await api(relay.url, `/api/v1/jobs?printerId=${printer.deviceId}`, { token: admin })).body.items[0] as { jobId: string; ticket: Record<string, unknown> };
    assert.deepEqual(job.ticket['page-ranges'], [[1, 1], [3, 4]], 'the printer is given the ranges');
    assert.equal((await described())['queued-job-count']![0], (before['queued-job-count']![0] as number) + 1);
    const icon = await fetch(String(before['printer-icons']![0]));
    assert.equal(icon.headers.get('content-type'), 'image/png');
    assert.deepEqual([...Buffer.from(await icon.arrayBuffer()).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    await post(op(0x0008, 72, [jobIdOf(jobIdIn(printed))]));
  });

  it('answers bad input with IPP statuses and stays healthy: truncated, malformed, huge, wrong version, unknown operation, wrong charset', async () => {
    const whole = gpa(7);
    assert.equal((await status(await post(whole.subarray(0, whole.length - 3)))).code, 0x0400, 'truncated');
    assert.equal((await status(await post(Buffer.from([2, 0, 0, 11, 0, 0, 0, 8, 0x01, 0x37, 0, 1, 0x61, 0, 0, 3])))).code, 0x0400, 'malformed');
    assert.equal((await status(await post(gpa(9, { version: [3, 0] })))).code, 0x0503, 'version');
    assert.equal((await status(await post(gpa(10, { code: 0x4242 })))).code, 0x0501, 'unknown operation');
    const latin = gpa(11, { groups: [{ tag: GROUP.operation, attributes: [{ name: 'attributes-charset', values: [{ tag: TAG.charset, value: 'iso-8859-1' }] }, LANGUAGE] }] });
    assert.equal((await status(await post(latin))).code, 0x040d, 'charset');
    const noUri = gpa(14, { groups: [{ tag: GROUP.operation, attributes: [CHARSET, LANGUAGE] }] });
    assert.equal((await status(await post(noUri))).code, 0x0400, 'no printer-uri (RFC 8011 §4.2)');
    const huge = gpa(12, { groups: [{ tag: GROUP.operation, attributes: [CHARSET, { name: 'x', values: Array.from({ length: 400 }, () => ({ tag: TAG.keyword, value: 'k'.repeat(1000) })) }] }] });
    assert.equal((await status(await post(huge))).code, 0x0409, 'the attributes take more than 256 KiB');
    const many = gpa(15, { groups: [{ tag: GROUP.operation, attributes: [CHARSET, { name: 'x', values: Array.from({ length: 21_000 }, () => ({ tag: TAG.integer, value: 1 })) }] }] });
    assert.equal((await status(await post(many))).code, 0x0400, 'more values than the codec takes');
    // Random bytes, many times: an IPP status each time, never a crash.
    for (let i = 0; i < 50; i++) {
      const r = await post(Buffer.from(Array.from({ length: 40 + i }, (_, k) => (k * 7919 + i * 104729) % 256)));
      assert.equal(r.status, 200);
    }
    assert.equal((await api(relay.url, '/healthz')).status, 200);
    assert.equal((await status(await post(gpa(13)))).code, 0x0000, 'still answering');
  });

  it('counts asking for unknown printers without credentials as failing: guessing printer IDs is cut off', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await fetch(`${relay.url}/ipp/print/dguess${i}`, { method: 'POST', headers: { 'content-type': 'application/ipp' }, body: new Uint8Array(gpa(200 + i)) });
      codes.push((await status(r)).code);
    }
    assert.equal(codes[0], 0x0406);
    assert.equal(codes.at(-1), 0x0401, codes.join(','));
  });
});

describe('IPP over TLS: ipps:// when the relay serves HTTPS (--tls-cert)', () => {
  it('names its printers ipps:// with tls security, and takes credentials and jobs over it', async () => {
    const dir = tempDir();
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const relay = await startRelay({ args: ['--tls-cert', cert, '--tls-key', key] });
    try {
      const printer = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'IPPS-1', '--model', 'MP C3004']);
      const admin = adminToken(relay.dataDir);
      const ipps = (body: Buffer, auth?: string) =>
        new Promise<IppMessage>((resolve, reject) => {
          const req = httpsRequest(`${relay.url}/ipp/print/${printer.deviceId}`, { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/ipp', ...(auth ? { authorization: auth } : {}) } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve(decodeMessage(Buffer.concat(chunks))!.message));
          });
          req.on('error', reject);
          req.end(body);
        });
      const described = await ipps(ippRequest(0x000b, 1, [PRINTER_URI]));
      const value = (name: string) => described.groups.find((g) => g.tag === GROUP.printer)!.attributes.find((a) => a.name === name)!.values.map((v) => v.value);
      assert.deepEqual(value('printer-uri-supported'), [`ipps://${new URL(relay.url).host}/ipp/print/${printer.deviceId}`]);
      assert.deepEqual(value('uri-security-supported'), ['tls']);
      const auth = `Basic ${Buffer.from(`anna:${admin}`).toString('base64')}`;
      const pdf = Buffer.from('%PDF-1.4\n%%EOF\n');
      const printed = await ipps(Buffer.concat([ippRequest(0x0002, 2, [PRINTER_URI, { name: 'document-format', values: [{ tag: TAG.mimeMediaType, value: 'application/pdf' }] }]), pdf]), auth);
      assert.equal(printed.code, 0x0506, 'authenticated over TLS, and refused as the printer has not said it accepts jobs');
    } finally {
      await relay.stop();
    }
  });

  it("passes CUPS's tests through ipptool over ipps://, with the relay held to TLS 1.2 (Debian 12's libcups 2.4.2 fails on TLS 1.3)", async () => {
    const dir = tempDir();
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    const relay = await startRelay({ args: ['--tls-cert', cert, '--tls-key', key], env: { NODE_OPTIONS: '--tls-max-v1.2' } });
    try {
      const printer = cliJson<{ deviceId: string }>(relay.dataDir, ['device', 'add', '--serial', 'IPPS-2', '--model', 'MP C3004']);
      const uri = `ipps://anna:${adminToken(relay.dataDir)}@localhost:${new URL(relay.url).port}/ipp/print/${printer.deviceId}`;
      passed(await ipptool(uri, `${TESTS}/get-printer-attributes.test`));
      passed(await ipptool(uri, `${TESTS}/get-jobs.test`));
    } finally {
      await relay.stop();
    }
  });
});

describe('IPP Everywhere (PWG 5100.14): ipp-everywhere.test, Identify-Printer with a device online', () => {
  let relay: RelayProcess;
  let admin: string;
  let printer: VirtualPrinter;
  let mfp: VirtualDevice;
  let mib: PrinterMib;
  let printerId: string;
  let mfpId: string;

  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
    const p = cliJson<{ deviceId: string; jid: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'EVERYWHERE-1', '--model', 'MP C3004']);
    printerId = p.deviceId;
    printer = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: p, pageMs: 5 });
    await printer.start();
    const m = cliJson<{ deviceId: string; jid: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'EVERYWHERE-MFP', '--model', 'MFC-L2750']);
    mfpId = m.deviceId;
    mib = new PrinterMib({ model: 'MFC-L2750', serial: 'EVERYWHERE-MFP' });
    mfp = new VirtualDevice({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: m, mib });
    await mfp.start();
    await until('both online', async () => {
      const online = await Promise.all([printerId, mfpId].map(async (id) => (await api(relay.url, `/api/v1/devices/${id}`, { token: admin })).body.online));
      return online.every(Boolean) ? true : undefined;
    });
  });
  after(async () => {
    await printer.stop().catch(() => undefined);
    await mfp.stop().catch(() => undefined);
    await relay.stop();
  });

  const uri = (id: string) => `ipp://anna:${encodeURIComponent(admin)}@${new URL(relay.url).host}/ipp/print/${id}`;
  const post = (id: string, body: Buffer) =>
    fetch(`${relay.url}/ipp/print/${id}`, { method: 'POST', headers: { 'content-type': 'application/ipp', authorization: `Basic ${Buffer.from(`anna:${admin}`).toString('base64')}` }, body: new Uint8Array(body) });
  const message = async (r: Response) => decodeMessage(Buffer.from(await r.arrayBuffer()))!.message;
  const displayed = (): string => {
    const o = mib.get([OID.prtConsoleDisplayBufferText])[0]!;
    return 'value' in o ? o.value : o.error;
  };

  it("passes CUPS's ipp-everywhere.test (with ipp-1.1 and ipp-2.0) printing a real PDF; the printer prints the jobs", async () => {
    const pdf = join(tempDir(), 'page.pdf');
    writeFileSync(pdf, onePagePdf());
    const out = await ipptool(uri(printerId), `${TESTS}/ipp-everywhere.test`, pdf);
    passed(out);
    for (const name of ['PWG 5100.14 section 5.1/5.2 - Required Operations and Attributes', 'PWG 5100.12 section 6.2 - Required Printer Description Attributes', 'Get-Job-Attributes Until Job Complete', 'RFC 8011 section 4.2.5: Get-Printer-Attributes Operation (default)'])
      assert.match(out, new RegExp(`${name.slice(0, 60).replace(/[.()/]/g, '\\$&')}.*\\[PASS\\]`), `${name} ran and passed`);
    await until('the printer prints what ipptool sent and did not cancel', () => (printer.printed.length >= 2 ? true : undefined));
  });

  it("passes CUPS's identify-printer.test: the device shows a message on its display (a SET of prtConsoleDisplayBufferText)", async () => {
    passed(await ipptool(uri(mfpId), `${TESTS}/identify-printer.test`));
    assert.equal(displayed(), 'This is MFC-L2750 EVERYWHERE-MFP', 'sound asked: displayed instead');
    const asked = await message(await post(mfpId, ippRequest(0x003c, 2, [{ name: 'printer-uri', values: [{ tag: TAG.uri, value: uri(mfpId) }] }, keywords('identify-actions', 'display'), { name: 'message', values: [{ tag: TAG.textWithoutLanguage, value: 'Pick me up, Anna' }] }])));
    assert.equal(asked.code, 0x0000);
    assert.equal(displayed(), 'Pick me up, Anna');
  });

  it('answers Identify-Printer with client-error-not-possible, showing nothing, when the device refuses to write its display', async () => {
    /** A device whose console display is read-only: it refuses every SET. */
    class ReadOnlyMib extends PrinterMib {
      override set(objects: Parameters<PrinterMib['set']>[0]): ReturnType<PrinterMib['set']> {
        return objects.map((o) => ({ oid: o.oid, error: 'notWritable' as const }));
      }
    }
    const c = cliJson<{ deviceId: string; jid: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'NO-DISPLAY', '--model', 'MFC-L2750']);
    const device = new VirtualDevice({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: c, mib: new ReadOnlyMib({ model: 'MFC-L2750', serial: 'NO-DISPLAY' }) });
    await device.start();
    try {
      await until('online', async () => ((await api(relay.url, `/api/v1/devices/${c.deviceId}`, { token: admin })).body.online ? true : undefined));
      const m = await message(await post(c.deviceId, ippRequest(0x003c, 4, [{ name: 'printer-uri', values: [{ tag: TAG.uri, value: uri(c.deviceId) }] }])));
      assert.equal(m.code, 0x0404);
      assert.match(String(m.groups[0]!.attributes.find((a) => a.name === 'status-message')!.values[0]!.value), /cannot show a message on its display.*notWritable/);
    } finally {
      await device.stop();
    }
  });

});
