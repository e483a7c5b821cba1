/** Everything the relay is configured by, read once at the edge (CLI flags and environment). */
export interface RelayConfig {
  /** Address of the HTTP listener. */
  host: string;
  port: number;
  dataDir: string;
  /** PostgreSQL instead of SQLite in dataDir (which then keeps only local files: pid, keys, spools). */
  databaseUrl?: string;
  /** NATS server of the cluster this relay is a node of; without it the relay runs alone (in-process bus). */
  natsUrl?: string;
  /** This node's name in the cluster (letters, digits, '-', '_'). */
  nodeId: string;
  /** One of `serve --workers`: the primary prepared the data directory and holds its pid file. */
  sharesDataDir?: boolean;
  /** XMPP domain of device JIDs. */
  domain: string;
  /** Base URL people and devices reach the relay at (claim URLs); derived from the request if unset. */
  publicUrl?: string;
  tls?: { cert: string; key: string };
  /** Trust X-Forwarded-* from a reverse proxy in front. */
  trustProxy: boolean;
  /** Bearer token that may read /metrics (site-admin API tokens may too). */
  metricsToken?: string;
  registrationTtlSeconds: number;
  /** Failed authentications per client address per minute before 429. */
  authFailuresPerMinute: number;
  /** Registrations per client address per minute before 429. */
  registrationsPerMinute: number;
  logLevel: string;
  /** Management timer per device (S329): OFFLINE after this long without a request. */
  managementTimerSeconds: number;
  /** Longest a BOSH request is held (seconds). */
  boshMaxWait: number;
  /** BOSH inactivity (seconds). */
  boshInactivity: number;
  /** Default and largest wait for a device's answer to a push (seconds). */
  pushTimeoutSeconds: number;
  pushMaxTimeoutSeconds: number;
  /** TCP connections the server accepts (below the open-files limit, so it never hits EMFILE). */
  maxConnections: number;
  /** New BOSH sessions admitted per second; faster ones get 503 with Retry-After (a reconnect storm is spread out). */
  admitRate: number;
  /** BOSH sessions accepted; creation is refused cleanly past this. */
  maxSessions: number;
  /** IANA time zone billing periods are counted in. */
  timeZone: string;
  /** Outgoing mail (alerts, toner low to the installing person); none when unset. */
  smtpUrl?: string;
  mailFrom: string;
  /** Operators told of every new alert and order. */
  notifyEmails: string[];
  /** Let webhooks reach loopback and private addresses. */
  allowPrivateWebhooks: boolean;
  /** Print-by-mail listener (0: any free port) and its address. */
  smtpPort: number;
  smtpHost: string;
  /** Printers' mail addresses are <deviceId>@<mailDomain>. */
  mailDomain: string;
  /** Largest print document accepted (bytes). */
  printMaxDocumentBytes: number;
  /** An unfinished print job without progress for this long is aborted and its document deleted. */
  printRetentionSeconds: number;
  /** A completed job's document is kept this long for its account (0: deleted at completion). */
  printKeepSeconds: number;
  /** Each online device's status (supplies, counters, state) is polled this often; 0: never. */
  statusPollSeconds: number;
  /** Supply levels and counters are kept this long. */
  statusHistoryDays: number;
  /** Fax relay TCP port (0: any free port) and its address; TLS when `tls` is set. */
  faxPort: number;
  faxHost: string;
  /** Largest fax frame (length field) accepted. */
  faxMaxFrame: number;
  /** Hold interval told to fax machines at login (seconds). */
  faxHoldIntervalSeconds: number;
  /** How long a called fax machine has to accept or reject (seconds). */
  faxCallTimeoutSeconds: number;
}

export const defaults = {
  host: '0.0.0.0',
  port: 8080,
  dataDir: './data',
  domain: 'fleetrelay.local',
  registrationTtlSeconds: 15 * 60,
  authFailuresPerMinute: 20,
  registrationsPerMinute: 10,
  logLevel: 'info',
  managementTimerSeconds: 120,
  boshMaxWait: 60,
  boshInactivity: 75,
  pushTimeoutSeconds: 30,
  pushMaxTimeoutSeconds: 300,
  admitRate: 500,
  printMaxDocumentBytes: 64 * 1024 * 1024,
  printRetentionSeconds: 7 * 86400,
  printKeepSeconds: 0,
  statusPollSeconds: 15 * 60,
  statusHistoryDays: 400,
  faxPort: 4590,
  faxMaxFrame: 1024 * 1024,
  faxHoldIntervalSeconds: 60,
  faxCallTimeoutSeconds: 35,
} as const;

/** Open files this process may hold (RLIMIT_NOFILE soft limit), from /proc; 1024 if unknown. */
export function openFilesLimit(readLimits: () => string): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readLimits());
    return m ? Number(m[1]) : 1024;
  } catch {
    return 1024;
  }
}

/** Connections and sessions that fit under an open-files limit, leaving room for the database, logs and API clients. */
export function capacity(openFiles: number): { maxConnections: number; maxSessions: number } {
  const maxConnections = Math.max(64, openFiles - 200);
  return { maxConnections, maxSessions: Math.max(32, maxConnections - 300) };
}

export const VERSION = '0.1.0';
