import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VirtualPrinter } from '../src/device/sim/printer.js';
import { RawSession } from './helpers/bosh.js';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, cli, cliJson, startRelay, until, tempDir, type RelayProcess } from './helpers/relay.js';
import { blobKeys, stagingDir } from './helpers/store.js';

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(20_000, 0x20), Buffer.from('\n%%EOF\n')]);


describe('cloud print (seeds 002, 003): intake, delivery, fetch, cancel C0–C5', () => {
  let relay: RelayProcess;
  let admin: string;
  const printers: VirtualPrinter[] = [];

  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
  });
  after(async () => {
    for (const p of printers) await p.stop().catch(() => undefined);
    await relay.stop();
  });

  const provision = (serial: string) => cliJson<{ deviceId: string; jid: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', serial, '--model', 'EP-884A']);
  const startPrinter = async (serial: string, o: Partial<ConstructorParameters<typeof VirtualPrinter>[0]> = {}) => {
    const credentials = provision(serial);
    const events: string[] = [];
    const printer = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials, onEvent: (e) => events.push(e), ...o });
    printers.push(printer);
    await printer.start();
    return { printer, credentials, events };
  };
  const submit = async (printerId: string, doc: Buffer = PDF, ticket?: unknown, name = 'report.pdf') => {
    const form = new FormData();
    if (ticket !== undefined) form.append('ticket', JSON.stringify(ticket));
    form.append('document', new Blob([new Uint8Array(doc)]), name);
    const res = await fetch(`${relay.url}/api/v1/printers/${printerId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const job = async (id: string) => (await api(relay.url, `/api/v1/jobs/${id}`, { token: admin })).body;
  const cancel = (id: string) => api(relay.url, `/api/v1/jobs/${id}/cancel`, { method: 'POST', token: admin });

  it('refuses jobs while the printer does not accept them, and no job is made (seed 003 T230–T234)', async () => {
    const c = provision('PRN-OFF');
    const r = await submit(c.deviceId);
    assert.equal(r.status, 409);
    assert.equal(r.body.type, '/problems/not-accepting-jobs');
    assert.deepEqual((await api(relay.url, `/api/v1/jobs?printerId=${c.deviceId}`, { token: admin })).body.items, []);
    const p = await api(relay.url, `/api/v1/printers/${c.deviceId}`, { token: admin });
    assert.equal(p.body.acceptingJobs, false);
  });

  it('prints a job end to end: announced over the session, fetched, printed, data deleted (S206, S302–S305)', async () => {
    const { credentials, printer } = await startPrinter('PRN-1');
    assert.equal((await api(relay.url, `/api/v1/printers/${credentials.deviceId}`, { token: admin })).body.acceptingJobs, true);
    const r = await submit(credentials.deviceId, PDF, { copies: 2, 'print-color-mode': 'monochrome' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.documentType, 'application/pdf');
    assert.deepEqual([r.body.ticket.copies, r.body.ticket['print-color-mode'], r.body.ticket.media], [2, 'monochrome', 'iso_a4_210x297mm']);
    const done = await until('completion', async () => ((await job(r.body.jobId)).state === 'completed' ? job(r.body.jobId) : undefined));
    assert.deepEqual(done.history.map((h: { state: string }) => h.state), ['pending', 'notified', 'fetched', 'processing', 'completed']);
    assert.deepEqual(printer.printed, [r.body.jobId]);
    assert.ok(!(await blobKeys(relay.dataDir, 'jobs')).includes(r.body.jobId), 'the document is deleted after completion');
    assertProblem(await api(relay.url, `/device/v1/jobs/${r.body.jobId}`, { token: credentials.token }), 410, 'gone');
    assertProblem(await cancel(r.body.jobId), 409, 'conflict');
  });

  it('counts the pages of a PDF times the copies, and the printer shows printing while it prints', async () => {
    const page = (n: number) => `${n} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n`;
    const threePages = Buffer.from(`%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>\nendobj\n${page(3)}${page(4)}${page(5)}%%EOF\n`);
    const { credentials, printer } = await startPrinter('PRN-PAGES', { pageMs: 300 });
    const printerState = async () => (await api(relay.url, `/api/v1/printers/${credentials.deviceId}`, { token: admin })).body;
    const r = await submit(credentials.deviceId, threePages, { copies: 2 });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await until('printing', async () => ((await job(r.body.jobId)).state === 'processing' ? true : undefined));
    await until('the printer says it is printing', async () => ((await printerState()).status === 'printing' ? true : undefined));
    assert.equal((await job(r.body.jobId)).state, 'processing', 'while the job prints');
    await until('printed', () => (printer.printed.includes(r.body.jobId) ? true : undefined));
    assert.equal((await job(r.body.jobId)).history.at(-1).detail, '6 pages (3 pages × 2 copies)');
    await until('idle again', async () => ((await printerState()).status === 'idle' ? true : undefined));
  });

  it('holds jobs for a disconnected printer and prints them when it comes back', async () => {
    const { credentials, printer } = await startPrinter('PRN-HOLD');
    await printer.stop();
    await until('offline', async () => ((await api(relay.url, `/api/v1/printers/${credentials.deviceId}`, { token: admin })).body.online === false ? true : undefined));
    const r = await submit(credentials.deviceId);
    assert.equal(r.status, 201, 'a disconnected printer that accepts jobs still takes them');
    assert.equal((await job(r.body.jobId)).state, 'pending');
    const back = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials });
    printers.push(back);
    await back.start();
    await until('printed after reconnecting', () => (back.printed.includes(r.body.jobId) ? true : undefined));
  });

  it('a printer that restarts and logs in again before its old session times out gets its job on the new session', async () => {
    const c = provision('PRN-REBOOT');
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true } });
    const before = new RawSession(relay.url);
    await before.login(c.deviceId, c.token);
    const r = await submit(c.deviceId);
    await until('announced down the first session, which then dies unread', async () => ((await job(r.body.jobId)).state === 'notified' ? true : undefined));
    const after = new RawSession(relay.url);
    await after.login(c.deviceId, c.token);
    assert.equal((await api(relay.url, `/api/v1/printers/${c.deviceId}`, { token: admin })).body.online, true);
    const next = await after.send();
    assert.match(next.text, new RegExp(`<job xmlns='urn:fleetrelay:print:1' id='${r.body.jobId}'`));
    await after.send('', { attrs: "type='terminate'" });
  });

  it('serves the document with Range, and long-polls jobs for a printer without a session (variation 1)', async () => {
    const c = provision('PRN-POLL');
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true, status: 'idle' } });
    const waiting = api(relay.url, '/device/v1/jobs?wait=10', { token: c.token });
    await new Promise((r) => setTimeout(r, 200));
    const r = await submit(c.deviceId, Buffer.from('Hello, printer.\nSecond line.\n'), undefined, 'note.txt');
    const polled = await waiting;
    assert.deepEqual(polled.body.items.map((j: { jobId: string }) => j.jobId), [r.body.jobId]);
    const info = await api(relay.url, `/device/v1/jobs/${r.body.jobId}`, { token: c.token });
    assert.equal(info.body.documentType, 'text/plain');
    const part = await fetch(`${relay.url}${info.body.documentUrl}`, { headers: { authorization: `Bearer ${c.token}`, range: 'bytes=7-14' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 7-14/${info.body.documentSize}`);
    assert.equal(await part.text(), 'printer.');
    assertProblem(await api(relay.url, `${info.body.documentUrl}`, { token: c.token, headers: { range: 'bytes=999-' } }), 416, 'range-not-satisfiable');
    assert.equal((await job(r.body.jobId)).state, 'fetched');
    await api(relay.url, `/device/v1/jobs/${r.body.jobId}/state`, { method: 'POST', token: c.token, json: { state: 'completed' } });
    assert.equal((await job(r.body.jobId)).state, 'completed');
  });

  it('C0: cancel before the printer fetched the document deletes it at once; a later fetch gets 410', async () => {
    const c = provision('PRN-C0');
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true } });
    const r = await submit(c.deviceId);
    const canceled = await cancel(r.body.jobId);
    assert.equal(canceled.body.state, 'canceled');
    assert.match((await job(r.body.jobId)).history.at(-1).detail, /^C0/);
    assertProblem(await api(relay.url, `/device/v1/jobs/${r.body.jobId}/document`, { token: c.token }), 410, 'gone');
    assert.ok(!(await blobKeys(relay.dataDir, 'jobs')).includes(r.body.jobId));
  });

  it('C1: a cancel pushed while the document downloads on the other connection stops it', async () => {
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2_000_000, 0x41)]);
    const { credentials, events } = await startPrinter('PRN-C1', { bytesPerSecond: 200_000 });
    const r = await submit(credentials.deviceId, big);
    await until('downloading', () => (events.includes('downloading') ? true : undefined));
    const t0 = Date.now();
    const canceled = await cancel(r.body.jobId);
    assert.equal(canceled.status, 200);
    assert.equal(canceled.body.state, 'canceled');
    assert.ok(Date.now() - t0 < 5000);
    await until('the printer stopped', () => (events.includes('canceled-while-fetching') ? true : undefined));
    const states = (await job(r.body.jobId)).history.map((h: { state: string }) => h.state);
    assert.deepEqual(states.slice(-2), ['cancel-requested', 'canceled']);
  });

  it('C2/C3: a printer that is not printing the job answers not-printing, and the job is canceled', async () => {
    const { credentials, printer } = await startPrinter('PRN-C2');
    const r = await submit(credentials.deviceId, Buffer.from('short\n'), undefined, 'a.txt');
    await until('printed', () => (printer.printed.includes(r.body.jobId) ? true : undefined));
    // Completed already: 409 (C3 from the relay's side — the completion notice came first).
    assertProblem(await cancel(r.body.jobId), 409, 'conflict');
    // Fetched but not printing on this printer: ask it, it says not-printing → canceled.
    const c = provision('PRN-C2B');
    const other = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: c });
    printers.push(other);
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true } });
    const j = await submit(c.deviceId);
    await fetch(`${relay.url}/device/v1/jobs/${j.body.jobId}/document`, { headers: { authorization: `Bearer ${c.token}` } }).then((x) => x.arrayBuffer());
    await other.start();
    const res = await cancel(j.body.jobId);
    assert.equal(res.body.state, 'canceled');
    assert.match((await job(j.body.jobId)).history.at(-1).detail, /not-printing/);
  });

  it('C4: a printer that cannot cancel → cancel-failed, the data is kept until it reports completion', async () => {
    const { credentials, printer } = await startPrinter('PRN-C4', { canCancel: false, pageMs: 1000 });
    const r = await submit(credentials.deviceId);
    await until('printing', async () => ((await job(r.body.jobId)).state === 'processing' ? true : undefined));
    const res = await cancel(r.body.jobId);
    assert.equal(res.body.state, 'cancel-failed');
    assert.match((await job(r.body.jobId)).history.at(-1).detail, /^C4: the printer cannot cancel/);
    assert.ok((await blobKeys(relay.dataDir, 'jobs')).includes(r.body.jobId), 'data kept');
    await until('completed anyway', () => (printer.printed.includes(r.body.jobId) ? true : undefined));
    assert.equal((await job(r.body.jobId)).state, 'completed');
    assert.ok(!(await blobKeys(relay.dataDir, 'jobs')).includes(r.body.jobId), 'deleted at completion');
  });

  it('C5: fetched but no session to ask over → the job is deleted', async () => {
    const c = provision('PRN-C5');
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true } });
    const r = await submit(c.deviceId);
    await fetch(`${relay.url}/device/v1/jobs/${r.body.jobId}/document`, { headers: { authorization: `Bearer ${c.token}` } }).then((x) => x.arrayBuffer());
    const res = await cancel(r.body.jobId);
    assert.equal(res.body.state, 'canceled');
    assert.match((await job(r.body.jobId)).history.at(-1).detail, /^C5/);
    assertProblem(await api(relay.url, `/device/v1/jobs/${r.body.jobId}`, { token: c.token }), 410, 'gone');
  });

  it('C5 mid-download: a cancel cuts off the document stream of a printer without a session', async () => {
    const c = provision('PRN-C5-DL');
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true } });
    // Larger than every socket buffer between the relay and a reader that has stopped reading.
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(32 * 1024 * 1024, 0x41)]);
    const r = await submit(c.deviceId, big);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    let received = 0;
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request(`${relay.url}/device/v1/jobs/${r.body.jobId}/document`, { headers: { authorization: `Bearer ${c.token}` } });
      req.on('response', resolve).on('error', reject).end();
    });
    assert.equal(res.statusCode, 200);
    await new Promise<void>((resolve) => res.once('data', (chunk: Buffer) => ((received += chunk.length), res.pause(), resolve())));
    const canceled = await cancel(r.body.jobId);
    assert.equal(canceled.body.state, 'canceled');
    assert.match((await job(r.body.jobId)).history.at(-1).detail, /^C5/);
    res.on('data', (chunk: Buffer) => (received += chunk.length)).on('error', () => undefined);
    await new Promise((resolve) => res.once('close', resolve).resume());
    assert.equal(res.complete, false, 'the response was cut short');
    assert.ok(received < big.length, `received ${received} of ${big.length} bytes`);
  });

  it('a printer out of toner with a job in processing raises an alert naming the job; a new cartridge resolves it', async () => {
    const { credentials, printer, events } = await startPrinter('PRN-TONER', { toner: { percent: 4, perPagePercent: 2, estimatePercent: 1 } });
    const r = await submit(credentials.deviceId);
    await until('interrupted', () => (events.includes('interrupted') ? true : undefined));
    const alerts = async (state: string) => (await api(relay.url, `/api/v1/alerts?deviceId=${credentials.deviceId}&state=${state}`, { token: admin })).body.items as { alert?: unknown; description: string; type: string }[];
    const [open] = await until('an open alert', async () => ((await alerts('open')).length ? alerts('open') : undefined));
    assert.match(open!.description, new RegExp(`toner empty.*job ${r.body.jobId} \\(processing\\)`));
    assert.equal(open!.type, 'consumable-low');
    assert.equal((await job(r.body.jobId)).state, 'processing');
    await printer.replaceCartridge();
    await until('resolved by the new cartridge', async () => ((await alerts('resolved')).length === 1 && (await alerts('open')).length === 0 ? true : undefined));
    await until('printed', () => (printer.printed.includes(r.body.jobId) ? true : undefined));
  });

  it('refuses bad documents, tickets and requests with clear errors, making no job', async () => {
    const c = provision('PRN-BAD');
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true } });
    const exe = await submit(c.deviceId, Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00]), undefined, 'setup.exe');
    assert.equal(exe.status, 415);
    const empty = await submit(c.deviceId, Buffer.alloc(0));
    assert.equal(empty.status, 400);
    const badTicket = await submit(c.deviceId, PDF, { copies: 0 });
    assert.equal(badTicket.status, 400);
    assert.match(badTicket.body.detail, /copies/);
    assert.equal((await submit(c.deviceId, PDF, { staple: true })).status, 400);
    const notMultipart = await api(relay.url, `/api/v1/printers/${c.deviceId}/jobs`, { method: 'POST', token: admin, json: { document: 'x' } });
    assert.equal(notMultipart.status, 400);
    const broken = await fetch(`${relay.url}/api/v1/printers/${c.deviceId}/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'multipart/form-data; boundary=XYZ' },
      body: '--XYZ\r\nContent-Disposition: form-data; name="document"; filename="a.pdf"\r\n\r\n%PDF-1.4 truncated',
    });
    assert.ok(broken.status >= 400 && broken.status < 500, `malformed multipart → 4xx, got ${broken.status}`);
    assertProblem(await api(relay.url, '/api/v1/printers/dnosuchprinter', { token: admin }), 404, 'not-found');
    assert.equal((await submit('dnosuchprinter')).status, 404);
    assert.deepEqual((await api(relay.url, `/api/v1/jobs?printerId=${c.deviceId}`, { token: admin })).body.items, []);
    assert.deepEqual(readdirSync(stagingDir(relay.dataDir, 'jobs')).filter((f) => f.endsWith('.part')), [], 'no partial files left');
    cliJson(relay.dataDir, ['account', 'add', 'elsewhere']);
    const other = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'elsewhere']).token;
    const mine = (await api(relay.url, '/api/v1/jobs', { token: admin })).body.items[0].jobId;
    assertProblem(await api(relay.url, `/api/v1/jobs/${mine}/cancel`, { method: 'POST', token: other }), 404, 'not-found');
  });

  it('prints, lists, shows and cancels from the CLI', async () => {
    const c = provision('PRN-CLI');
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true } });
    const file = join(tempDir(), 'memo.txt');
    writeFileSync(file, 'Quarterly memo\n'.repeat(100));
    const g = ['--relay', relay.url, '--token', admin];
    const printed = cliJson<{ jobId: string; state: string; documentType: string }>(relay.dataDir, [...g, 'print', c.deviceId, file, '--copies', '3', '--sides', 'two-sided-long-edge']);
    assert.equal(printed.state, 'pending');
    assert.equal(printed.documentType, 'text/plain');
    const listed = cli(relay.dataDir, [...g, 'jobs', '--printer', c.deviceId]);
    assert.match(listed.stdout, new RegExp(`${printed.jobId}\\s+${c.deviceId}\\s+pending\\s+memo.txt`));
    const shown = cli(relay.dataDir, [...g, 'job', 'show', printed.jobId]);
    assert.match(shown.stdout, /pending\s+created by token:/);
    const canceled = cli(relay.dataDir, [...g, 'job', 'cancel', printed.jobId]);
    assert.equal(canceled.stdout.trim(), `job ${printed.jobId} canceled`);
    const refused = cli(relay.dataDir, [...g, 'print', c.deviceId, file, '--copies', '0']);
    assert.equal(refused.code, 2, 'input the relay refuses is invalid input');
    assert.match(refused.stderr, /400 copies is 1 to 999/);
  });

  it('seed 003 embodiments over real sockets: disable stops acceptance (1), a second-type disable keeps it (3)', async () => {
    const c = provision('PRN-EMB');
    const printer = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: c, policy: 'always' });
    const second = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: c, policy: 'checkbox' });
    printers.push(printer, second);
    const state = async () => (await api(relay.url, `/api/v1/printers/${c.deviceId}`, { token: admin })).body;
    const always = printer.settings;
    await always.enable('idle');
    assert.deepEqual([(await state()).acceptingJobs, (await state()).online, (await state()).status], [true, true, 'idle']);
    await always.disable();
    assert.equal((await state()).acceptingJobs, false);
    assert.equal((await submit(c.deviceId)).status, 409, 'T230–T234: no job while not accepting');

    const checkbox = second.settings;
    await checkbox.enable();
    await checkbox.disable({ stopAccepting: false });
    const s = await state();
    assert.deepEqual([s.acceptingJobs, s.online], [true, false], 'disabled and offline, but still accepting');
    const held = await submit(c.deviceId);
    assert.equal(held.status, 201);
    await checkbox.enable();
    await until('printed after enabling', () => (second.printed.includes(held.body.jobId) ? true : undefined));
  });
});

describe('print document retention (--print-retention)', () => {
  it('aborts unfinished jobs without progress past the cap, deleting their documents; C4 data is kept at most that long', async () => {
    const relay = await startRelay({ args: ['--print-retention', '2', '--max-document', '100000'] });
    const admin = adminToken(relay.dataDir);
    let printer: VirtualPrinter | undefined;
    try {
      const submit = async (printerId: string, doc: Buffer) => {
        const form = new FormData();
        form.append('document', new Blob([new Uint8Array(doc)]), 'doc.pdf');
        const res = await fetch(`${relay.url}/api/v1/printers/${printerId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
        return { status: res.status, body: (await res.json()) as Record<string, any> };
      };
      // A printer that accepts but never connects: its job waits, then is aborted at the cap.
      const away = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'R-1', '--model', 'EP']);
      await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: away.token, json: { acceptingJobs: true } });
      assert.equal((await submit(away.deviceId, Buffer.concat([PDF, Buffer.alloc(100_000)]))).status, 413, '--max-document limits intake');
      const held = await submit(away.deviceId, PDF);
      assert.equal(held.status, 201);
      assert.ok((await blobKeys(relay.dataDir, 'jobs')).includes(held.body.jobId));
      // The document is deleted once the job is aborted: documentAvailable turns false when it is gone.
      const aborted = await until('aborted at the cap', async () => {
        const j = (await api(relay.url, `/api/v1/jobs/${held.body.jobId}`, { token: admin })).body;
        return j.state === 'aborted' && j.documentAvailable === false ? j : undefined;
      }, 8000);
      assert.match(aborted.history.at(-1).detail, /retention cap/);
      assert.ok(!(await blobKeys(relay.dataDir, 'jobs')).includes(held.body.jobId), 'document deleted');
      assertProblem(await api(relay.url, `/device/v1/jobs/${held.body.jobId}`, { token: away.token }), 410, 'gone');

      // C4: the printer cannot cancel and never finishes within the cap → aborted, data deleted.
      const c4 = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'R-2', '--model', 'EP']);
      printer = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: c4, canCancel: false, pageMs: 5000 });
      await printer.start();
      const r = await submit(c4.deviceId, PDF);
      await until('printing', async () => ((await api(relay.url, `/api/v1/jobs/${r.body.jobId}`, { token: admin })).body.state === 'processing' ? true : undefined));
      assert.equal((await api(relay.url, `/api/v1/jobs/${r.body.jobId}/cancel`, { method: 'POST', token: admin })).body.state, 'cancel-failed');
      assert.ok((await blobKeys(relay.dataDir, 'jobs')).includes(r.body.jobId), 'C4: data kept for now');
      await until('aborted at the cap', async () => {
        const j = (await api(relay.url, `/api/v1/jobs/${r.body.jobId}`, { token: admin })).body;
        return j.state === 'aborted' && j.documentAvailable === false ? true : undefined;
      }, 8000);
      assert.ok(!(await blobKeys(relay.dataDir, 'jobs')).includes(r.body.jobId), 'C4 data deleted at the cap');
    } finally {
      await printer?.stop();
      await relay.stop();
    }
  });

  it('--print-keep keeps a completed job\'s document for its account only that long; printers get 410 at once', async () => {
    const relay = await startRelay({ args: ['--print-keep', '2'] });
    const admin = adminToken(relay.dataDir);
    const c = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'K-1', '--model', 'EP']);
    const printer = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: c });
    try {
      await printer.start();
      const form = new FormData();
      form.append('document', new Blob([new Uint8Array(PDF)]), 'minutes;final.pdf');
      const jobId = ((await (await fetch(`${relay.url}/api/v1/printers/${c.deviceId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form })).json()) as { jobId: string }).jobId;
      await until('completed', () => (printer.printed.includes(jobId) ? true : undefined));
      const job = (await api(relay.url, `/api/v1/jobs/${jobId}`, { token: admin })).body;
      assert.deepEqual([job.state, job.documentAvailable], ['completed', true]);
      const doc = await fetch(`${relay.url}/api/v1/jobs/${jobId}/document`, { headers: { authorization: `Bearer ${admin}` } });
      assert.equal(doc.status, 200);
      assert.equal(doc.headers.get('content-disposition'), 'attachment; filename="minutes_final.pdf"');
      assert.deepEqual(Buffer.from(await doc.arrayBuffer()), PDF);
      assertProblem(await api(relay.url, `/device/v1/jobs/${jobId}/document`, { token: c.token }), 410, 'gone');
      await until('deleted after the keep time', async () => ((await api(relay.url, `/api/v1/jobs/${jobId}`, { token: admin })).body.documentAvailable === false ? true : undefined), 8000);
      assert.ok(!(await blobKeys(relay.dataDir, 'jobs')).includes(jobId));
      assertProblem(await api(relay.url, `/api/v1/jobs/${jobId}/document`, { token: admin }), 410, 'gone');
    } finally {
      await printer.stop();
      await relay.stop();
    }
  });
});

describe('uploads cut short by a crash', () => {
  it('a .part file left by kill -9 mid-upload is removed when the relay starts again', async () => {
    let relay = await startRelay();
    try {
      const admin = adminToken(relay.dataDir);
      const c = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'P-KILL', '--model', 'EP']);
      await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true } });
      const upload = request(`${relay.url}/api/v1/printers/${c.deviceId}/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'multipart/form-data; boundary=B0UND' },
      });
      upload.on('error', () => undefined); // the relay dies under it
      upload.write('--B0UND\r\nContent-Disposition: form-data; name="document"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n');
      upload.write(PDF);
      const jobs = stagingDir(relay.dataDir, 'jobs');
      const part = await until('the upload is on disk', () => (existsSync(jobs) ? readdirSync(jobs).find((f) => f.endsWith('.part')) : undefined));
      await relay.stop('SIGKILL');
      upload.destroy();
      assert.ok(existsSync(join(jobs, part)), 'the crash left the partial upload');
      relay = await startRelay({ dataDir: relay.dataDir });
      assert.deepEqual(readdirSync(jobs).filter((f) => f.endsWith('.part')), [], 'swept at start');
      assert.deepEqual((await api(relay.url, `/api/v1/jobs?printerId=${c.deviceId}`, { token: admin })).body.items, [], 'no job was made');
    } finally {
      await relay.stop();
    }
  });
});
