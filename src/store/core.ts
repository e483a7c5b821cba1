import type { Account, ApiToken, AuditEntry, User, WebSession } from '../domain/accounts.js';
import type { Device, DeviceRegistry, DeviceSort } from '../domain/devices.js';
import type { PushAnswer, QueuedRequest } from '../domain/push.js';
import type { Registration } from '../domain/registration.js';

/** The Store port, core area: settings, accounts, people, API tokens, devices, registrations, web sessions, audit, queued push requests. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A page that also says how many items match the filter in all (every page, not just this one). */
export interface CountedPage<T> extends Page<T> {
  total: number;
}

export interface DeviceFilter {
  accountId?: string;
  serial?: string;
  model?: string;
  online?: boolean;
  tag?: string;
  /** A device id, or the start of a serial number. */
  search?: string;
  /** The firmware version the device last said it runs. */
  firmware?: string;
  /** A supply at or below its account's supply-low mark in its last status. */
  supplyLow?: boolean;
  /** ID (the default), serial, model (then serial), or last contact (never first, then the longest ago). */
  sort?: DeviceSort;
  cursor?: string;
  limit: number;
}

export type NewAudit = Omit<AuditEntry, 'id'>;

export interface AccountStore {
  insert(a: Account): Promise<void>;
  get(id: string): Promise<Account | null>;
  list(): Promise<Account[]>;
  update(a: Account): Promise<void>;
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
  list(f: DeviceFilter): Promise<CountedPage<Device>>;
  setTokenHash(id: string, hash: string, at: number): Promise<boolean>;
  setCapabilities(id: string, caps: Record<string, unknown>, at: number): Promise<boolean>;
  /** Fails with a ConflictError if the registration number is taken. */
  setRegistry(id: string, registry: DeviceRegistry, at: number): Promise<boolean>;
  setTags(id: string, tags: string[], at: number): Promise<boolean>;
  byRegistrationNumber(registrationNumber: string): Promise<Device | null>;
  remove(id: string): Promise<boolean>;
  /** The latest entry of the revocation log (0 when empty). */
  lastRevocation(): Promise<number>;
  /**
   * Devices whose token was rotated or revoked, or that were removed, after log entry `seq`,
   * oldest first. Every change to a token or a removal is logged, whoever made it.
   */
  revocationsAfter(seq: number, limit: number): Promise<{ seq: number; deviceId: string }[]>;
  deleteRevocationsBefore(t: number): Promise<number>;
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
   * 'not-pending' if someone else got there first; 'conflict' if (model, serial) is already a
   * device, and the registration is then refused (pending → refused) in the same transaction.
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

export interface PushQueueStore {
  insert(q: QueuedRequest): Promise<void>;
  get(requestId: string): Promise<QueuedRequest | null>;
  /** Requests still waiting (queued and not expired at `now`). */
  countQueued(deviceId: string, now: number): Promise<number>;
  /** queued → delivered for a device's unexpired requests, oldest first: each is taken exactly once. */
  take(deviceId: string, now: number, limit: number): Promise<QueuedRequest[]>;
  /** A device's requests delivered and not answered yet (unexpired, oldest first): the session they went down, or its node, may be gone. */
  delivered(deviceId: string, now: number, limit: number): Promise<QueuedRequest[]>;
  /** delivered → queued, when the hand-over failed. */
  release(requestId: string): Promise<void>;
  /** delivered → answered, only by the device it went to. */
  complete(requestId: string, deviceId: string, answer: PushAnswer, at: number): Promise<boolean>;
  /** Forgets requests whose expiry is older than t. */
  deleteExpiredBefore(t: number): Promise<number>;
}

/** Relay-wide settings the CLI must agree with the server on (e.g. the XMPP domain). */
export interface SettingsStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  /** The key's value, storing `value` first if it has none: relays starting at once all get the first one stored. */
  ensure(key: string, value: string): Promise<string>;
}
