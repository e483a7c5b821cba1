import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, cliJson, startRelay, type RelayProcess } from './helpers/relay.js';

interface PrinterPage {
  items: { printerId: string; serial: string; model: string; acceptingJobs: boolean; status: string | null; online: boolean }[];
  nextCursor: string | null;
  total: number;
}

describe('GET /api/v1/printers: the printers of the caller\'s account, paged', () => {
  let relay: RelayProcess;
  let admin: string;
  let op: string;

  const device = async (token: string, serial: string): Promise<{ deviceId: string; token: string }> => {
    const r = await api(relay.url, '/api/v1/devices', { method: 'POST', token, json: { serial, model: 'PX-S887' } });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };
  const reportState = async (d: { token: string }, state: { acceptingJobs?: boolean; status?: string }): Promise<void> => {
    const r = await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: d.token, json: state });
    assert.ok(r.status < 300, r.text);
  };

  before(async () => {
    relay = await startRelay();
    cliJson(relay.dataDir, ['account', 'add', 'acme']);
    admin = adminToken(relay.dataDir);
    op = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'acme']).token;
    for (let i = 0; i < 3; i++) await reportState(await device(op, `PR-${i}`), i === 1 ? { acceptingJobs: false, status: 'paper jam' } : { acceptingJobs: true, status: 'idle' });
    await device(op, 'NOT-A-PRINTER'); // never said anything about printing
    await reportState(await device(admin, 'OTHER-ACCOUNT'), { acceptingJobs: true });
  });
  after(() => relay.stop());

  it('lists the printers of the caller\'s account with their accepting-jobs flag and status, and the total', async () => {
    const r = await api<PrinterPage>(relay.url, '/api/v1/printers', { token: op });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.items.map((p) => p.serial).sort(), ['PR-0', 'PR-1', 'PR-2']);
    assert.equal(r.body.total, 3);
    assert.equal(r.body.nextCursor, null);
    const jammed = r.body.items.find((p) => p.serial === 'PR-1')!;
    assert.deepEqual([jammed.model, jammed.acceptingJobs, jammed.status, jammed.online], ['PX-S887', false, 'paper jam', false]);
    const one = await api(relay.url, `/api/v1/printers/${jammed.printerId}`, { token: op });
    assert.equal(one.body.acceptingJobs, false, 'the list agrees with GET /printers/{id}');
  });

  it('pages with a cursor; a site admin sees every account, or one', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { status: number; body: PrinterPage } = await api<PrinterPage>(relay.url, `/api/v1/printers?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: op });
      assert.equal(r.status, 200);
      assert.ok(r.body.items.length <= 2);
      assert.equal(r.body.total, 3);
      seen.push(...r.body.items.map((p) => p.serial));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor && pages < 5);
    assert.equal(pages, 2);
    assert.deepEqual(seen.sort(), ['PR-0', 'PR-1', 'PR-2']);
    const all = await api<PrinterPage>(relay.url, '/api/v1/printers', { token: admin });
    assert.equal(all.body.total, 4);
    const acme = await api<PrinterPage>(relay.url, '/api/v1/printers?accountId=acme', { token: admin });
    assert.equal(acme.body.total, 3);
    const elsewhere = await api<PrinterPage>(relay.url, '/api/v1/printers?accountId=default', { token: op });
    assert.deepEqual([elsewhere.body.items, elsewhere.body.total], [[], 0], 'another account\'s printers stay hidden');
  });

  it('refuses bad paging input with a clear problem', async () => {
    assertProblem(await api(relay.url, '/api/v1/printers?limit=501', { token: op }), 400, 'validation-failed');
    assertProblem(await api(relay.url, '/api/v1/printers?cursor=%25%25', { token: op }), 400, 'validation-failed');
    assertProblem(await api(relay.url, '/api/v1/printers'), 401, 'unauthorized');
  });
});
