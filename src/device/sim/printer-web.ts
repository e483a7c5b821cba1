import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VirtualPrinter } from './printer.js';

/** Form bodies are a few fields; anything longer is refused unread. */
const MAX_BODY = 4096;
/** The longest monitoring time the settings screen SC1 takes for a delayed stop (embodiment 4): a week. */
const MAX_DELAY_S = 7 * 86400;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

class PageError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The printers' own web pages (seed 003 §4): the setting change screen SC1 (SC5 for printers
 * whose disable asks on the screen itself), the completion screen SC2, and the inquiry SC4 that
 * a disable leads to on printers that ask afterwards. One server for all simulated printers,
 * each under /printers/<id>.
 */
export class PrinterWebServer {
  private readonly printers = new Map<string, VirtualPrinter>();
  private readonly server: Server;
  /** Setting changes run one at a time, so an enable and a disable cannot interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(printers: VirtualPrinter[]) {
    for (const p of printers) this.printers.set(p.deviceId, p);
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 10_000;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://printer');
      const m = /^\/printers\/([^/]{1,100})(\/inquiry|\/cartridge)?$/.exec(url.pathname);
      if (url.pathname === '/' && req.method === 'GET') return send(res, 200, this.index());
      if (!m) throw new PageError(404, 'There is no such page on this printer.');
      const printer = this.printers.get(m[1]!);
      if (!printer) throw new PageError(404, 'There is no such printer here.');
      const screen = m[2] ?? '';
      if (req.method === 'GET') {
        if (screen === '') return send(res, 200, settingsScreen(printer));
        if (screen === '/inquiry' && printer.settings.inquiryPending) return send(res, 200, inquiryScreen(printer));
        if (screen === '/inquiry') return redirect(res, `/printers/${encodeURIComponent(printer.deviceId)}`);
        throw new PageError(405, 'Use the button on the settings screen.');
      }
      if (req.method !== 'POST') throw new PageError(405, 'This page takes GET and POST.');
      checkOrigin(req);
      const form = await readForm(req);
      const next = await this.serially(() => this.change(printer, screen, form));
      return next.startsWith('/') ? redirect(res, next) : send(res, 200, next);
    } catch (err) {
      const status = err instanceof PageError ? err.status : 502;
      const text = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) send(res, status, page('Error', 'error', `<p class="error" role="alert">${esc(text)}</p><p><a href="/">Printers</a></p>`));
      else res.destroy();
    }
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Applies a form; returns the page to show, or a path to redirect to. */
  private async change(printer: VirtualPrinter, screen: string, form: URLSearchParams): Promise<string> {
    const s = printer.settings;
    const home = `/printers/${encodeURIComponent(printer.deviceId)}`;
    if (screen === '/cartridge') {
      await printer.replaceCartridge();
      return home;
    }
    if (screen === '/inquiry') {
      const answer = form.get('answer');
      if (answer !== 'yes' && answer !== 'no') throw new PageError(400, 'Answer YES or NO.');
      if (!s.inquiryPending) throw new PageError(409, 'The printer is not asking anything now.');
      await s.answerInquiry(answer === 'yes');
      return completionScreen(printer, answer === 'yes' ? 'Print requests are no longer accepted.' : 'Print requests are still accepted and will print once the service is enabled again.');
    }
    const state = form.get('state');
    if (state !== 'enabled' && state !== 'disabled') throw new PageError(400, 'Choose "enable service state" or "disable service state".');
    if (s.policy === 'delayed' && form.has('delaySeconds')) {
      const seconds = Number(form.get('delaySeconds'));
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_DELAY_S) throw new PageError(400, `The monitoring time is 1 to ${MAX_DELAY_S} seconds.`);
      s.delayMs = seconds * 1000;
    }
    if (state === 'enabled') {
      if (!s.enabled) await s.enable();
      return completionScreen(printer, 'The service state is enabled: the printer is connected to the cloud.');
    }
    if (!s.enabled) return completionScreen(printer, 'The service state was already disabled.');
    await s.disable(s.policy === 'checkbox' ? { stopAccepting: form.get('stopAccepting') === 'on' } : {});
    if (s.inquiryPending) return `${home}/inquiry`;
    return completionScreen(printer, 'The service state is disabled: the printer is disconnected from the cloud.');
  }

  private index(): string {
    const rows = [...this.printers.values()]
      .map((p) => `<tr><td><a href="/printers/${encodeURIComponent(p.deviceId)}">${esc(p.deviceId)}</a></td><td>${serviceState(p)}</td><td>${accepting(p)}</td><td>${activity(p)}</td></tr>`)
      .join('');
    return page('Printers', 'index', `<table><thead><tr><th>Printer</th><th>Service</th><th>Print requests</th><th>Now</th></tr></thead><tbody>${rows}</tbody></table>`);
  }
}

const serviceState = (p: VirtualPrinter): string => (p.settings.enabled ? 'enabled' : 'disabled');
const accepting = (p: VirtualPrinter): string => (p.accepting === null ? 'not told yet' : p.accepting ? 'accepted' : 'refused');
const activity = (p: VirtualPrinter): string => {
  const a = p.activity;
  return a ? `${a.phase} ${esc(a.jobId)}` : 'idle';
};

/** The setting change screen SC1: printer ID, enable/disable, OK — SC5 adds "stop accepting print requests" (embodiment 3). */
function settingsScreen(p: VirtualPrinter): string {
  const s = p.settings;
  const sc5 = s.policy === 'checkbox';
  const radio = (value: string, label: string, on: boolean) =>
    `<label><input type="radio" name="state" value="${value}"${on ? ' checked' : ''}> ${label}</label>`;
  const delay =
    s.policy === 'delayed'
      ? `<label>Stop accepting print requests after the service has been disabled for <input type="number" name="delaySeconds" min="1" max="${MAX_DELAY_S}" value="${Math.round(s.delayMs / 1000)}"> seconds</label>`
      : '';
  const stop = sc5 ? `<label><input type="checkbox" name="stopAccepting"> Stop accepting print requests</label>` : '';
  const toner =
    p.hasToner
      ? `<form method="post" action="/printers/${encodeURIComponent(p.deviceId)}/cartridge"><p>Toner: <output id="toner">${Math.round(p.tonerPercent)} %</output> <button>Replace toner cartridge</button></p></form>`
      : '';
  return page(
    `Settings — ${p.deviceId}`,
    sc5 ? 'SC5' : 'SC1',
    `<form method="post"><p>Printer ID: <strong id="printer-id">${esc(p.deviceId)}</strong></p>
<fieldset><legend>Cloud print service</legend>${radio('enabled', 'Enable service state', s.enabled)}<br>${radio('disabled', 'Disable service state', !s.enabled)}</fieldset>
${stop}${delay}<p>Print requests: <output id="accepting">${accepting(p)}</output> · Now: <output id="activity">${activity(p)}</output></p>
<button type="submit">OK</button></form>${toner}`,
  );
}

/** The inquiry screen SC4 (embodiment 2): after a disable, stop accepting print requests? */
function inquiryScreen(p: VirtualPrinter): string {
  return page(
    `Stop accepting? — ${p.deviceId}`,
    'SC4',
    `<p>The cloud print service of <strong>${esc(p.deviceId)}</strong> is disabled.</p>
<p>Stop accepting print requests as well? Choose NO for a short break (requests made meanwhile print when you enable it again), YES for a long one.</p>
<form method="post"><button name="answer" value="yes">YES</button> <button name="answer" value="no">NO</button></form>`,
  );
}

/** The completion screen SC2: the setting was changed. */
function completionScreen(p: VirtualPrinter, message: string): string {
  return page(
    `Done — ${p.deviceId}`,
    'SC2',
    `<p role="status">${esc(message)}</p><p>Service state: <output id="service">${serviceState(p)}</output> · Print requests: <output id="accepting">${accepting(p)}</output></p>
<p><a href="/printers/${encodeURIComponent(p.deviceId)}">Back to the settings</a> · <a href="/">Printers</a></p>`,
  );
}

function page(title: string, screen: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:40rem}label{display:block;margin:.4rem 0}.error{color:#a00}td,th{padding:.2rem .8rem;text-align:left}</style>
</head><body data-screen="${screen}"><h1>${esc(title)}</h1>${body}</body></html>`;
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY' });
  res.end(html);
}

function redirect(res: ServerResponse, path: string): void {
  res.writeHead(303, { location: path });
  res.end();
}

/** A form posted from another site's page is refused (no CSRF on the printer's settings). */
function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  if (URL.canParse(origin) && new URL(origin).host === req.headers.host) return;
  throw new PageError(403, "Settings can only be changed from this printer's own pages.");
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) throw new PageError(415, 'Send the form as application/x-www-form-urlencoded.');
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > MAX_BODY) throw new PageError(413, 'The form is too large.');
  }
  return new URLSearchParams(body);
}
