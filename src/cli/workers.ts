import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capacity, openFilesLimit, type RelayConfig } from '../config.js';
import { PID_FILE, relayLogger } from '../main.js';
import { openStore } from '../stores.js';
import { PRIVATE_DIR } from '../store/modes.js';
import { UsageError } from './errors.js';
import { wholeNumber } from './parse.js';

const WORKER = 'FLEETRELAY_WORKER';
const WORKER_COUNT = 'FLEETRELAY_WORKER_COUNT';
const MAX_WORKERS = 64;
/** A worker that dies is started again after this, so a crash loop does not spin. */
const RESTART_AFTER_MS = 1_000;
const STOP_GRACE_MS = 15_000;

/** This process's number when it is one of `serve --workers`, else null. */
export function workerIndex(): number | null {
  const v = process.env[WORKER];
  return cluster.isWorker && v ? Number(v) : null;
}

/** How many relay processes `--workers` asks for; `auto`: enough to hold --max-sessions at what one process's open-files limit allows. */
export function workersWanted(
  given: string | undefined,
  config: Pick<RelayConfig, 'natsUrl' | 'port' | 'smtpPort' | 'faxPort'>,
  maxSessions: string | undefined,
  openFiles = (): number => openFilesLimit(() => readFileSync('/proc/self/limits', 'utf8')),
): number {
  if (given === undefined) return 1;
  let n: number;
  if (given === 'auto') {
    const perProcess = capacity(openFiles()).maxSessions;
    n = maxSessions === undefined ? availableParallelism() : Math.ceil(wholeNumber('--max-sessions', maxSessions, 1, 10_000_000) / perProcess);
  } else n = wholeNumber('--workers', given, 1, MAX_WORKERS);
  n = Math.min(n, MAX_WORKERS);
  if (n > 1 && !config.natsUrl) throw new UsageError('--workers needs --nats-url: each worker is a node of a cluster, and the nodes talk through NATS');
  // Workers share a listener by its port; "any free port" would give each worker its own.
  if (n > 1 && (config.port === 0 || config.smtpPort === 0 || config.faxPort === 0)) throw new UsageError('--workers needs fixed ports: --port, --smtp-port and --fax-port cannot be 0');
  return n;
}

/** The share of a host-wide budget (--max-sessions, --admit-rate) one worker holds. */
export function workerShare(total: number): number {
  const count = Number(process.env[WORKER_COUNT] ?? 1);
  return workerIndex() === null ? total : Math.ceil(total / count);
}

/**
 * `serve --workers N`: this process forks N relay processes, each a full node of the cluster,
 * sharing the HTTP, fax and SMTP ports through Node's cluster module (Node 20 has no
 * SO_REUSEPORT for net servers). The workers accept from the shared listening sockets themselves
 * (SCHED_NONE): under a reconnect storm the connections they cannot take yet wait in the kernel's
 * bounded backlog, where round-robin would pile them up in the primary until it ran out of open
 * files and reset every new one (seen at 60,000 sessions on two cores). A worker that is full
 * hands new sessions to one with room, so an uneven spread strands nobody. The primary
 * prepares the store once, holds the pid file, starts a worker again if one dies, and on SIGTERM
 * stops them all and waits for them.
 */
export async function runWorkers(n: number, config: RelayConfig): Promise<void> {
  const log = relayLogger(config.logLevel);
  mkdirSync(config.dataDir, { recursive: true, mode: PRIVATE_DIR });
  const store = await openStore(config); // migrates once, before any worker opens it
  await store.blobs.removeStaging(); // uploads cut short by a crash; none is under way yet
  await store.close();
  const pidFile = join(config.dataDir, PID_FILE);
  writeFileSync(pidFile, String(process.pid), { mode: 0o600 });

  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let stopping = false;
  const ready = new Map<number, { url: string; smtpPort: number; faxPort: number }>();
  const start = (index: number): void => {
    const worker = cluster.fork({ [WORKER]: String(index), [WORKER_COUNT]: String(n) });
    worker.on('message', (m: { ready?: { url: string; smtpPort: number; faxPort: number } }) => {
      if (!m.ready) return;
      ready.set(index, m.ready);
      if (ready.size === n) log.info({ ...m.ready, workers: n, dataDir: config.dataDir, domain: config.domain }, 'relay ready');
    });
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      log.error({ worker: index, code, signal }, 'relay worker died; starting it again');
      setTimeout(() => start(index), RESTART_AFTER_MS);
    });
  };
  for (let i = 1; i <= n; i++) start(i);

  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down the workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    const exited = workers.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
    for (const w of workers) w.process.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const w of workers) w.process.kill('SIGKILL');
    }, STOP_GRACE_MS);
    void Promise.all(exited).then(() => {
      clearTimeout(force);
      rmSync(pidFile, { force: true });
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** A worker tells the primary it listens. */
export function tellReady(r: { url: string; smtpPort: number; faxPort: number }): void {
  process.send?.({ ready: r });
}
