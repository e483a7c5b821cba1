import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { NODE_NAME } from '../bus/bus.js';
import { runWorkers, tellReady, workerIndex, workerShare, workersWanted } from './workers.js';
import { capacity, defaults, openFilesLimit, type RelayConfig } from '../config.js';
import { startRelay } from '../main.js';
import type { GlobalOptions } from './context.js';
import { UsageError } from './errors.js';
import { wholeNumber } from './parse.js';

interface ServeOptions {
  port?: string;
  host: string;
  xmppDomain?: string;
  publicUrl?: string;
  tlsCert?: string;
  tlsKey?: string;
  trustProxy?: boolean;
  metricsToken?: string;
  registrationTtl: string;
  logLevel: string;
  managementTimer: string;
  boshWait: string;
  boshInactivity: string;
  pushTimeout: string;
  maxSessions?: string;
  admitRate: string;
  timeZone: string;
  smtpUrl?: string;
  mailFrom: string;
  notifyEmail?: string;
  allowPrivateWebhooks?: boolean;
  smtpPort: string;
  smtpHost: string;
  mailDomain?: string;
  maxDocument: string;
  printRetention: string;
  printKeep: string;
  statusPoll: string;
  statusHistory: string;
  faxPort: string;
  faxHost: string;
  faxMaxFrame: string;
  faxHoldInterval: string;
  faxCallTimeout: string;
  natsUrl?: string;
  nodeId?: string;
  workers?: string;
}

const env = process.env;

const intOption = wholeNumber;

export function serveConfig(o: ServeOptions, g: GlobalOptions): RelayConfig {
  if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
  const port = intOption('--port', o.port ?? env.PORT ?? String(defaults.port), 0, 65535);
  return {
    natsUrl: o.natsUrl ?? env.FLEETRELAY_NATS_URL,
    nodeId: nodeId(o.nodeId ?? env.FLEETRELAY_NODE_ID, port),
    sharesDataDir: workerIndex() !== null,
    host: o.host,
    port,
    dataDir: g.dataDir,
    databaseUrl: g.databaseUrl,
    domain: o.xmppDomain ?? env.FLEETRELAY_DOMAIN ?? defaults.domain,
    publicUrl: (o.publicUrl ?? env.FLEETRELAY_PUBLIC_URL)?.replace(/\/+$/, ''),
    tls: o.tlsCert && o.tlsKey ? { cert: o.tlsCert, key: o.tlsKey } : undefined,
    trustProxy: Boolean(o.trustProxy ?? env.FLEETRELAY_TRUST_PROXY === '1'),
    metricsToken: o.metricsToken ?? env.FLEETRELAY_METRICS_TOKEN,
    registrationTtlSeconds: intOption('--registration-ttl', o.registrationTtl, 1, 7 * 86400),
    authFailuresPerMinute: intOption('FLEETRELAY_AUTH_FAILURES_PER_MINUTE', env.FLEETRELAY_AUTH_FAILURES_PER_MINUTE ?? String(defaults.authFailuresPerMinute), 1, 1e6),
    registrationsPerMinute: intOption('FLEETRELAY_REGISTRATIONS_PER_MINUTE', env.FLEETRELAY_REGISTRATIONS_PER_MINUTE ?? String(defaults.registrationsPerMinute), 1, 1e6),
    logLevel: o.logLevel,
    managementTimerSeconds: intOption('--management-timer', o.managementTimer, 1, 86400),
    boshMaxWait: intOption('--bosh-wait', o.boshWait, 1, 300),
    boshInactivity: intOption('--bosh-inactivity', o.boshInactivity, 1, 3600),
    pushTimeoutSeconds: intOption('--push-timeout', o.pushTimeout, 1, defaults.pushMaxTimeoutSeconds),
    pushMaxTimeoutSeconds: defaults.pushMaxTimeoutSeconds,
    ...limits(o.maxSessions),
    admitRate: workerShare(intOption('--admit-rate', o.admitRate, 1, 1_000_000)),
    timeZone: o.timeZone,
    smtpUrl: o.smtpUrl ?? env.FLEETRELAY_SMTP_URL,
    mailFrom: o.mailFrom,
    notifyEmails: (o.notifyEmail ?? env.FLEETRELAY_NOTIFY_EMAIL ?? '').split(',').map((x) => x.trim()).filter(Boolean),
    allowPrivateWebhooks: Boolean(o.allowPrivateWebhooks ?? env.FLEETRELAY_ALLOW_PRIVATE_WEBHOOKS === '1'),
    smtpPort: intOption('--smtp-port', o.smtpPort, 0, 65535),
    smtpHost: o.smtpHost,
    mailDomain: o.mailDomain ?? env.FLEETRELAY_MAIL_DOMAIN ?? o.xmppDomain ?? env.FLEETRELAY_DOMAIN ?? defaults.domain,
    printMaxDocumentBytes: intOption('--max-document', o.maxDocument, 1024, 4 * 1024 ** 3),
    printRetentionSeconds: intOption('--print-retention', o.printRetention, 1, 365 * 86400),
    printKeepSeconds: intOption('--print-keep', o.printKeep, 0, 365 * 86400),
    statusPollSeconds: intOption('--status-poll', o.statusPoll, 0, 7 * 86400),
    statusHistoryDays: intOption('--status-history', o.statusHistory, 1, 3650),
    faxPort: intOption('--fax-port', o.faxPort, 0, 65535),
    faxHost: o.faxHost,
    faxMaxFrame: intOption('--fax-max-frame', o.faxMaxFrame, 1024, 64 * 1024 * 1024),
    faxHoldIntervalSeconds: intOption('--fax-hold-interval', o.faxHoldInterval, 1, 3600),
    faxCallTimeoutSeconds: intOption('--fax-call-timeout', o.faxCallTimeout, 1, 600),
  };
}

/** This node's name: as given, or the host name and port (and, for one of several workers, its number). */
function nodeId(given: string | undefined, port: number): string {
  const worker = workerIndex();
  const base = given ?? `${hostname().replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40)}-${port || `pid${process.pid}`}`;
  const name = worker === null ? base : `${base}-w${worker}`;
  if (!NODE_NAME.test(name)) throw new UsageError(`--node-id ${JSON.stringify(given)}: letters, digits, '-' and '_' only, at most ${worker === null ? 64 : 60} characters`);
  return name;
}

/** Sessions and connections sized to this process's open-files limit, unless --max-sessions says less. */
function limits(maxSessions: string | undefined): { maxConnections: number; maxSessions: number } {
  const fit = capacity(openFilesLimit(() => readFileSync('/proc/self/limits', 'utf8')));
  if (maxSessions === undefined) return fit;
  return { ...fit, maxSessions: Math.min(fit.maxSessions, workerShare(intOption('--max-sessions', maxSessions, 1, 10_000_000))) };
}

export function serveCommand(program: Command, g: () => GlobalOptions): void {
  program
    .command('serve')
    .description('run the relay: device endpoints, REST API (/api/v1) and web pages on one HTTP port')
    .option('--port <port>', `HTTP port (env PORT, default ${defaults.port})`)
    .option('--host <address>', 'address of the HTTP listener (env FLEETRELAY_HOST)', env.FLEETRELAY_HOST ?? defaults.host)
    .option('--xmpp-domain <domain>', `XMPP domain of device JIDs (env FLEETRELAY_DOMAIN, default ${defaults.domain})`)
    .option('--public-url <url>', 'base URL people and devices reach the relay at, for claim links (env FLEETRELAY_PUBLIC_URL)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
    .option('--trust-proxy', 'trust X-Forwarded-For/-Proto from a reverse proxy (env FLEETRELAY_TRUST_PROXY=1)')
    .option('--metrics-token <token>', 'bearer token allowed to read /metrics (env FLEETRELAY_METRICS_TOKEN)')
    .option('--registration-ttl <seconds>', 'how long a registration PIN stays valid', env.FLEETRELAY_REGISTRATION_TTL ?? String(defaults.registrationTtlSeconds))
    .option('--management-timer <seconds>', 'a device is OFFLINE after this long without a request', env.FLEETRELAY_MANAGEMENT_TIMER ?? String(defaults.managementTimerSeconds))
    .option('--bosh-wait <seconds>', 'longest a BOSH request is held', env.FLEETRELAY_BOSH_WAIT ?? String(defaults.boshMaxWait))
    .option('--bosh-inactivity <seconds>', 'BOSH session inactivity limit', env.FLEETRELAY_BOSH_INACTIVITY ?? String(defaults.boshInactivity))
    .option('--push-timeout <seconds>', 'default wait for a device to answer a GET/SET', env.FLEETRELAY_PUSH_TIMEOUT ?? String(defaults.pushTimeoutSeconds))
    .option('--max-sessions <n>', 'device sessions accepted (default: what the open-files limit allows; env FLEETRELAY_MAX_SESSIONS)', env.FLEETRELAY_MAX_SESSIONS)
    .option('--admit-rate <n>', 'new device sessions admitted per second (shared among --workers); faster ones get 503 with Retry-After, so a reconnect storm is spread out (env FLEETRELAY_ADMIT_RATE)', env.FLEETRELAY_ADMIT_RATE ?? String(defaults.admitRate))
    .option('--time-zone <zone>', 'IANA time zone of billing periods (env FLEETRELAY_TIME_ZONE)', env.FLEETRELAY_TIME_ZONE ?? 'UTC')
    .option('--smtp-url <url>', 'send mail through this SMTP server, e.g. smtp://mail.example.com:587 (env FLEETRELAY_SMTP_URL)')
    .option('--mail-from <address>', 'sender of notification mail', env.FLEETRELAY_MAIL_FROM ?? 'FleetRelay <fleetrelay@localhost>')
    .option('--notify-email <addresses>', 'operators to mail on new alerts and orders, comma-separated (env FLEETRELAY_NOTIFY_EMAIL)')
    .option('--allow-private-webhooks', 'let webhooks reach loopback and private addresses (env FLEETRELAY_ALLOW_PRIVATE_WEBHOOKS=1)')
    .option('--smtp-port <port>', 'print-by-mail listener port (env FLEETRELAY_SMTP_PORT; 0: any free port)', env.FLEETRELAY_SMTP_PORT ?? '2525')
    .option('--smtp-host <address>', 'address of the print-by-mail listener (env FLEETRELAY_SMTP_HOST)', env.FLEETRELAY_SMTP_HOST ?? defaults.host)
    .option('--mail-domain <domain>', "domain of printers' mail addresses (env FLEETRELAY_MAIL_DOMAIN; default: the XMPP domain)")
    .option('--max-document <bytes>', 'largest print document accepted (env FLEETRELAY_MAX_DOCUMENT)', env.FLEETRELAY_MAX_DOCUMENT ?? String(defaults.printMaxDocumentBytes))
    .option('--print-retention <seconds>', 'an unfinished print job without progress this long is aborted and its document deleted (env FLEETRELAY_PRINT_RETENTION)', env.FLEETRELAY_PRINT_RETENTION ?? String(defaults.printRetentionSeconds))
    .option('--print-keep <seconds>', "keep a completed job's document this long for its account (GET /api/v1/jobs/{id}/document); 0 deletes it at completion (env FLEETRELAY_PRINT_KEEP)", env.FLEETRELAY_PRINT_KEEP ?? String(defaults.printKeepSeconds))
    .option('--status-poll <seconds>', "ask each online device for its supplies, counter and state this often, spread over the fleet (env FLEETRELAY_STATUS_POLL; 0: never)", env.FLEETRELAY_STATUS_POLL ?? String(defaults.statusPollSeconds))
    .option('--status-history <days>', 'keep supply levels and counters this long (env FLEETRELAY_STATUS_HISTORY)', env.FLEETRELAY_STATUS_HISTORY ?? String(defaults.statusHistoryDays))
    .option('--fax-port <port>', `fax relay TCP port, TLS when --tls-cert is given (env FLEETRELAY_FAX_PORT; 0: any free port)`, env.FLEETRELAY_FAX_PORT ?? String(defaults.faxPort))
    .option('--fax-host <address>', 'address of the fax relay listener (env FLEETRELAY_FAX_HOST)', env.FLEETRELAY_FAX_HOST ?? defaults.host)
    .option('--fax-max-frame <bytes>', 'largest fax frame accepted', env.FLEETRELAY_FAX_MAX_FRAME ?? String(defaults.faxMaxFrame))
    .option('--fax-hold-interval <seconds>', 'hold interval told to fax machines; silent for 3 intervals: closed', env.FLEETRELAY_FAX_HOLD_INTERVAL ?? String(defaults.faxHoldIntervalSeconds))
    .option('--fax-call-timeout <seconds>', 'how long a called fax machine has to answer', env.FLEETRELAY_FAX_CALL_TIMEOUT ?? String(defaults.faxCallTimeoutSeconds))
    .option('--nats-url <url>', 'run as one node of a cluster: the NATS server (with JetStream) the nodes talk through, e.g. nats://127.0.0.1:4222; nodes sharing it and the database form one relay (env FLEETRELAY_NATS_URL)')
    .option('--node-id <id>', "this node's name in the cluster (env FLEETRELAY_NODE_ID; default: host name and port)")
    .option('--workers <n>', "run n relay processes sharing this host's ports, each a node of the cluster (needs --nats-url); auto: enough for --max-sessions (env FLEETRELAY_WORKERS)", env.FLEETRELAY_WORKERS)
    .option('--log-level <level>', 'trace, debug, info, warn, error', env.FLEETRELAY_LOG_LEVEL ?? defaults.logLevel)
    .action(async (o: ServeOptions) => {
      const config = serveConfig(o, g());
      const workers = workersWanted(o.workers, config, o.maxSessions);
      if (workers > 1 && workerIndex() === null) return runWorkers(workers, config);
      const relay = await startRelay(config);
      if (workerIndex() !== null) tellReady(relay.ready);
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        relay.app.log.info({ signal }, 'shutting down');
        // In-flight requests get a bounded grace period; then we go regardless.
        const force = setTimeout(() => process.exit(1), 10_000);
        force.unref();
        relay.close().then(
          () => process.exit(0),
          (err: unknown) => {
            relay.app.log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
