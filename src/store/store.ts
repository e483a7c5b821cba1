/**
 * The Store port. Every method is async so a networked adapter (PostgreSQL) can follow the
 * embedded SQLite one without changing a caller. Listings are paged with a bounded limit so no
 * single read holds the event loop for long.
 */
import type { Registration } from '../domain/registration.js';
import type { PushAnswer, PushOp, TypedValue } from '../domain/push.js';
import type { MeterOffset, MeterRead } from '../domain/billing.js';
import type { JobState, Ticket } from '../domain/print.js';
import type { FaxUserSettings } from '../domain/fax.js';

export interface Account {
  id: string;
  name: string;
  createdAt: number;
}

export interface User {
  id: string;
  name: string;
  accountId: string;
  admin: boolean;
  passwordHash: string;
  createdAt: number;
}

/** A fax machine's login at the fax relay (seed 001); IDs are unique across the site. */
export interface FaxUser {
  id: string;
  accountId: string;
  passwordHash: string;
  settings: FaxUserSettings;
  createdAt: number;
  updatedAt: number;
}

export interface ApiToken {
  id: string;
  accountId: string | null;
  admin: boolean;
  label: string | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** Seed 004's registration number table: who the device belongs to and whom to call. */
export interface DeviceRegistry {
  registrationNumber: string | null;
  installationPlace: string | null;
  installer: string | null;
  contact: string | null;
  contactEmail: string | null;
  /** May report with its registration number alone (seed 004 CGI form), without its token. */
  legacyAuth: boolean;
}

export const EMPTY_REGISTRY: DeviceRegistry = {
  registrationNumber: null,
  installationPlace: null,
  installer: null,
  contact: null,
  contactEmail: null,
  legacyAuth: false,
};

export interface Device {
  id: string;
  accountId: string;
  serial: string;
  model: string;
  capabilities: Record<string, unknown>;
  registry: DeviceRegistry;
  /** Program version the device last said it runs (seed 004 state 6). */
  firmwareVersion: string | null;
  online: boolean;
  lastSeenAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface WebSession {
  userId: string;
  csrf: string;
  expiresAt: number;
}

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  accountId: string | null;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface DeviceFilter {
  accountId?: string;
  serial?: string;
  model?: string;
  online?: boolean;
  cursor?: string;
  limit: number;
}

export type NewAudit = Omit<AuditEntry, 'id'>;

export interface AccountStore {
  insert(a: Account): Promise<void>;
  get(id: string): Promise<Account | null>;
  list(): Promise<Account[]>;
}

export interface UserStore {
  insert(u: User): Promise<void>;
  byName(name: string): Promise<User | null>;
  get(id: string): Promise<User | null>;
  list(accountId?: string): Promise<User[]>;
}

export interface TokenStore {
  insert(t: ApiToken, hash: string): Promise<void>;
  /** A token by the hash of its secret, whatever its state; the caller checks expiry and revocation. */
  byHash(hash: string): Promise<ApiToken | null>;
  get(id: string): Promise<ApiToken | null>;
  list(accountId?: string): Promise<ApiToken[]>;
  revoke(id: string, at: number): Promise<boolean>;
  touch(id: string, at: number): Promise<void>;
}

export interface DeviceStore {
  /** Fails with a ConflictError if (model, serial) is taken. */
  insert(d: Device, tokenHash: string | null): Promise<void>;
  get(id: string): Promise<Device | null>;
  byModelSerial(model: string, serial: string): Promise<Device | null>;
  byTokenHash(hash: string): Promise<Device | null>;
  list(f: DeviceFilter): Promise<Page<Device>>;
  setTokenHash(id: string, hash: string, at: number): Promise<boolean>;
  setCapabilities(id: string, caps: Record<string, unknown>, at: number): Promise<boolean>;
  /** Fails with a ConflictError if the registration number is taken. */
  setRegistry(id: string, registry: DeviceRegistry, at: number): Promise<boolean>;
  byRegistrationNumber(registrationNumber: string): Promise<Device | null>;
  remove(id: string): Promise<boolean>;
  /** At boot nobody holds a session yet. */
  markAllOffline(): Promise<void>;
  /** Presence changes, written in one transaction. Unknown devices are skipped. */
  savePresence(batch: { deviceId: string; online: boolean; lastSeenAt: number }[]): Promise<void>;
}

export interface RegistrationStore {
  insert(r: Registration, hashes: { poll: string; claim: string; pin: string }): Promise<void>;
  byPollHash(hash: string): Promise<Registration | null>;
  byClaimHash(hash: string): Promise<(Registration & { pinHash: string }) | null>;
  countFailedAttempt(id: string): Promise<void>;
  /**
   * pending → claimed, creating the device (without a token yet) in the same transaction.
   * 'not-pending' if someone else got there first; 'conflict' if (model, serial) is already a device.
   */
  claim(id: string, device: Device, expiresAt: number): Promise<'ok' | 'not-pending' | 'conflict'>;
  /**
   * claimed → delivered, setting the device's token hash in the same transaction: the
   * compare-and-set that makes delivery exactly-once.
   */
  deliver(id: string, deviceId: string, tokenHash: string, at: number): Promise<boolean>;
  deleteExpiredBefore(t: number): Promise<number>;
}

export interface WebSessionStore {
  insert(hash: string, s: WebSession, createdAt: number): Promise<void>;
  get(hash: string): Promise<WebSession | null>;
  remove(hash: string): Promise<void>;
  deleteExpiredBefore(t: number): Promise<number>;
}

export interface AuditStore {
  record(e: NewAudit): Promise<void>;
  list(f: { accountId?: string; limit: number }): Promise<AuditEntry[]>;
}

export interface QueuedRequest {
  requestId: string;
  deviceId: string;
  accountId: string;
  op: PushOp;
  oids?: string[];
  objects?: TypedValue[];
  state: 'queued' | 'delivered' | 'answered';
  answer: PushAnswer | null;
  createdAt: number;
  expiresAt: number;
  deliveredAt: number | null;
  answeredAt: number | null;
}

export interface PushQueueStore {
  insert(q: QueuedRequest): Promise<void>;
  get(requestId: string): Promise<QueuedRequest | null>;
  /** Requests still waiting (queued and not expired at `now`). */
  countQueued(deviceId: string, now: number): Promise<number>;
  /** queued → delivered for a device's unexpired requests, oldest first: each is taken exactly once. */
  take(deviceId: string, now: number, limit: number): Promise<QueuedRequest[]>;
  /** delivered → queued, when the hand-over failed. */
  release(requestId: string): Promise<void>;
  /** delivered → answered, only by the device it went to. */
  complete(requestId: string, deviceId: string, answer: PushAnswer, at: number): Promise<boolean>;
  /** Forgets requests whose expiry is older than t. */
  deleteExpiredBefore(t: number): Promise<number>;
}

export interface Code {
  namespace: string;
  code: string;
  kind: string | null;
  description: string;
  reply: string;
}

export interface CodeStore {
  get(namespace: string, code: string): Promise<Code | null>;
  list(namespace?: string): Promise<Code[]>;
  put(c: Code): Promise<void>;
  remove(namespace: string, code: string): Promise<boolean>;
}

export interface StoredReport {
  reception: number;
  deviceId: string;
  accountId: string;
  type: string;
  namespace: string | null;
  code: string | null;
  text: string | null;
  quantity: number | null;
  total: number | null;
  mono: number | null;
  colour: number | null;
  via: 'json' | 'cgi';
  receivedAt: number;
}

export interface ReportStore {
  /** Stores a report and returns its reception number (unique, increasing). */
  insert(r: Omit<StoredReport, 'reception'>): Promise<number>;
  lastCounters(deviceId: string): Promise<MeterRead | null>;
  /** For billing [from, to): the last read at or before `from` and every read after it and before `to`, in time order. */
  readsForPeriod(deviceId: string, from: number, to: number): Promise<MeterRead[]>;
  list(f: { accountId?: string; deviceId?: string; limit: number }): Promise<StoredReport[]>;
  /** Heartbeats only say "still here": they are not kept long. */
  deleteHeartbeatsBefore(t: number): Promise<number>;
}

export interface Webhook {
  id: string;
  /** null: site-wide (every account's events). */
  accountId: string | null;
  url: string;
  events: string[];
  /** HMAC key; kept in clear because the relay signs with it. */
  secret: string;
  createdAt: number;
}

export interface WebhookStore {
  insert(w: Webhook): Promise<void>;
  list(): Promise<Webhook[]>;
  get(id: string): Promise<Webhook | null>;
  remove(id: string): Promise<boolean>;
}

export interface Firmware {
  id: string;
  model: string;
  version: string;
  size: number;
  sha256: string;
  /** Ed25519 signature of the program by the vendor's key, base64. */
  signature: string;
  rolloutPercent: number;
  uploadedAt: number;
  uploadedBy: string;
}

export interface FirmwareStore {
  insert(f: Firmware): Promise<void>;
  get(id: string): Promise<Firmware | null>;
  byModelVersion(model: string, version: string): Promise<Firmware | null>;
  forModel(model: string): Promise<Firmware[]>;
  list(): Promise<Firmware[]>;
  setRollout(id: string, percent: number): Promise<void>;
  recordSent(deviceId: string, f: Firmware, reception: number, at: number): Promise<void>;
  history(deviceId: string): Promise<{ firmwareId: string; version: string; reception: number; sentAt: number }[]>;
  setDeviceVersion(deviceId: string, version: string): Promise<void>;
}

export interface PrinterState {
  deviceId: string;
  accepting: boolean;
  status: string | null;
  updatedAt: number;
  /** E-mail senders allowed to print here; null: anyone. */
  allowedSenders?: string[] | null;
}

/** A print control page (seed 002 FIG. 3): the print objects of one e-mail, and the job made from them. */
export interface PrintPage {
  id: string;
  deviceId: string;
  accountId: string;
  sender: string;
  subject: string;
  files: { name: string; type: string; size: number }[];
  jobId: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface PrintJob {
  id: string;
  deviceId: string;
  accountId: string;
  state: JobState;
  name: string;
  documentType: string;
  documentSize: number;
  documentSha256: string;
  documentDeleted: boolean;
  ticket: Ticket;
  source: 'api' | 'mail' | 'page';
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface JobEvent {
  at: number;
  state: JobState;
  detail: string | null;
}

export interface PrintStore {
  printer(deviceId: string): Promise<PrinterState | null>;
  setPrinter(p: PrinterState): Promise<void>;
  insertJob(j: PrintJob): Promise<void>;
  job(id: string): Promise<PrintJob | null>;
  /** Moves a job to `to` only from one of `from`, recording the event; false if it was elsewhere. */
  transition(id: string, from: readonly JobState[], to: JobState, at: number, detail?: string): Promise<boolean>;
  markDocumentDeleted(id: string): Promise<void>;
  events(id: string): Promise<JobEvent[]>;
  jobs(f: { accountId?: string; deviceId?: string; states?: readonly JobState[]; cursor?: string; limit: number }): Promise<PrintJob[]>;
  /** Unfinished jobs not touched since `before`, oldest first. */
  staleJobs(before: number, limit: number): Promise<PrintJob[]>;
  /** Completed jobs finished before `before` whose document is still on disk. */
  keptDocuments(before: number, limit: number): Promise<string[]>;
  setAllowedSenders(deviceId: string, senders: string[] | null): Promise<void>;
  insertPage(p: PrintPage, tokenHash: string, cancelHash: string): Promise<void>;
  pageByTokenHash(hash: string): Promise<PrintPage | null>;
  pageByCancelHash(hash: string): Promise<PrintPage | null>;
  setPageJob(pageId: string, jobId: string): Promise<void>;
  pages(deviceId: string, limit: number): Promise<PrintPage[]>;
}

export interface MeterStore {
  addOffset(deviceId: string, offset: MeterOffset, createdBy: string): Promise<void>;
  offsets(deviceId: string): Promise<MeterOffset[]>;
}

export interface Alert {
  id: number;
  deviceId: string;
  accountId: string;
  key: string;
  type: string;
  code: string | null;
  description: string;
  state: 'open' | 'acknowledged' | 'resolved';
  count: number;
  firstReception: number;
  lastReception: number;
  openedAt: number;
  updatedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
}

export interface AlertStore {
  /** Opens an alert, or counts one more report on the unresolved one with the same key. */
  raise(a: { deviceId: string; accountId: string; key: string; type: string; code: string | null; description: string; reception: number; at: number }): Promise<{ alert: Alert; opened: boolean }>;
  get(id: number): Promise<Alert | null>;
  list(f: { accountId?: string; deviceId?: string; state?: Alert['state']; cursor?: number; limit: number }): Promise<Alert[]>;
  acknowledge(id: number, by: string, at: number): Promise<boolean>;
  /** Resolves one alert by id, or the unresolved one of a device with a key. */
  resolve(target: { id: number } | { deviceId: string; key: string }, by: string, at: number): Promise<Alert | null>;
}

export interface FaxUserStore {
  insert(u: FaxUser): Promise<void>;
  get(id: string): Promise<FaxUser | null>;
  list(f: { accountId?: string; cursor?: string; limit: number }): Promise<FaxUser[]>;
  update(id: string, change: { passwordHash?: string; settings?: FaxUserSettings }, at: number): Promise<FaxUser | null>;
  delete(id: string): Promise<boolean>;
}

/** A webhook call or a mail waiting for its next attempt. */
export interface OutboxEntry {
  id: number;
  kind: 'webhook' | 'mail';
  /** The message as JSON, opaque to the store. */
  message: string;
  attempts: number;
  nextAt: number;
  createdAt: number;
}

export interface OutboxStore {
  add(kind: OutboxEntry['kind'], message: string, at: number): Promise<number>;
  /** Entries due at `now`, oldest first. */
  due(now: number, limit: number): Promise<OutboxEntry[]>;
  retryAt(id: number, nextAt: number, error: string): Promise<void>;
  remove(id: number): Promise<void>;
  count(): Promise<number>;
}

/** Relay-wide settings the CLI must agree with the server on (e.g. the XMPP domain). */
export interface SettingsStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
}

export interface Store {
  settings: SettingsStore;
  accounts: AccountStore;
  users: UserStore;
  tokens: TokenStore;
  devices: DeviceStore;
  registrations: RegistrationStore;
  webSessions: WebSessionStore;
  audit: AuditStore;
  pushQueue: PushQueueStore;
  codes: CodeStore;
  reports: ReportStore;
  alerts: AlertStore;
  meter: MeterStore;
  webhooks: WebhookStore;
  firmware: FirmwareStore;
  print: PrintStore;
  faxUsers: FaxUserStore;
  outbox: OutboxStore;
  /** Online copy of the whole database to a file. */
  backup(file: string): Promise<void>;
  close(): Promise<void>;
}

export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `the data directory has schema version ${found}, but this FleetRelay knows only up to ${supported}; ` +
        'run a newer FleetRelay (or restore a backup made by this version)',
    );
    this.name = 'SchemaTooNewError';
  }
}
