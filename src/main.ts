/**
 * Composition root: config → store, clock, randomness → services → transports.
 * The only place that knows every concrete adapter.
 */
import type { FastifyInstance } from 'fastify';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp } from './app.js';
import { createMetrics } from './http/metrics.js';
import { defaults, type RelayConfig } from './config.js';
import { systemClock, type Clock } from './domain/clock.js';
import { audit } from './services/kernel/context.js';
import { createServices, type Services } from './services/index.js';
import { cryptoRandom, type Random } from './services/kernel/secrets.js';
import { REDACT_PATHS, REDACTED, redactText } from './services/kernel/redact.js';
import { openStore, type StoreLocation } from './stores.js';
import type { Store } from './store/store.js';
import { PRIVATE_DIR } from './store/modes.js';
import { TimerWheel } from './sessions/timer-wheel.js';
import { PresenceService } from './sessions/presence.js';
import { SessionHub } from './sessions/hub.js';
import { RevocationWatch } from './sessions/revocations.js';
import { Answers } from './sessions/answers.js';
import { DeviceSessions } from './sessions/device-sessions.js';
import { DEFAULT_PUSH_LIMITS, PushService } from './services/push/push.js';
import { AlertService } from './services/management/alerts.js';
import { ReportService } from './services/management/reports.js';
import { StatusService } from './services/management/status.js';
import { BulkService } from './services/management/bulk.js';
import { LiveEvents } from './web/live.js';
import { FleetService } from './services/management/fleet.js';
import { DEFAULT_STATUS_POLL, StatusPoller } from './services/management/status-poll.js';
import { WebhookService } from './services/management/webhooks.js';
import { webhookHttp } from './transports/webhook-http/client.js';
import { DEFAULT_PRINT, PrintService } from './services/print/print.js';
import { MailPrintService } from './services/print/mail-print.js';
import { smtpIntake } from './transports/smtp/intake.js';
import { Notifications } from './services/management/notifications.js';
import { smtpMailer } from './services/kernel/mail.js';
import { Outbox } from './services/kernel/outbox.js';
import { Admission, RateLimiter } from './services/kernel/rate-limit.js';
import { BoshManager } from './transports/bosh/manager.js';
import { DEFAULT_BOSH } from './transports/bosh/settings.js';
import { WebSocketManager } from './transports/websocket/manager.js';
import { DEFAULT_WEBSOCKET } from './transports/websocket/session.js';
import type { StreamPort } from './transports/xmpp/stream.js';
import { DEFAULT_FAX, FaxSwitchboard } from './services/fax/switchboard.js';
import { FaxBridge } from './services/fax/bridge.js';
import { FaxRoster } from './services/fax/roster.js';
import { faxServer } from './transports/fax-tcp/server.js';
import type { Server } from 'node:net';
import { base32 } from './domain/identifiers.js';
import type { Bus } from './bus/bus.js';
import { LocalBus } from './bus/local.js';
import { NatsBus } from './bus/nats.js';
import { ClusterNodes } from './sessions/nodes.js';
import { SessionCapacity } from './transports/capacity.js';
import { DeviceDirectory } from './sessions/directory.js';
import { Leader, type Singleton } from './sessions/leader.js';

export interface Relay {
  url: string;
  /** Where it listens. */
  ready: { url: string; smtpPort: number; faxPort: number };
  app: FastifyInstance;
  services: Services;
  close(): Promise<void>;
}

/** Capability URLs (claim pages, registration polls, print control pages) and K= tokens: keep them out of the logs. */
function requestForLog(req: { method: string; url: string; ip?: string }): Record<string, unknown> {
  return { method: req.method, url: redactText(req.url), remoteAddress: req.ip };
}

/**
 * The relay's logger. Secrets never reach a line: whole-secret fields are censored by pino
 * `redact`, request URLs by their serializer, and every written line passes redactText last
 * (one list: services/kernel/redact.ts).
 */
export function relayLogger(level: string): pino.Logger {
  return pino({
    level,
    serializers: { req: requestForLog },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    hooks: { streamWrite: redactText },
  });
}

const SWEEP_EVERY_MS = 10 * 60_000;
export const PID_FILE = 'relay.pid';
/** The relay records its XMPP domain so the CLI prints the same JIDs it uses. */
export const XMPP_DOMAIN_SETTING = 'xmpp_domain';
const PRINT_LINK_KEY_SETTING = 'print_link_key';
/** Relays sharing a store form one cluster: the bus subjects carry this name, made once per store. */
const CLUSTER_SETTING = 'cluster_id';

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The store-backed services alone, for administrative commands that work on the data directory
 * while a relay may run on it: no sessions, no listeners. The XMPP domain is the one the relay
 * last ran with unless `domain` says otherwise, so both print the same JIDs.
 */
export async function openServices(o: StoreLocation & { timeZone: string; domain?: string; mustExist?: boolean }): Promise<{ services: Services; close(): Promise<void> }> {
  const store = await openStore(o);
  try {
    const domain = o.domain ?? (await store.settings.get(XMPP_DOMAIN_SETTING)) ?? defaults.domain;
    const services = createServices(
      { store, clock: systemClock, random: cryptoRandom(), domain },
      { registrationTtlMs: defaults.registrationTtlSeconds * 1000, timeZone: o.timeZone },
    );
    await services.accounts.ensureDefaultAccount();
    return { services, close: () => store.close() };
  } catch (err) {
    await store.close();
    throw err;
  }
}

export async function startRelay(
  config: RelayConfig,
  o: { clock?: Clock; random?: Random; logger?: pino.Logger } = {},
): Promise<Relay> {
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? relayLogger(config.logLevel);
  // The data directory keeps local files (pid, staging, the SMTP spool) even when the store is PostgreSQL: owner-only, like SQLite's.
  mkdirSync(config.dataDir, { recursive: true, mode: PRIVATE_DIR });
  const store = await openStore(config);
  // Uploads cut short by a crash (kill -9, power loss) left staging files no blob refers to; none is under way yet.
  if (!config.sharesDataDir) await store.blobs.removeStaging();
  const services = createServices(
    { store, clock, random: o.random ?? cryptoRandom(), domain: config.domain },
    { registrationTtlMs: config.registrationTtlSeconds * 1000, timeZone: config.timeZone },
  );
  await services.accounts.ensureDefaultAccount();
  // Alone, no session survives a restart; in a cluster the other nodes' devices are ONLINE still (the leader corrects what is stale).
  if (!config.natsUrl) await store.devices.markAllOffline();
  const bus = await openBus(config, store, services.ctx.random, logger);
  const previousDomain = await store.settings.get(XMPP_DOMAIN_SETTING);
  if (previousDomain !== config.domain) {
    await store.settings.set(XMPP_DOMAIN_SETTING, config.domain);
    await audit(services.ctx, 'relay', 'settings.xmpp-domain', XMPP_DOMAIN_SETTING, null, { from: previousDomain, to: config.domain });
  }

  const wheel = new TimerWheel(clock);
  const presence = new PresenceService(store, clock, wheel, config.managementTimerSeconds * 1000);
  const hub = new SessionHub(presence);
  const revocations = new RevocationWatch(store.devices, hub, clock);
  services.devices.onRevoked(() => void revocations.check());
  const answers = new Answers(clock);
  const capacity = new SessionCapacity(config.maxSessions);
  const live = new LiveEvents();
  const nodes = new ClusterNodes(bus, clock, () => capacity.room, () => live.watching);
  live.join(bus, () => nodes.peersWatching);
  const directory = new DeviceDirectory(bus, nodes, presence, clock);
  const sessions = new DeviceSessions(hub, answers, presence, directory, bus, nodes);
  const push = new PushService(services.ctx, services.devices, sessions, {
    ...DEFAULT_PUSH_LIMITS,
    defaultTimeoutMs: config.pushTimeoutSeconds * 1000,
    maxTimeoutMs: config.pushMaxTimeoutSeconds * 1000,
  });
  const outbox = new Outbox(store.outbox, clock, (kind, message, error) => {
    const m = message as { hookId?: string; event?: string; to?: string[]; subject?: string };
    logger.warn({ kind, webhook: m.hookId, event: m.event, to: m.to, subject: m.subject, error }, `${kind} delivery failed after every retry; dropped`);
  });
  // Every mail and webhook call goes through the outbox, so a restart or an outage loses none.
  const mailer = config.smtpUrl ? outbox.mailer(smtpMailer(config.smtpUrl, config.mailFrom)) : null;
  const webhooks = new WebhookService(services.ctx, outbox, webhookHttp, { allowPrivate: config.allowPrivateWebhooks });
  const notifications = new Notifications({
    mailer,
    operatorEmails: config.notifyEmails,
    webhooks,
    onError: (what, err) => logger.warn({ err }, `${what} notification failed`),
  });
  const alerts = new AlertService(services.ctx, {
    opened: (a, d) => {
      notifications.alertOpened(a, d);
      live.publish(d.accountId, { kind: 'alert', alertId: a.id, deviceId: d.id, description: a.description });
    },
  });
  const status = new StatusService(services.ctx, services.devices, alerts, config.statusHistoryDays * 86400_000);
  const reports = new ReportService(services.ctx, push, alerts, services.firmware, {
    orderReceived: (d, o) => notifications.orderReceived(d, o),
    countersAccepted: (d, c) => void status.counters(d.id, c).catch((err: unknown) => logger.warn({ err, deviceId: d.id }, 'status not updated from a counters report')),
  });
  const fleet = new FleetService(services.ctx, config.statusHistoryDays * 86400_000);
  const bulk = new BulkService(services.ctx, services.devices, push, services.firmware, config.nodeId);
  await bulk.recover();
  const statusPoll = new StatusPoller(clock, services.ctx.random, hub, push, status, { ...DEFAULT_STATUS_POLL, intervalMs: config.statusPollSeconds * 1000 }, (msg, fields) => logger.debug(fields, msg));
  const print = new PrintService(services.ctx, services.devices, sessions, { ...DEFAULT_PRINT, maxDocumentBytes: config.printMaxDocumentBytes, retentionMs: config.printRetentionSeconds * 1000, keepCompletedMs: config.printKeepSeconds * 1000 }, alerts);
  print.onJobState((job, state) => live.publish(job.accountId, { kind: 'job', jobId: job.id, deviceId: job.deviceId, state }));
  let publicUrl = config.publicUrl ?? '';
  const mailPrint = new MailPrintService(services.ctx, print, services.devices, {
    mailDomain: config.mailDomain,
    get publicUrl() {
      return publicUrl;
    },
    pageTtlMs: 7 * 86400_000,
    linkKey: await printLinkKey(store, config.dataDir, services.ctx.random),
    mailer,
    log: (msg, fields) => logger.info(fields, msg),
  });
  const failures = new RateLimiter(clock, config.authFailuresPerMinute, 60_000);
  const fax = new FaxSwitchboard(
    services.faxUsers,
    clock,
    services.ctx.random,
    {
      ...DEFAULT_FAX,
      holdIntervalMs: config.faxHoldIntervalSeconds * 1000,
      loginTimeoutMs: Math.min(DEFAULT_FAX.loginTimeoutMs, config.faxHoldIntervalSeconds * 1000 * DEFAULT_FAX.silenceFactor),
      callTimeoutMs: config.faxCallTimeoutSeconds * 1000,
    },
    {
      perUser: new RateLimiter(clock, config.authFailuresPerMinute, 60_000),
      perAddress: new RateLimiter(clock, 5 * config.authFailuresPerMinute, 60_000),
    },
    (msg, fields) => logger.info(fields, msg),
  );
  // Fax users on other nodes are listed and called over the bus (seed 001 FIG. 3).
  const faxRoster = new FaxRoster(bus, nodes, clock);
  new FaxBridge(fax, faxRoster, bus, nodes, (msg, fields) => logger.info(fields, msg));
  const registrations = new RateLimiter(clock, config.registrationsPerMinute, 60_000);
  const admission = new Admission(clock, config.admitRate);
  // What a device's XMPP stream needs, whichever transport carries it.
  const streamPort: StreamPort = {
    domain: config.domain,
    hub,
    push,
    answers,
    random: services.ctx.random,
    async authenticate(deviceId, token, clientIp) {
      const device = await services.auth.deviceToken(token);
      if (device && device.id === deviceId) return device;
      failures.hit(clientIp);
      return null;
    },
  };
  const bosh = new BoshManager(
    {
      ...DEFAULT_BOSH,
      maxWait: config.boshMaxWait,
      inactivity: config.boshInactivity,
      // Sessions still authenticating are short-lived: a tenth of the capacity is room enough.
      maxAnonymous: Math.max(16, Math.min(DEFAULT_BOSH.maxAnonymous, Math.floor(config.maxSessions / 10))),
    },
    streamPort,
    wheel,
    clock,
    services.ctx.random,
    logger,
    bus,
    admission,
    capacity,
    () => nodes.takeRoomElsewhere(),
  );
  const websocket = new WebSocketManager(DEFAULT_WEBSOCKET, streamPort, clock, services.ctx.random, logger, admission, capacity, config.nodeId);
  websocket.start();
  const showPresence = (deviceId: string, online: boolean): void => {
    if (!live.wanted) return;
    void store.devices.get(deviceId).then((d) => d && live.publish(d.accountId, { kind: 'presence', deviceId, online }), () => undefined);
  };
  presence.on('online', (id) => {
    logger.debug({ deviceId: id }, 'device online');
    showPresence(id, true);
  });
  presence.on('offline', (id, reason) => {
    logger.debug({ deviceId: id, reason }, 'device offline');
    showPresence(id, false);
  });
  presence.start();
  statusPoll.start();
  await revocations.start();

  const metrics = createMetrics({ sessions: () => bosh.size, websocketSessions: () => websocket.size, sessionsEnded: () => bosh.endedBy, websocketSessionsEnded: () => websocket.endedBy, online: () => directory.onlineCount, leader: () => (leader.isLeader ? 1 : 0), nodes: () => nodes.peers.length + 1, pending: () => answers.size, faxConnections: () => fax.size, faxCalls: () => fax.calls, faxBytes: () => fax.bytesRelayed, outbox: () => outbox.waiting });
  const app = await buildApp({ config, services, runtime: { push, print, mailPrint, reports, alerts, status, fleet, bulk, live, webhooks, presence: sessions, bosh, websocket, failures, registrations, fax }, metrics, logger });

  // Short print retention and keep times (tests, small sites) are enforced within a quarter of their length.
  const shortest = Math.min(config.printRetentionSeconds, config.printKeepSeconds || Infinity);
  const sweeps = new Sweeps(clock, Math.min(SWEEP_EVERY_MS, Math.max(1000, shortest * 250)), () => {
    const aborted = print.sweep().then((n) => n && logger.info({ jobs: n }, 'print jobs aborted at the retention cap'));
    return Promise.all([services.registration.sweep(), store.webSessions.deleteExpiredBefore(clock.now()), push.sweep(), reports.sweep(), status.sweep(), fleet.sweep(), bulk.sweep(), revocations.sweep(), aborted]).catch((err: unknown) =>
      logger.error({ err }, 'sweep failed'),
    );
  });
  const outboxRetries: Singleton = { start: () => void outbox.start().catch((err: unknown) => logger.error({ err }, 'outbox failed to start')), stop: () => outbox.stop() };
  const leader = new Leader(bus, clock, store.devices, directory, [sweeps, outboxRetries], (msg, fields) => logger.info(fields, msg));

  const smtp = smtpIntake(mailPrint, logger, { spoolDir: join(config.dataDir, 'mail-spool') });
  smtp.on('error', (err: unknown) => logger.error({ err }, 'print-by-mail listener error'));
  const faxListener = faxServer(
    fax,
    {
      maxFrame: config.faxMaxFrame,
      maxConnections: config.maxConnections,
      tls: config.tls ? { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } : undefined,
    },
    logger,
  );
  faxListener.on('error', (err: unknown) => logger.error({ err }, 'fax listener error'));
  const pidFile = join(config.dataDir, PID_FILE);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      leader.stop();
      statusPoll.stop();
      nodes.stop();
      directory.stop();
      faxRoster.stop();
      revocations.stop();
      print.stop();
      push.stop();
      outbox.stop();
      await new Promise<void>((r) => smtp.close(() => r()));
      fax.stop();
      await new Promise<void>((r) => faxListener.close(() => r()));
      bosh.closeAll();
      websocket.closeAll();
      live.closeAll();
      hub.closeAll();
      answers.closeAll();
      await app.close();
      await presence.stop();
      wheel.stop();
      await bus.close();
      await store.close();
      if (!config.sharesDataDir) rmSync(pidFile, { force: true });
    })();
    return closing;
  };

  // Every listener binds, or the relay stops whole: a relay without its fax or mail port must not look healthy.
  let url: string;
  try {
    // Devices reconnect in bursts (a site's power comes back, a node restarts): a deeper accept queue
    // than Node's 511 keeps their SYNs from being dropped, which costs each a one-second retransmit.
    // The kernel caps it at net.core.somaxconn.
    url = await bind('HTTP', config.host, config.port, () => app.listen({ port: config.port, host: config.host, backlog: 4096 }));
    await bind('print-by-mail (SMTP)', config.smtpHost, config.smtpPort, () => listen(smtp.server, config.smtpPort, config.smtpHost));
    await bind('fax', config.faxHost, config.faxPort, () => listen(faxListener, config.faxPort, config.faxHost));
  } catch (err) {
    await close();
    throw err;
  }
  publicUrl ||= url;
  nodes.start();
  directory.start();
  faxRoster.start();
  leader.start();
  fax.start();
  const smtpPort = (smtp.server.address() as { port: number }).port;
  const faxPort = (faxListener.address() as { port: number }).port;
  logger.info({ maxSessions: config.maxSessions, maxConnections: config.maxConnections }, 'capacity');
  if (!config.sharesDataDir) {
    writeFileSync(pidFile, String(process.pid), { mode: 0o600 });
    chmodSync(pidFile, 0o600); // a stale one left by a killed relay keeps its mode otherwise
  }
  logger.info({ url, smtpPort, faxPort, dataDir: config.dataDir, domain: config.domain, node: bus.node, cluster: Boolean(config.natsUrl) }, 'relay ready');
  return { url, ready: { url, smtpPort, faxPort }, app, services, close };
}

/** Runs one listener's bind; a failure says which port could not be had, and why. */
async function bind<T>(what: string, host: string, port: number, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use (is another relay running?)' : code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : code ?? String(err);
    throw new Error(`cannot listen for ${what} on ${host}:${port}: ${why}`);
  }
}

/**
 * The key print control links are signed with, in the store so every relay sharing it (and a
 * restored backup) accepts links any of them made. A data directory from before keeps its key.
 */
async function printLinkKey(store: Store, dataDir: string, random: Random): Promise<Buffer> {
  const file = join(dataDir, 'print-link.key');
  const earlier = existsSync(file) ? readFileSync(file) : null;
  const key = await store.settings.ensure(PRINT_LINK_KEY_SETTING, (earlier ?? random.bytes(32)).toString('base64'));
  return Buffer.from(key, 'base64');
}

/** Alone: the in-process bus. With a NATS URL: a node of the cluster named by the store, so nodes sharing a database find each other. */
async function openBus(config: RelayConfig, store: Store, random: Random, logger: pino.Logger): Promise<Bus> {
  if (!config.natsUrl) return new LocalBus(config.nodeId);
  const cluster = await store.settings.ensure(CLUSTER_SETTING, base32(random.bytes(10)));
  return NatsBus.connect({ url: config.natsUrl, cluster, node: config.nodeId, log: (msg, fields) => logger.warn(fields, msg) });
}

/** The periodic sweeps (retention, expiry): one run at a time, the next `everyMs` after the last ended. */
class Sweeps implements Singleton {
  private running = false;
  private cancelNext: (() => void) | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly everyMs: number,
    private readonly run: () => Promise<unknown>,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop();
  }

  stop(): void {
    this.running = false;
    this.cancelNext?.();
    this.cancelNext = null;
  }

  private loop(): void {
    void this.run().finally(() => {
      if (this.running) this.cancelNext = this.clock.after(this.everyMs, () => this.loop());
    });
  }
}
