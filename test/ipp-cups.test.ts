/**
 * IPP for clients (issue 16) with Debian's CUPS, a client nobody here wrote: a private cupsd adds
 * the relayed printer with `lpadmin -p office -E -v ipp://user:token@relay/ipp/print/ID -m
 * everywhere` (the credentials in the device URI, as CUPS's ipp backend takes them), `lp` prints
 * a PDF that a simulated printer fetches and prints, and `cancel` cancels a job the relay holds for
 * a printer that is away. Both sides are read: cupsd (lpstat, its PPD, its error_log at debug) and
 * the relay (its jobs API).
 *
 * cupsd builds an IPP Everywhere PPD with a Get-Printer-Attributes of its own that never carries
 * the device URI's credentials (scheduler/ipp.c: only the ipp backend uses them, and a 401 there
 * ends in cups-authentication-canceled), so the relay answers that operation without them.
 * lpadmin exits 0 whether or not the PPD could be made (cupsd 2.4.2 answers before it builds it),
 * so the test reads the PPD and cupsd's log.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VirtualPrinter } from '../src/device/sim/printer.js';
import { cupsJobState, onePagePdf, startCupsd, type Cupsd } from './helpers/cups.js';
import { adminToken, api, cliJson, startRelay, tempDir, until, type RelayProcess } from './helpers/relay.js';

interface RelayJob {
  jobId: string;
  state: string;
  name: string;
  source: string;
  documentType: string;
  history?: { state: string; detail?: string }[];
}

describe("IPP with Debian's CUPS: lpadmin -m everywhere, lp, cancel (issue 16)", () => {
  let relay: RelayProcess;
  let cups: Cupsd;
  let admin: string;
  let token: string;
  let device: { deviceId: string; token: string };
  let printer: VirtualPrinter;
  let dir: string;

  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
    token = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'default']).token;
    device = cliJson(relay.dataDir, ['device', 'add', '--serial', 'CUPS-1', '--model', 'MP C3004']);
    printer = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: device });
    await printer.start();
    cups = await startCupsd();
    dir = tempDir();
  });
  after(async () => {
    await printer?.stop().catch(() => undefined);
    await cups?.stop();
    await relay?.stop();
  });

  /** cupsd logs device URIs whole: never quote its log with the token in it. */
  const redact = (s: string) => s.replaceAll(token, '<token>');
  const logLines = (re: RegExp) => redact(cups.errorLog().split('\n').filter((l) => re.test(l)).join('\n'));
  const relayJobs = async () => (await api(relay.url, `/api/v1/jobs?printerId=${device.deviceId}`, { token: admin })).body.items as RelayJob[];
  const relayJob = async (id: string) => (await api(relay.url, `/api/v1/jobs/${id}`, { token: admin })).body as RelayJob;
  /** `lp` a PDF; the CUPS job's name (office-N). */
  const lp = async (title: string): Promise<string> => {
    const file = join(dir, `${title}.pdf`);
    writeFileSync(file, onePagePdf(title));
    const r = await cups.run('lp', ['-d', 'office', '-t', title, file]);
    assert.equal(r.code, 0, `lp: ${r.stdout}${r.stderr}`);
    const m = /request id is (office-\d+)/.exec(r.stdout);
    assert.ok(m, `lp says which job it made: ${r.stdout}`);
    return m[1]!;
  };
  /**
   * The job's state in cupsd once it has ended (completed, canceled or aborted), and its line in
   * `lpstat -W completed`.
   */
  const cupsEnded = async (job: string, ms = 60_000) => {
    const n = Number(job.split('-').pop());
    const ended = await until(`cupsd ends ${job}`, async () => {
      const s = await cupsJobState(cups, 'office', n);
      if (s && ['completed', 'canceled', 'aborted'].includes(s.state)) return s;
      await new Promise((r) => setTimeout(r, 250));
      return undefined;
    }, ms);
    const listed = await cups.run('lpstat', ['-W', 'completed', '-o', 'office']);
    assert.match(listed.stdout, new RegExp(`^${job}\\s`, 'm'), `lpstat -W completed lists ${job}:\n${listed.stdout}${listed.stderr}`);
    return ended;
  };

  it("adds the queue with lpadmin -m everywhere: CUPS builds its PPD from the relay's Get-Printer-Attributes", async () => {
    const uri = `ipp://fleetrelay:${encodeURIComponent(token)}@${new URL(relay.url).host}/ipp/print/${device.deviceId}`;
    const added = await cups.run('lpadmin', ['-p', 'office', '-E', '-v', uri, '-m', 'everywhere']);
    assert.equal(added.code, 0, `lpadmin: ${redact(added.stdout + added.stderr)}`);
    // cupsd 2.4.2 answers lpadmin at once and builds the PPD afterwards: lpadmin exits 0 either way.
    const ppd = join(cups.dir, 'conf/ppd/office.ppd');
    const outcome = await until('cupsd builds the PPD or says it could not', () =>
      existsSync(ppd) ? 'built' : /office: PPD creation failed/.test(cups.errorLog()) ? 'failed' : undefined, 30_000);
    assert.equal(outcome, 'built', `cupsd could not build the IPP Everywhere PPD (it asks without the device URI's credentials):\n${logLines(/office: /)}`);
    const text = readFileSync(ppd, 'utf8');
    assert.match(text, /^\*cupsFilter2: "application\/vnd\.cups-pdf application\/pdf /m, 'CUPS sends PDF, which the relay lists');
    const options = await cups.run('lpoptions', ['-p', 'office', '-l']);
    assert.match(options.stdout, /^PageSize\/[^:]*:.*\bA4\b.*\bLetter\b/m, `A4 and Letter, the relay's media-supported:\n${options.stdout}${options.stderr}`);
    const shown = await cups.run('lpstat', ['-v', 'office']);
    assert.match(shown.stdout, new RegExp(`device for office: ipp://.*/ipp/print/${device.deviceId}`), shown.stdout + shown.stderr);
    assert.ok(!shown.stdout.includes(token), 'lpstat does not show the token');
  });

  it('prints with lp: the job reaches the relay, the simulated printer prints it, both say completed', async () => {
    const cupsJob = await lp('minutes');
    const job = await until('the job at the relay', async () => (await relayJobs()).find((j) => j.name === 'minutes'), 60_000);
    assert.equal(job.source, 'ipp');
    const done = await until('the relay job completed', async () => {
      const j = await relayJob(job.jobId);
      return ['completed', 'canceled', 'aborted'].includes(j.state) ? j : undefined;
    }, 60_000);
    assert.equal(done.state, 'completed', JSON.stringify(done));
    await until('the simulated printer counts it printed', () => (printer.printed.includes(job.jobId) ? true : undefined));
    assert.equal(done.documentType, 'application/pdf');
    assert.equal(done.history?.at(-1)?.detail, '1 page', 'the printer read one page from the PDF CUPS sent');
    const n = cupsJob.split('-').pop();
    const format = new RegExp(`\\[Job ${n}\\] final_content_type=\\\\?"([^"\\\\]+)`).exec(cups.errorLog())?.[1];
    assert.equal(format, 'application/pdf', `what CUPS's filters made for the relay:\n${logLines(new RegExp(`\\[Job ${n}\\] .*(content_type|document-format)`))}`);
    const ended = await cupsEnded(cupsJob);
    // cupsd 2.4.2 leaves a completed job's job-state-reasons at processing-to-stop-point (scheduler/job.c).
    assert.equal(ended.state, 'completed', JSON.stringify(ended));
  });

  it('cancels with cancel: a job the relay holds for a printer that is away ends canceled at the relay and in CUPS', async () => {
    await printer.stop();
    await until('the printer is away', async () => ((await api(relay.url, `/api/v1/printers/${device.deviceId}`, { token: admin })).body.online === false ? true : undefined), 30_000);
    const cupsJob = await lp('agenda');
    const job = await until('the job at the relay', async () => (await relayJobs()).find((j) => j.name === 'agenda'), 60_000);
    assert.equal(job.state, 'pending', 'held for the printer');
    const r = await cups.run('cancel', [cupsJob]);
    assert.equal(r.code, 0, `cancel: ${r.stdout}${r.stderr}`);
    const atRelay = await until('the relay job ended', async () => {
      const j = await relayJob(job.jobId);
      return j.state === 'pending' ? undefined : j;
    }, 30_000);
    assert.equal(atRelay.state, 'canceled', JSON.stringify(atRelay));
    const ended = await cupsEnded(cupsJob, 30_000);
    assert.deepEqual(ended, { state: 'canceled', reasons: ['job-canceled-by-user'] });
    assert.ok(!printer.printed.includes(job.jobId));
  });
});
