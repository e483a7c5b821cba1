import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import type { Browser } from 'playwright-core';
import { VirtualPrinter } from '../src/device/sim/printer.js';
import { launchChromium } from './helpers/browser.js';
import { captureSmtp } from './helpers/smtp.js';
import { adminToken, api, cliJson, startRelay, until, type RelayProcess } from './helpers/relay.js';

const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(5000, 0x20), Buffer.from('\n%%EOF\n')]);
// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe('print by e-mail (seed 002 S101–S205) with the control page in real Chromium', () => {
  let outbound: Awaited<ReturnType<typeof captureSmtp>>;
  let relay: RelayProcess;
  let admin: string;
  let browser: Browser;
  let printer: VirtualPrinter;
  let printerId: string;

  const send = (to: string, o: { from?: string; attachments?: { filename: string; content: Buffer }[]; text?: string }) =>
    nodemailer
      .createTransport({ host: '127.0.0.1', port: relay.smtpPort, secure: false, ignoreTLS: true })
      .sendMail({ from: o.from ?? 'alice@example.com', to, subject: 'Quarterly report', text: o.text ?? '', attachments: o.attachments });

  before(async () => {
    outbound = await captureSmtp();
    relay = await startRelay({ args: ['--smtp-url', outbound.url] });
    admin = adminToken(relay.dataDir);
    const c = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'MAIL-PRN', '--model', 'EP-884A']);
    printerId = c.deviceId;
    printer = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: c });
    await printer.start();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await printer?.stop();
    await relay.stop();
    await outbound.close();
  });

  const linkFor = async (to: string, n: number): Promise<string> => {
    for (let i = 0; i < 100 && outbound.mails.filter((m) => m.to.includes(to)).length < n; i++) await new Promise((r) => setTimeout(r, 50));
    const mail = outbound.mails.filter((m) => m.to.includes(to))[n - 1];
    assert.ok(mail, 'the sender got a mail with the control-page link');
    const m = /(http:\/\/127\.0\.0\.1:\d+\/print\/[A-Za-z0-9_-]+)/.exec(mail.raw.replace(/=\r?\n/g, ''));
    assert.ok(m, mail.raw);
    return m[1]!;
  };

  it('gives each printer an address; mail to it yields a control page whose Print makes the job', async () => {
    const p = await api(relay.url, `/api/v1/printers/${printerId}`, { token: admin });
    assert.equal(p.body.email, `${printerId}@fleetrelay.local`);
    await send(p.body.email, { attachments: [{ filename: 'photo.png', content: PNG }, { filename: 'report.pdf', content: PDF }] });
    const link = await linkFor('alice@example.com', 1);
    assert.deepEqual((await api(relay.url, `/api/v1/jobs?printerId=${printerId}`, { token: admin })).body.items, [], 'no job until Print is pressed');

    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(link);
    assert.match((await page.textContent('main')) ?? '', /alice@example\.com.*Quarterly report/s);
    assert.equal(await page.getAttribute('#preview', 'src'), `/print/${link.split('/print/')[1]}/files/0`);
    await page.selectOption('#file', '1');
    // Chromium's PDF viewer takes the focus when it has loaded the preview, and scrolls the page to
    // show it, at a moment nobody controls (seconds late on a loaded machine). Input events race with
    // that: a key typed after it goes to the viewer (fill's '2' was lost: copies 1), Enter there
    // reloads the page instead of pressing the button, and a mouse click lands on the preview once
    // the page has scrolled under it (no job either way). So the form is driven through its elements,
    // not through the focus or the mouse: the copies are set on the field, a button is pressed by a
    // click event on it (the browser then posts the form from that button, as for a real click), and
    // what was posted is read back from the request. Only the commit of the page the 303 leads to is
    // awaited: the PDF can hold load events back.
    const press = async (button: string): Promise<URLSearchParams> => {
      const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'commit' }), page.dispatchEvent(`button[value=${button}]`, 'click')]);
      const post = response?.request().redirectedFrom();
      assert.ok(post?.method() === 'POST', `pressing ${button} posts the form (not a reload)`);
      const form = new URLSearchParams(post.postData() ?? '');
      assert.equal(form.get('action'), button);
      return form;
    };
    await press('preview');
    // Only the new page previews file 1 (the first one showed file 0).
    await page.waitForSelector('#preview[src$="files/1"]');
    await page.selectOption('#file', '1');
    await page.selectOption('#media', 'na_letter_8.5x11in');
    await page.selectOption('#color', 'monochrome');
    await page.locator('#copies').evaluate((input: HTMLInputElement) => {
      input.value = '2';
    });
    const posted = await press('print');
    assert.deepEqual(['file', 'media', 'color', 'copies'].map((k) => posted.get(k)), ['1', 'na_letter_8.5x11in', 'monochrome', '2']);
    await page.waitForSelector('#job-state');
    assert.match((await page.textContent('#job-state')) ?? '', /Job j[0-9a-z]+/);
    await page.waitForFunction(() => /completed/.test(document.querySelector('#job-state')?.textContent ?? ''), undefined, { timeout: 15_000 });

    const jobs = (await api(relay.url, `/api/v1/jobs?printerId=${printerId}`, { token: admin })).body.items;
    assert.equal(jobs.length, 1);
    assert.deepEqual([jobs[0].source, jobs[0].name, jobs[0].ticket.media, jobs[0].ticket.copies, jobs[0].ticket['print-color-mode']], ['mail', 'report.pdf', 'na_letter_8.5x11in', 2, 'monochrome']);
    assert.ok(printer.printed.includes(jobs[0].jobId));
    // The page printed once; pressing Print again is refused.
    const again = await page.request.post(link, { form: { action: 'print', file: '0', copies: '1' } });
    assert.equal(again.status(), 409);
  });

  it('cancel on the page before printing deletes the print objects', async () => {
    await send(`${printerId}@fleetrelay.local`, { text: 'Please print this note.\n' });
    const link = await linkFor('alice@example.com', 2);
    const page = await browser.newPage();
    await page.goto(link);
    assert.match((await page.textContent('#file')) ?? '', /message\.txt/);
    await Promise.all([page.waitForNavigation({ waitUntil: 'commit' }), page.click('button[value=cancel]')]);
    assert.match((await page.textContent('main')) ?? '', /Canceled: nothing was printed/);
    const files = await fetch(`${link}/files/0`);
    assert.equal(files.status, 404);
  });

  it('a reply to the control-page mail cancels the request; automatic replies do not (seed 002 alternative embodiment)', async () => {
    await send(`${printerId}@fleetrelay.local`, { from: 'carol@example.com', text: 'Print my note.\n' });
    const link = await linkFor('carol@example.com', 1);
    const mail = outbound.mails.filter((m) => m.to.includes('carol@example.com'))[0]!;
    const m = /^Reply-To: (cancel-[a-z0-9]+@fleetrelay\.local)/im.exec(mail.raw);
    assert.ok(m, mail.raw);
    const cancelAddress = m[1]!;
    await assert.rejects(send('cancel-doesnotexist@fleetrelay.local', { text: 'cancel' }), (e: Error & { responseCode?: number }) => e.responseCode === 550 && /no such print request/.test(e.message));

    await nodemailer
      .createTransport({ host: '127.0.0.1', port: relay.smtpPort, secure: false, ignoreTLS: true })
      .sendMail({ from: 'carol@example.com', to: cancelAddress, subject: 'Out of office', text: 'I am away.', headers: { 'Auto-Submitted': 'auto-replied' } });
    assert.equal((await fetch(link)).status, 200, 'an automatic reply does not cancel');

    await send(cancelAddress, { from: 'carol@example.com', text: 'Cancel, please.' });
    assert.equal((await fetch(link)).status, 410);
    assert.equal((await fetch(`${link}/files/0`)).status, 404);
    for (let i = 0; i < 100 && outbound.mails.filter((x) => x.to.includes('carol@example.com')).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const result = outbound.mails.filter((x) => x.to.includes('carol@example.com'))[1];
    assert.ok(result, 'the sender is told');
    assert.match(result.raw, /Canceled: nothing was printed/);
  });

  it('refuses at RCPT: unknown printers, printers not accepting jobs, senders not allowed; and mail with nothing printable', async () => {
    await assert.rejects(send(`dnosuchprinter@fleetrelay.local`, { text: 'x' }), (e: Error & { responseCode?: number }) => e.responseCode === 550 && /no such printer/.test(e.message));
    await assert.rejects(send(`${printerId}@elsewhere.example`, { text: 'x' }), (e: Error & { responseCode?: number }) => e.responseCode === 550);
    const off = cliJson<{ deviceId: string }>(relay.dataDir, ['device', 'add', '--serial', 'MAIL-OFF', '--model', 'EP-884A']);
    await assert.rejects(send(`${off.deviceId}@fleetrelay.local`, { text: 'x' }), (e: Error & { responseCode?: number }) => e.responseCode === 554 && /not accepting jobs/.test(e.message));
    await assert.rejects(
      send(`${printerId}@fleetrelay.local`, { attachments: [{ filename: 'setup.exe', content: Buffer.from([0x4d, 0x5a, 0x90, 0]) }] }),
      (e: Error & { responseCode?: number }) => e.responseCode === 550 && /nothing printable/.test(e.message),
    );
    const allow = await api(relay.url, `/api/v1/printers/${printerId}`, { method: 'PATCH', token: admin, json: { allowedSenders: ['Boss@Example.com'] } });
    assert.deepEqual(allow.body.allowedSenders, ['boss@example.com']);
    await assert.rejects(send(`${printerId}@fleetrelay.local`, { text: 'x' }), (e: Error & { responseCode?: number }) => e.responseCode === 550 && /may not print/.test(e.message));
    await send(`${printerId}@fleetrelay.local`, { from: 'boss@example.com', text: 'from the boss' });
    await linkFor('boss@example.com', 1);
  });

  it('lists the printer\'s print requests by e-mail with their state; with outbound mail the link is not given out', async () => {
    const r = await api(relay.url, `/api/v1/printers/${printerId}/mail-requests`, { token: admin });
    assert.equal(r.status, 200);
    const items = r.body.items as { state: string; jobId: string | null; controlUrl: string | null; sender: string; files: { name: string }[] }[];
    assert.ok(items.some((i) => i.state === 'submitted' && i.jobId?.startsWith('j')), JSON.stringify(items));
    assert.ok(items.some((i) => i.state === 'canceled' && i.sender === 'carol@example.com'));
    assert.ok(items.some((i) => i.state === 'waiting' && i.sender === 'boss@example.com'));
    assert.ok(items.every((i) => i.controlUrl === null), 'the sender has the link by mail');
  });
});

describe('print by e-mail without outbound mail: the control-page link is given by the API (and never logged: it is a capability)', () => {
  let relay: RelayProcess;

  before(async () => {
    relay = await startRelay();
  });
  after(() => relay.stop());

  it('logs where to find the link, lists it for the printer\'s account only, and the link opens the control page', async () => {
    cliJson(relay.dataDir, ['account', 'add', 'acme']);
    cliJson(relay.dataDir, ['account', 'add', 'globex']);
    const acme = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'acme']).token;
    const globex = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'globex']).token;
    const c = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'NOMAIL', '--model', 'EP-884A', '--account', 'acme']);
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true } });
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: relay.smtpPort, secure: false, ignoreTLS: true })
      .sendMail({ from: 'dave@example.com', to: `${c.deviceId}@fleetrelay.local`, subject: 'Minutes', text: 'Print me.' });

    await until('the log line saying where the link is', () => (relay.logs.some((l) => l.includes('no outbound mail') && l.includes('mail-requests')) ? true : undefined));
    const r = await api(relay.url, `/api/v1/printers/${c.deviceId}/mail-requests`, { token: acme });
    assert.equal(r.status, 200);
    const [item] = r.body.items as { state: string; controlUrl: string; sender: string; subject: string; files: { name: string }[] }[];
    assert.deepEqual([item?.state, item?.sender, item?.subject, item?.files.map((f) => f.name)], ['waiting', 'dave@example.com', 'Minutes', ['message.txt']]);
    assert.match(item?.controlUrl ?? '', /\/print\/[A-Za-z0-9_-]{20,}$/);
    assert.ok(!relay.logs.some((l) => l.includes(new URL(item!.controlUrl).pathname)), 'the link is not in the log');
    const page = await fetch(item!.controlUrl);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /message\.txt/);
    assert.equal((await api(relay.url, `/api/v1/printers/${c.deviceId}/mail-requests`, { token: globex })).status, 404, "another account's printer");
  });
});
