/** Real relay processes and the real CLI, for tests. Nothing here mocks the network. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { storeArgs } from './store.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = join(ROOT, 'dist/src/cli/main.js');

export function tempDir(prefix = 'fleetrelay-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(dataDir: string, args: string[], o: { input?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, '--data-dir', dataDir, ...storeArgs(dataDir), ...args], {
    input: o.input ?? '',
    env: { ...process.env, ...o.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI and parses its --json output; fails loudly on a non-zero exit. */
export function cliJson<T = Record<string, unknown>>(dataDir: string, args: string[]): T {
  const r = cli(dataDir, [...args, '--json']);
  if (r.code !== 0) throw new Error(`fleetrelay ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface RelayProcess {
  url: string;
  /** The print-by-mail listener's port. */
  smtpPort: number;
  /** The fax relay's TCP port. */
  faxPort: number;
  dataDir: string;
  proc: ChildProcess;
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Set FLEETRELAY_TEST_LOG_DIR (or pass logDir) and every relay started here logs at debug, each
 * into its own file in that folder: `scripts/check-log-secrets.mjs <folder>` then greps what a
 * whole test run logged for secrets.
 */
export const TEST_LOG_DIR_ENV = 'FLEETRELAY_TEST_LOG_DIR';
let relaysStarted = 0;

/** Starts `fleetrelay serve` on a free loopback port and waits for its "relay ready" log line. */
export async function startRelay(o: { dataDir?: string; args?: string[]; env?: NodeJS.ProcessEnv; nodeArgs?: string[]; logDir?: string; sqlite?: boolean; readyMs?: number } = {}): Promise<RelayProcess> {
  const dataDir = o.dataDir ?? tempDir();
  const logDir = o.logDir ?? process.env[TEST_LOG_DIR_ENV];
  const proc = spawn(
    process.execPath,
    [...(o.nodeArgs ?? []), CLI, '--data-dir', dataDir, ...(o.sqlite ? [] : storeArgs(dataDir)), 'serve', '--port', '0', '--host', '127.0.0.1', '--smtp-host', '127.0.0.1', '--fax-host', '127.0.0.1', ...(o.args?.includes('--smtp-port') ? [] : ['--smtp-port', '0']), ...(o.args?.includes('--fax-port') ? [] : ['--fax-port', '0']), ...(o.args ?? [])],
    { env: { ...process.env, ...(logDir ? { FLEETRELAY_LOG_LEVEL: 'debug' } : {}), ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logFile: NodeJS.WritableStream | null = null;
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    logFile = createWriteStream(join(logDir, `relay-${process.pid}-${++relaysStarted}-${proc.pid}.log`), { flags: 'a' });
    // 'close' comes after the last line of stdout and stderr.
    proc.once('close', () => {
      logFile?.end();
      logFile = null;
    });
  }
  const logs: string[] = [];
  const keep = (l: string): void => {
    logFile?.write(`${l}\n`);
    logs.push(l);
    if (logs.length > 5000) logs.splice(0, 1000);
  };
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  let smtpPort = 0;
  let faxPort = 0;
  const url = await new Promise<string>((res, rej) => {
    const readyMs = o.readyMs ?? 15_000;
    const timer = setTimeout(() => rej(new Error(`relay did not start in ${readyMs / 1000} s:\n${logs.join('\n')}`)), readyMs);
    const lines = createInterface({ input: proc.stdout! });
    createInterface({ input: proc.stderr! }).on('line', keep);
    lines.on('line', (line) => {
      keep(line);
      try {
        const rec = JSON.parse(line) as { msg?: string; url?: string; smtpPort?: number; faxPort?: number };
        if (rec.msg === 'relay ready' && rec.url) {
          smtpPort = rec.smtpPort ?? 0;
          faxPort = rec.faxPort ?? 0;
          clearTimeout(timer);
          res(rec.url);
        }
      } catch {
        /* not JSON */
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`relay exited with ${code} before it was ready:\n${logs.join('\n')}`));
    });
  });
  return {
    url,
    smtpPort,
    faxPort,
    dataDir,
    proc,
    logs,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** Polls `fn` until it gives a value, failing after `ms` with what was awaited. */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Logs reach the test through a pipe, after the response that caused them: wait a little for a line. */
export async function waitForLog(relay: RelayProcess, text: string, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (relay.logs.some((l) => l.includes(text))) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function api<T = any>(
  base: string,
  path: string,
  o: { method?: string; token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  let body = o.body;
  if (o.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(o.json);
  }
  const res = await fetch(base + path, { method: o.method ?? 'GET', headers, body, redirect: 'manual', signal: AbortSignal.timeout(40_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}

/** A site-admin API token made with the CLI. */
export function adminToken(dataDir: string): string {
  return cliJson<{ token: string }>(dataDir, ['token', 'create', '--admin']).token;
}
