/**
 * A private cupsd for a test: its own configuration, spool, cache, state and logs in a temporary
 * folder, listening on a free loopback port, run in the foreground as a child process; the
 * machine's own cupsd (and its /etc/cups, /var/spool/cups, /run/cups) is never used. The CUPS
 * clients (lpadmin, lp, lpstat, cancel) reach it through CUPS_SERVER.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './relay.js';

export const CUPSD = '/usr/sbin/cupsd';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Cupsd {
  port: number;
  dir: string;
  /** Runs a CUPS client against this cupsd (C locale, CUPS_SERVER set), at most `ms`. */
  run(command: string, args: string[], ms?: number): Promise<Run>;
  /** cupsd's error_log (LogLevel debug) as it is now. */
  errorLog(): string;
  /** What cupsd itself wrote to stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function configuration(dir: string, port: number): { conf: string; files: string } {
  // As root, cupsd runs filters and most backends as its User (lp): they must reach the spool.
  const root = process.getuid?.() === 0;
  const group = root ? 'root' : spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();
  const conf =
    `Listen 127.0.0.1:${port}\nLogLevel debug\nMaxLogSize 0\nBrowsing No\nWebInterface No\nDefaultAuthType None\n` +
    // A test's own scheduler on loopback: anyone on this host may add queues, print and cancel.
    `<Location />\n  Order allow,deny\n  Allow from 127.0.0.1\n</Location>\n` +
    `<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n`;
  const files =
    `ServerRoot ${dir}/conf\nRequestRoot ${dir}/spool\nCacheDir ${dir}/cache\nStateDir ${dir}/state\nTempDir ${dir}/spool/tmp\n` +
    `Printcap ${dir}/printcap\nLogFilePerm 0600\nAccessLog ${dir}/log/access_log\nErrorLog ${dir}/log/error_log\nPageLog ${dir}/log/page_log\n` +
    `SystemGroup ${group}\n` +
    (root ? '' : `User ${spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim()}\nGroup ${group}\n`);
  return { conf, files };
}

/** Starts a private cupsd and waits (at most 20 s) until `lpstat -r` says it runs; fails loudly when there is none. */
export async function startCupsd(): Promise<Cupsd> {
  if (!existsSync(CUPSD)) throw new Error(`${CUPSD} is missing: install Debian's cups (scripts/test-deps.sh does, as root)`);
  const dir = tempDir('fleetrelay-cupsd-');
  for (const d of ['conf', 'spool', 'spool/tmp', 'cache', 'state', 'log']) mkdirSync(join(dir, d), { recursive: true });
  for (const d of ['', 'conf', 'spool', 'cache', 'state', 'log']) chmodSync(join(dir, d), 0o755);
  const port = await freePort();
  const { conf, files } = configuration(dir, port);
  writeFileSync(join(dir, 'conf/cupsd.conf'), conf);
  writeFileSync(join(dir, 'conf/cups-files.conf'), files);
  // Detached: cupsd has no controlling terminal, so nothing in it can prompt on the developer's.
  const proc: ChildProcess = spawn(CUPSD, ['-f', '-c', join(dir, 'conf/cupsd.conf'), '-s', join(dir, 'conf/cups-files.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { PATH: process.env.PATH, LC_ALL: 'C' },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // Detached, it would outlive a test run that dies before after(): killed when this process exits.
  const orphaned = () => proc.kill('SIGKILL');
  process.once('exit', orphaned);
  const exited = new Promise<void>((r) => proc.once('exit', () => (process.off('exit', orphaned), r())));
  const errorLog = () => (existsSync(join(dir, 'log/error_log')) ? readFileSync(join(dir, 'log/error_log'), 'utf8') : '');
  const env = { ...process.env, CUPS_SERVER: `127.0.0.1:${port}`, LC_ALL: 'C', LANG: 'C' };
  const run = (command: string, args: string[], ms = 30_000): Promise<Run> =>
    new Promise((resolve) =>
      execFile(command, args, { env, timeout: ms, encoding: 'utf8' }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr: `${stderr}${err && typeof err.code !== 'number' ? String(err) : ''}` }),
      ),
    );
  const cupsd: Cupsd = {
    port,
    dir,
    run,
    errorLog,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const killed = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killed);
    },
  };
  const end = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`cupsd exited (${proc.exitCode ?? proc.signalCode}): ${out}\n${errorLog().slice(-4000)}`);
    const r = await run('lpstat', ['-r'], 5_000);
    if (r.stdout.includes('scheduler is running')) return cupsd;
    if (Date.now() > end) {
      await cupsd.stop();
      throw new Error(`cupsd did not answer on 127.0.0.1:${port} in 20 s: ${r.stdout}${r.stderr}\n${out}\n${errorLog().slice(-4000)}`);
    }
    await wait(100);
  }
}

/**
 * A job's job-state and job-state-reasons as cupsd gives them (Get-Job-Attributes with ipptool,
 * in the test file format ipptool reads): e.g. `{ state: 'completed', reasons: ['job-completed-successfully'] }`.
 */
export async function cupsJobState(cups: Cupsd, queue: string, jobId: number): Promise<{ state: string; reasons: string[] } | undefined> {
  const file = join(cups.dir, 'get-job-state.test');
  writeFileSync(
    file,
    '{\n  NAME "job state"\n  OPERATION Get-Job-Attributes\n  GROUP operation-attributes-tag\n  ATTR charset attributes-charset utf-8\n' +
      '  ATTR naturalLanguage attributes-natural-language en\n  ATTR uri printer-uri $uri\n  ATTR integer job-id $job-id\n' +
      '  ATTR name requesting-user-name $user\n  ATTR keyword requested-attributes job-state,job-state-reasons\n  STATUS successful-ok\n' +
      '  DISPLAY job-state\n  DISPLAY job-state-reasons\n}\n',
  );
  const r = await cups.run('ipptool', ['-t', '-T', '10', '-d', `job-id=${jobId}`, `ipp://127.0.0.1:${cups.port}/printers/${queue}`, file], 20_000);
  const state = /job-state \(enum\) = ([a-z-]+)/.exec(r.stdout)?.[1];
  const reasons = /job-state-reasons \((?:1setOf )?keyword\) = ([a-z0-9,-]+)/.exec(r.stdout)?.[1];
  return state ? { state, reasons: reasons?.split(',') ?? [] } : undefined;
}

/** A small valid one-page PDF (A4, one line of Helvetica), its cross-reference table at the right offsets. */
export function onePagePdf(line: string): Buffer {
  const text = `BT /F1 24 Tf 72 720 Td (${line.replace(/[()\\]/g, '\\$&')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(text)} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(pdf));
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf);
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
