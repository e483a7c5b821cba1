/**
 * IPP for clients (issue 16), first part: Get-Printer-Attributes against a relayed printer, with
 * Debian's ipptool running the test file CUPS ships, the header checks cupsd makes before asking
 * for credentials, HTTP Basic with an API token or a person's password, account scoping, and bad
 * input (truncated, malformed, huge, wrong version, unknown operation) answered with IPP statuses.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeMessage, encodeMessage, GROUP, TAG, type IppAttribute, type IppMessage } from '../src/protocol/ipp/codec.js';
import { ippRequest } from '../src/protocol/ipp/requests.js';
import { adminToken, api, cli, cliJson, startRelay, tempDir, type RelayProcess } from './helpers/relay.js';

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
    const notLast = await status(await post(Buffer.concat([op(0x0006, 32, [jobIdOf(n)]), Buffer.from('%PDF-1.4\n%%EOF\n')])));
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
});
