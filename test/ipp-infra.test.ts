/**
 * IPP INFRA (issue 16, PWG 5100.18): an output device authenticated with its device token
 * subscribes to its printer's job events, long-polls them, fetches jobs and their documents and
 * reports their states — run by Debian's ipptool (a client nobody here wrote) and by the SDK's
 * virtual printer in its IPP mode, with cancel mid-download by seed 002's table.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPERATION, STATUS } from '../src/domain/ipp.js';
import { IppDeviceClient } from '../src/device/sdk/ipp-client.js';
import { IppPrinter } from '../src/device/sim/ipp-printer.js';
import { decodeMessage, GROUP, TAG, type IppAttribute } from '../src/protocol/ipp/codec.js';
import { ippRequest } from '../src/protocol/ipp/requests.js';
import { adminToken, api, cliJson, ROOT, startRelay, until, type RelayProcess } from './helpers/relay.js';

const ipptool = (uri: string, file: string): Promise<string> =>
  new Promise((resolve) => execFile('ipptool', ['-t', '-T', '40', uri, file], { timeout: 60_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`)));

const int = (name: string, value: number): IppAttribute => ({ name, values: [{ tag: TAG.integer, value }] });

describe('IPP INFRA: output devices fetch over IPP (issue 16)', () => {
  let relay: RelayProcess;
  let admin: string;
  const printers: IppPrinter[] = [];

  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
  });
  after(async () => {
    await Promise.all(printers.map((p) => p.stop()));
    await relay.stop();
  });

  const provision = (serial: string) => cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', serial, '--model', 'IPP Printer']);
  const submit = async (printerId: string, document: Buffer, name = 'minutes.pdf', ticket?: Record<string, unknown>) => {
    const form = new FormData();
    if (ticket) form.append('ticket', JSON.stringify(ticket));
    form.append('document', new Blob([new Uint8Array(document)]), name);
    const r = await fetch(`${relay.url}/api/v1/printers/${printerId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
    assert.equal(r.status, 201, await r.clone().text());
    return ((await r.json()) as { jobId: string }).jobId;
  };
  const job = async (id: string) => (await api(relay.url, `/api/v1/jobs/${id}`, { token: admin })).body as { state: string; history: { state: string; detail: string }[] };
  const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type /Page>>endobj\ntrailer<<>>\n%%EOF\n');
  const startPrinter = async (serial: string, o: Partial<ConstructorParameters<typeof IppPrinter>[0]> = {}) => {
    const credentials = provision(serial);
    const events: string[] = [];
    const printer = new IppPrinter({ relayUrl: relay.url, credentials, onEvent: (e) => events.push(e), ...o });
    printers.push(printer);
    await printer.start();
    return { credentials, printer, events };
  };

  it("passes an output device's round through ipptool: subscribe, long-poll, fetch, acknowledge, report done", async () => {
    const d = provision('INFRA-TOOL');
    assert.equal((await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: d.token, json: { acceptingJobs: true } })).status, 200);
    const jobId = await submit(d.deviceId, PDF);
    const out = await ipptool(`ipp://${d.deviceId}:${d.token}@${new URL(relay.url).host}/ipp/print/${d.deviceId}`, join(ROOT, 'test/ipp/output-device.test'));
    assert.match(out, /\[PASS\]/, out);
    assert.doesNotMatch(out, /\[FAIL\]/, out);
    const j = await job(jobId);
    assert.equal(j.state, 'completed');
    assert.deepEqual(j.history.map((h) => h.state), ['pending', 'notified', 'fetched', 'processing', 'completed']);
    assert.match(j.history[1]!.detail, /acknowledged by the printer over IPP/);
    // Update-Output-Device-Attributes said "ready to print"; Deregister-Output-Device stopped acceptance.
    const printer = (await api(relay.url, `/api/v1/printers/${d.deviceId}`, { token: admin })).body;
    assert.equal(printer.acceptingJobs, false);
  });

  it('prints with the virtual printer in IPP mode: accepting, a job announced by the long-poll, fetched, printed, completed', async () => {
    const { credentials, printer, events } = await startPrinter('INFRA-SDK');
    const state = (await api(relay.url, `/api/v1/printers/${credentials.deviceId}`, { token: admin })).body;
    assert.equal(state.acceptingJobs, true, 'Update-Output-Device-Attributes is seed 003 acceptance');
    // Made while the printer is held in Get-Notifications: the poll wakes at once.
    await new Promise((r) => setTimeout(r, 300));
    const jobId = await submit(credentials.deviceId, PDF);
    await until('printed', () => (printer.printed.length === 1 ? true : undefined));
    assert.ok(events.includes('completed 1 page'), events.join(', '));
    assert.equal((await job(jobId)).state, 'completed');
  });

  it("takes the ticket from Fetch-Job: copies and page-ranges decide what it prints", async () => {
    const { credentials, printer, events } = await startPrinter('INFRA-TICKET');
    const fivePages = Buffer.from(`%PDF-1.4\n${Array.from({ length: 5 }, (_, i) => `${i + 1} 0 obj<</Type /Page>>endobj`).join('\n')}\ntrailer<<>>\n%%EOF\n`);
    await submit(credentials.deviceId, fivePages, 'five.pdf', { copies: 2, 'page-ranges': [[2, 3]] });
    await until('printed', () => (printer.printed.length === 1 ? true : undefined));
    assert.ok(events.includes('completed 4 pages (2 pages × 2 copies)'), events.join(', '));
  });

  it('a job made before the printer subscribed is reported on its first poll', async () => {
    const credentials = provision('INFRA-EARLY');
    assert.equal((await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: credentials.token, json: { acceptingJobs: true } })).status, 200);
    const jobId = await submit(credentials.deviceId, PDF);
    const printer = new IppPrinter({ relayUrl: relay.url, credentials });
    printers.push(printer);
    await printer.start();
    await until('printed', () => (printer.printed.length === 1 ? true : undefined));
    assert.equal((await job(jobId)).state, 'completed');
  });

  it('cancel mid-download: C5 (no session) deletes at once, the download is cut short, the printer hears of it and cannot report it done', async () => {
    const { credentials, events, printer } = await startPrinter('INFRA-CANCEL', { bytesPerSecond: 200_000 });
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2_000_000, 0x41)]);
    const jobId = await submit(credentials.deviceId, big, 'big.pdf');
    await until('downloading', () => (events.includes('downloading') ? true : undefined));
    const canceled = await api(relay.url, `/api/v1/jobs/${jobId}/cancel`, { method: 'POST', token: admin });
    assert.equal(canceled.status, 200);
    assert.equal(canceled.body.state, 'canceled');
    assert.match((await job(jobId)).history.at(-1)!.detail, /^C5/);
    await until('the printer stopped', () => (events.some((e) => e === 'canceled' || e === 'canceled-while-fetching') ? true : undefined));
    assert.equal(printer.printed.length, 0);
    // A late report of the job done does not undo the cancel.
    const client = new IppDeviceClient({ printerUrl: `${relay.url}/ipp/print/${credentials.deviceId}`, deviceId: credentials.deviceId, token: credentials.token });
    const numbers = await client.ask(OPERATION.getJobs, [{ name: 'which-jobs', values: [{ tag: TAG.keyword, value: 'fetchable' }] }]);
    assert.equal(numbers.groups.filter((g) => g.tag === GROUP.job).length, 0, 'nothing left to fetch');
    const n = (await api(relay.url, `/api/v1/jobs/${jobId}`, { token: admin })).body;
    assert.equal(n.state, 'canceled');
  });

  it('keeps devices and clients apart: device operations need a device token and its own printer; client operations refuse a device token', async () => {
    const a = provision('INFRA-A');
    const b = provision('INFRA-B');
    const post = (path: string, body: Buffer, authorization: string) =>
      fetch(`${relay.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/ipp', authorization }, body: new Uint8Array(body) });
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const subscribe = ippRequest(OPERATION.getNotifications, 1, [{ name: 'printer-uri', values: [{ tag: TAG.uri, value: 'ipp://relay/ipp/print/x' }] }, int('notify-subscription-ids', 1)]);
    const code = async (r: Response) => {
      assert.equal(r.status, 200);
      return decodeMessage(Buffer.from(await r.arrayBuffer()))!.message.code;
    };
    assert.equal((await post(`/ipp/print/${a.deviceId}`, subscribe, basic('x', admin))).status, 401, 'an API token is not a device token');
    assert.equal(await code(await post(`/ipp/print/${b.deviceId}`, subscribe, basic(a.deviceId, a.token))), STATUS.notFound, "another device's printer");
    assert.equal(await code(await post(`/ipp/print/${a.deviceId}`, subscribe, `Bearer ${a.token}`)), STATUS.ok, 'a Bearer device token');
    assert.equal(await code(await post('/ipp/system', subscribe, basic(a.deviceId, a.token))), STATUS.ok, 'the system service: its own printer');
    const gpa = ippRequest(OPERATION.getPrinterAttributes, 2, [{ name: 'printer-uri', values: [{ tag: TAG.uri, value: 'ipp://relay/ipp/print/x' }] }]);
    assert.equal((await post(`/ipp/print/${a.deviceId}`, gpa, basic(a.deviceId, a.token))).status, 401, 'a device token is not a client credential');
    assert.equal(await code(await post('/ipp/system', gpa, basic('x', admin))), STATUS.operationNotSupported);
    const noSubscription = ippRequest(OPERATION.getNotifications, 3, [{ name: 'printer-uri', values: [{ tag: TAG.uri, value: 'ipp://relay/ipp/print/x' }] }]);
    assert.equal(await code(await post(`/ipp/print/${a.deviceId}`, noSubscription, basic(a.deviceId, a.token))), STATUS.badRequest);
    const fetchNothing = ippRequest(OPERATION.fetchJob, 4, [{ name: 'printer-uri', values: [{ tag: TAG.uri, value: 'ipp://relay/ipp/print/x' }] }, int('job-id', 999_999)]);
    assert.equal(await code(await post(`/ipp/print/${a.deviceId}`, fetchNothing, basic(a.deviceId, a.token))), STATUS.notFound);
    assert.equal((await api(relay.url, '/healthz')).status, 200);
  });

  it("a job is another printer's to fetch only on that printer: Fetch-Job of another device's job is not found", async () => {
    const a = provision('INFRA-OWN-A');
    const b = provision('INFRA-OWN-B');
    assert.equal((await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: a.token, json: { acceptingJobs: true } })).status, 200);
    await submit(a.deviceId, PDF);
    const clientA = new IppDeviceClient({ printerUrl: `${relay.url}/ipp/print/${a.deviceId}`, deviceId: a.deviceId, token: a.token });
    const fetchable = await clientA.ask(OPERATION.getJobs, [{ name: 'which-jobs', values: [{ tag: TAG.keyword, value: 'fetchable' }] }]);
    const n = fetchable.groups.find((g) => g.tag === GROUP.job)!.attributes.find((x) => x.name === 'job-id')!.values[0]!.value as number;
    const clientB = new IppDeviceClient({ printerUrl: `${relay.url}/ipp/print/${b.deviceId}`, deviceId: b.deviceId, token: b.token });
    assert.equal((await clientB.ask(OPERATION.fetchJob, [int('job-id', n)])).code, STATUS.notFound);
    assert.equal((await clientA.ask(OPERATION.fetchJob, [int('job-id', n)])).code, STATUS.ok);
  });

  it('answers bad output-device requests with IPP statuses and changes nothing', async () => {
    const d = provision('INFRA-BAD');
    assert.equal((await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: d.token, json: { acceptingJobs: true } })).status, 200);
    const jobId = await submit(d.deviceId, PDF);
    const client = new IppDeviceClient({ printerUrl: `${relay.url}/ipp/print/${d.deviceId}`, deviceId: d.deviceId, token: d.token });
    const fetchable = await client.ask(OPERATION.getJobs, [{ name: 'which-jobs', values: [{ tag: TAG.keyword, value: 'fetchable' }] }]);
    const n = fetchable.groups.find((g) => g.tag === GROUP.job)!.attributes.find((x) => x.name === 'job-id')!.values[0]!.value as number;
    const code = async (op: number, attributes: IppAttribute[], groups: { tag: number; attributes: IppAttribute[] }[] = []) => (await client.ask(op, attributes, groups)).code;
    assert.equal(await code(OPERATION.fetchJob, []), STATUS.badRequest, 'no job-id');
    assert.equal(await code(OPERATION.fetchJob, [{ name: 'job-id', values: [{ tag: TAG.keyword, value: 'seven' }] }]), STATUS.badRequest, 'a job-id of the wrong type');
    assert.equal(await code(OPERATION.fetchDocument, [int('job-id', n), int('document-number', 2)]), STATUS.notFound, 'one document a job');
    assert.equal(await code(OPERATION.fetchDocument, [int('job-id', n), int('document-number', 1), { name: 'document-format-accepted', values: [{ tag: TAG.mimeMediaType, value: 'image/urf' }] }]), STATUS.notFetchable, 'no conversion');
    assert.equal(await code(OPERATION.updateActiveJobs, [int('job-ids', n)]), STATUS.badRequest, 'job-ids without their states');
    assert.equal(await code(OPERATION.createPrinterSubscriptions, []), STATUS.badRequest, 'no subscription group');
    assert.equal(await code(OPERATION.getNotifications, [int('notify-subscription-ids', 0)]), STATUS.badRequest, 'subscription 0');
    assert.equal(await code(OPERATION.updateJobStatus, [int('job-id', n)], [{ tag: GROUP.job, attributes: [{ name: 'output-device-job-state', values: [{ tag: TAG.enum, value: 42 }] }] }]), STATUS.ok, 'a state that says nothing new is taken');
    const refused = await client.ask(OPERATION.updateOutputDeviceAttributes, [], [{ tag: GROUP.printer, attributes: [{ name: 'printer-state-message', values: [{ tag: TAG.textWithoutLanguage, value: '\u0000\u0001' }] }] }]);
    assert.equal(refused.code, STATUS.ok, 'control characters are dropped, not stored');
    const j = await job(jobId);
    assert.equal(j.state, 'pending', 'none of it touched the job');
    assert.equal(j.history.length, 1);
    assert.equal((await api(relay.url, '/healthz')).status, 200);
  });
});

