import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser.js';
import { api, cliJson, startRelay, tempDir, until, type RelayProcess } from './helpers/relay.js';
import { simulate } from './helpers/simulate.js';

/** A PDF of `pages` simulated pages (the virtual printer counts a page per 4 KiB). */
const pdf = (pages: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(pages * 4096 - 16, 0x20), Buffer.from('\n%%EOF\n')]);

describe("the simulated printers' own web pages in Chromium: SC1, SC4, SC5 (seed 003 embodiments 1–5)", () => {
  let relay: RelayProcess;
  let token: string;
  let browser: Browser;
  let sim: ReturnType<typeof simulate>;
  let web: string;
  let ids: string[];

  before(async () => {
    relay = await startRelay();
    token = cliJson<{ token: string }>(relay.dataDir, ['token', 'create']).token;
    const state = join(tempDir(), 'printers.json');
    sim = simulate(
      relay,
      ['--count', '4', '--state', state, '--print', '--page-ms', '30', '--disable-policy', 'always,ask,checkbox,delayed', '--stop-delay', '3600', '--toner', '10', '--toner-per-page', '4', '--web-port', '0'],
      /printer web pages at/,
    );
    web = (await sim.ready).replace(/^printer web pages at /, '');
    ids = (JSON.parse(readFileSync(state, 'utf8')) as { relays: Record<string, { devices: { deviceId: string }[] }> }).relays[relay.url]!.devices.map((d) => d.deviceId);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    sim?.proc.kill('SIGTERM');
    await sim?.exited;
    await relay.stop();
  });

  const printerState = async (id: string) => (await api(relay.url, `/api/v1/printers/${id}`, { token })).body as { acceptingJobs: boolean; online: boolean; status: string | null };
  const submit = async (id: string, doc = pdf(1)) => {
    const form = new FormData();
    form.append('document', new Blob([new Uint8Array(doc)]), 'doc.pdf');
    const res = await fetch(`${relay.url}/api/v1/printers/${id}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    return { status: res.status, body: (await res.json()) as { jobId: string } };
  };
  const jobState = async (id: string): Promise<string> => (await api(relay.url, `/api/v1/jobs/${id}`, { token })).body.state;
  const open = async (id: string): Promise<Page> => {
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${web}printers/${id}`);
    return page;
  };
  /** Chooses enable or disable on SC1/SC5, presses OK, and waits for the next screen. */
  const choose = async (page: Page, state: 'enabled' | 'disabled', next: string) => {
    await page.check(`input[name=state][value=${state}]`);
    await page.click('button:text-is("OK")');
    await page.waitForSelector(`body[data-screen=${next}]`);
  };

  it('lists the printers, and SC1 shows the printer ID with its service state', async () => {
    const page = await browser.newPage();
    await page.goto(web);
    assert.equal(await page.locator('tbody tr').count(), 4);
    await page.click(`a:text-is("${ids[0]}")`);
    await page.waitForSelector('body[data-screen=SC1]');
    assert.equal(await page.textContent('#printer-id'), ids[0]);
    assert.equal(await page.isChecked('input[name=state][value=enabled]'), true);
    assert.equal(await page.locator('input[name=stopAccepting]').count(), 0, 'SC1 has no stop-accepting box');
    await page.close();
  });

  it('embodiment 1 (SC1): disable disconnects and stops acceptance; enable connects and accepts again', async () => {
    const page = await open(ids[0]!);
    await choose(page, 'disabled', 'SC2');
    assert.match((await page.textContent('[role=status]')) ?? '', /disabled/);
    const off = await printerState(ids[0]!);
    assert.deepEqual([off.acceptingJobs, off.online], [false, false]);
    assert.equal((await submit(ids[0]!)).status, 409, 'no job while not accepting (T230–T234)');
    await page.goto(`${web}printers/${ids[0]}`);
    await choose(page, 'enabled', 'SC2');
    const s = await printerState(ids[0]!);
    assert.deepEqual([s.acceptingJobs, s.online, s.status], [true, true, 'idle']);
    await page.close();
  });

  it('embodiment 2 (SC4): after a disable the printer asks; NO keeps the relay accepting, YES stops it', async () => {
    const id = ids[1]!;
    const page = await open(id);
    await choose(page, 'disabled', 'SC4');
    assert.equal((await printerState(id)).online, false);
    assert.equal((await printerState(id)).acceptingJobs, true, 'nothing sent before the answer');
    await page.click('button:text-is("NO")');
    await page.waitForSelector('body[data-screen=SC2]');
    const held = await submit(id);
    assert.equal(held.status, 201, 'a short break: requests are still taken');
    assert.equal(await jobState(held.body.jobId), 'pending');

    await page.goto(`${web}printers/${id}`);
    await choose(page, 'enabled', 'SC2');
    await until('the held job printed after enabling', async () => ((await jobState(held.body.jobId)) === 'completed' ? true : undefined));

    await page.goto(`${web}printers/${id}`);
    await choose(page, 'disabled', 'SC4');
    await page.click('button:text-is("YES")');
    await page.waitForSelector('body[data-screen=SC2]');
    assert.equal(await page.textContent('#accepting'), 'refused');
    assert.equal((await printerState(id)).acceptingJobs, false);
    await page.goto(`${web}printers/${id}/inquiry`);
    await page.waitForSelector('body[data-screen=SC1]'); // nothing asked any more: back to the settings
    await page.close();
  });

  it('embodiment 3 (SC5): the "stop accepting" box makes the disable first-type or second-type', async () => {
    const id = ids[2]!;
    const page = await open(id);
    await page.waitForSelector('body[data-screen=SC5]');
    await page.check('input[name=stopAccepting]');
    await choose(page, 'disabled', 'SC2');
    assert.equal((await printerState(id)).acceptingJobs, false);
    await page.goto(`${web}printers/${id}`);
    await choose(page, 'enabled', 'SC2');
    await page.goto(`${web}printers/${id}`);
    assert.equal(await page.isChecked('input[name=stopAccepting]'), false);
    await choose(page, 'disabled', 'SC2');
    const s = await printerState(id);
    assert.deepEqual([s.acceptingJobs, s.online], [true, false], 'disabled and offline, still accepting');
    await page.close();
  });

  it('embodiment 4 (SC1 with a monitoring time): acceptance stops only once the printer has stayed disabled that long', async () => {
    const id = ids[3]!;
    const page = await open(id);
    assert.equal(await page.inputValue('input[name=delaySeconds]'), '3600');
    await page.fill('input[name=delaySeconds]', '3');
    await choose(page, 'disabled', 'SC2');
    assert.equal((await printerState(id)).acceptingJobs, true, 'not straight after disconnecting');
    await until('acceptance-stop after the monitoring time', async () => ((await printerState(id)).acceptingJobs === false ? true : undefined));
    await page.close();
  });

  it('embodiment 5: a predicted toner shortage stops acceptance; the interrupted job resumes after the cartridge is replaced on the page', async () => {
    const id = ids[0]!;
    // 10 % toner, 4 % a page: the 3-page job passes the check (5 % estimated) and runs out on page 3 (T662).
    const a = await submit(id, pdf(3));
    assert.equal(a.status, 201);
    await until('job A interrupted', async () => ((await printerState(id)).status === 'toner empty' ? true : undefined));
    assert.equal(await jobState(a.body.jobId), 'processing');
    // The next notice finds 2 % left against the 5 % a job needs: acceptance-stop (T646–T652), the job itself still kept (T654).
    const b = await submit(id);
    assert.equal(b.status, 201);
    await until('acceptance-stop on the shortage', async () => ((await printerState(id)).acceptingJobs === false ? true : undefined));
    assert.equal((await submit(id)).status, 409);

    const page = await open(id);
    assert.match((await page.textContent('#toner')) ?? '', /^2 %/);
    assert.match((await page.textContent('#activity')) ?? '', new RegExp(`interrupted ${a.body.jobId}`));
    await page.click('button:text-is("Replace toner cartridge")');
    await page.waitForSelector('body[data-screen=SC1]');
    await until('job A resumed and completed (T674), then job B', async () => ((await jobState(b.body.jobId)) === 'completed' ? true : undefined));
    assert.equal(await jobState(a.body.jobId), 'completed');
    assert.equal((await printerState(id)).acceptingJobs, true, 'acceptance again after the replacement (T670)');
    await page.close();
  });

  it('refuses bad forms and forms from other sites, changing nothing', async () => {
    const id = ids[2]!;
    const before = await printerState(id);
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${web}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body, redirect: 'manual' });
    const bad = await post(`printers/${id}`, 'state=sideways');
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /Choose &#34;enable service state&#34;/);
    assert.equal((await post(`printers/${id}`, 'state=enabled', { origin: 'http://evil.example' })).status, 403);
    assert.equal((await post(`printers/${id}`, 'x'.repeat(5000))).status, 413);
    assert.equal((await post(`printers/${id}/inquiry`, 'answer=yes')).status, 409, 'nothing was asked');
    assert.equal((await post('printers/nope', 'state=enabled')).status, 404);
    assert.deepEqual(await printerState(id), before);
  });
});
