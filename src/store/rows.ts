/**
 * Row ↔ object mapping shared by both adapters: each returns rows with the same column names,
 * timestamps as epoch milliseconds, booleans as 0/1 (SQLite) or true/false (PostgreSQL), JSON as text.
 */
import type { BulkCounts, BulkJob, BulkParams, BulkResult, BulkResultState } from '../domain/bulk.js';
import type { Registration } from '../domain/registration.js';
import type { Account, ApiToken, AuditEntry, User } from '../domain/accounts.js';
import type { Device } from '../domain/devices.js';
import type { QueuedRequest } from '../domain/push.js';
import type { Alert } from '../domain/alerts.js';
import type { Code, StoredReport } from '../domain/reports.js';
import type { Firmware } from '../domain/firmware.js';
import type { Webhook } from '../domain/webhooks.js';
import type { JobState, PrintJob, PrintPage, PrinterState, Ticket, OpenJob } from '../domain/print.js';
import type { FaxUser } from '../domain/fax.js';
import type { OutboxEntry } from './outbox.js';

export type Row = Record<string, unknown>;

export const json = (v: unknown): Record<string, unknown> => (v ? (JSON.parse(String(v)) as Record<string, unknown>) : {});
export const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
export const bool = (v: unknown): boolean => v === 1 || v === true;
export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export const toAccount = (r: Row): Account => ({
  id: String(r.id),
  name: String(r.name),
  createdAt: Number(r.created_at),
  statusPollSeconds: num(r.status_poll_seconds),
  supplyLowPercent: Number(r.supply_low_percent),
});

export const toUser = (r: Row): User => ({
  id: String(r.id),
  name: String(r.name),
  accountId: String(r.account_id),
  admin: bool(r.admin),
  passwordHash: String(r.password_hash),
  createdAt: Number(r.created_at),
});

export const toToken = (r: Row): ApiToken => ({
  id: String(r.id),
  accountId: r.account_id === null ? null : String(r.account_id),
  admin: bool(r.admin),
  label: r.label === null ? null : String(r.label),
  createdAt: Number(r.created_at),
  expiresAt: num(r.expires_at),
  revokedAt: num(r.revoked_at),
  lastUsedAt: num(r.last_used_at),
});

export const toDevice = (r: Row): Device => ({
  id: String(r.id),
  accountId: String(r.account_id),
  serial: String(r.serial),
  model: String(r.model),
  capabilities: json(r.capabilities),
  registry: {
    registrationNumber: str(r.registration_number),
    installationPlace: str(r.installation_place),
    installer: str(r.installer),
    contact: str(r.contact),
    contactEmail: str(r.contact_email),
    legacyAuth: bool(r.legacy_auth),
  },
  tags: r.tags === undefined || r.tags === null ? [] : (JSON.parse(String(r.tags)) as string[]),
  firmwareVersion: str(r.firmware_version),
  firmwareTarget: str(r.firmware_target),
  online: bool(r.online),
  lastSeenAt: num(r.last_seen_at),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const toRegistration = (r: Row): Registration => ({
  id: String(r.id),
  serial: String(r.serial),
  model: String(r.model),
  capabilities: json(r.capabilities),
  state: r.state as Registration['state'],
  attempts: Number(r.attempts),
  deviceId: r.device_id === null ? null : String(r.device_id),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
});

export const toAudit = (r: Row): AuditEntry => ({
  id: Number(r.id),
  at: Number(r.at),
  actor: String(r.actor),
  accountId: r.account_id === null ? null : String(r.account_id),
  action: String(r.action),
  target: r.target === null ? null : String(r.target),
  detail: r.detail === null ? null : json(r.detail),
});

export const toQueued = (r: Row): QueuedRequest => {
  const payload = JSON.parse(String(r.payload)) as Pick<QueuedRequest, 'oids' | 'objects'>;
  return {
    requestId: String(r.id),
    deviceId: String(r.device_id),
    accountId: String(r.account_id),
    op: r.op as QueuedRequest['op'],
    ...payload,
    state: r.state as QueuedRequest['state'],
    answer: r.answer === null ? null : (JSON.parse(String(r.answer)) as QueuedRequest['answer']),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    deliveredAt: num(r.delivered_at),
    answeredAt: num(r.answered_at),
  };
};

export const toCode = (r: Row): Code => ({
  namespace: String(r.namespace),
  code: String(r.code),
  kind: str(r.kind),
  description: String(r.description),
  reply: String(r.reply),
});

export const toWebhook = (r: Row): Webhook => ({
  id: String(r.id),
  accountId: str(r.account_id),
  url: String(r.url),
  events: JSON.parse(String(r.events)) as string[],
  secret: String(r.secret),
  createdAt: Number(r.created_at),
});

export const toReport = (r: Row): StoredReport => ({
  reception: Number(r.reception),
  deviceId: String(r.device_id),
  accountId: String(r.account_id),
  type: String(r.type),
  namespace: str(r.namespace),
  code: str(r.code),
  text: str(r.text),
  quantity: num(r.quantity),
  total: num(r.total),
  mono: num(r.mono),
  colour: num(r.colour),
  via: r.via as StoredReport['via'],
  receivedAt: Number(r.received_at),
});

export const toAlert = (r: Row): Alert => ({
  id: Number(r.id),
  deviceId: String(r.device_id),
  accountId: String(r.account_id),
  key: String(r.key),
  type: String(r.type),
  code: str(r.code),
  description: String(r.description),
  state: r.state as Alert['state'],
  count: Number(r.count),
  firstReception: Number(r.first_reception),
  lastReception: Number(r.last_reception),
  openedAt: Number(r.opened_at),
  updatedAt: Number(r.updated_at),
  acknowledgedAt: num(r.acknowledged_at),
  acknowledgedBy: str(r.acknowledged_by),
  resolvedAt: num(r.resolved_at),
  resolvedBy: str(r.resolved_by),
});

export const toRead = (r: Row) => ({ at: Number(r.received_at ?? r.at), total: Number(r.total), mono: Number(r.mono), colour: Number(r.colour) });

export const toFirmware = (r: Row): Firmware => ({
  id: String(r.id),
  model: String(r.model),
  version: String(r.version),
  size: Number(r.size),
  sha256: String(r.sha256),
  signature: String(r.signature),
  rolloutPercent: Number(r.rollout_percent),
  uploadedAt: Number(r.uploaded_at),
  uploadedBy: String(r.uploaded_by),
});


export const encodeCursor = (id: string): string => Buffer.from(id).toString('base64url');
export const decodeCursor = (c: string): string => Buffer.from(c, 'base64url').toString();

export const toJob = (r: Row): PrintJob => ({
  id: String(r.id),
  deviceId: String(r.device_id),
  accountId: String(r.account_id),
  state: r.state as JobState,
  name: String(r.name),
  documentType: String(r.document_type),
  documentSize: Number(r.document_size),
  documentSha256: String(r.document_sha256),
  documentDeleted: bool(r.document_deleted),
  ticket: JSON.parse(String(r.ticket)) as Ticket,
  source: r.source as PrintJob['source'],
  createdBy: String(r.created_by),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const toOpenJob = (r: Row): OpenJob => ({
  number: Number(r.number),
  deviceId: String(r.device_id),
  accountId: String(r.account_id),
  name: String(r.name),
  ticket: JSON.parse(String(r.ticket)) as Ticket,
  createdBy: String(r.created_by),
  createdAt: Number(r.created_at),
});

export const toPage = (r: Row): PrintPage => ({
  id: String(r.id),
  deviceId: String(r.device_id),
  accountId: String(r.account_id),
  sender: String(r.sender),
  subject: String(r.subject),
  files: JSON.parse(String(r.files)) as PrintPage['files'],
  jobId: str(r.job_id),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
});

export const toPrinter = (deviceId: string, r: Row, updatedAt: number): PrinterState => ({
  deviceId,
  accepting: bool(r.accepting),
  status: str(r.status),
  updatedAt,
  allowedSenders: r.allowed_senders ? (JSON.parse(String(r.allowed_senders)) as string[]) : null,
});

export const toFaxUser = (r: Row): FaxUser => ({
  id: String(r.id),
  accountId: String(r.account_id),
  passwordHash: String(r.password_hash),
  settings: JSON.parse(String(r.settings)) as FaxUser['settings'],
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const toEntry = (r: Row): OutboxEntry => ({
  id: Number(r.id),
  kind: String(r.kind) as OutboxEntry['kind'],
  message: String(r.message),
  attempts: Number(r.attempts),
  nextAt: Number(r.next_at),
  createdAt: Number(r.created_at),
});

export const toBulkJob = (r: Row): BulkJob => ({
  id: String(r.id),
  accountId: r.account_id === null ? null : String(r.account_id),
  params: JSON.parse(String(r.params)) as BulkParams,
  state: r.state as BulkJob['state'],
  node: String(r.node),
  createdBy: String(r.created_by),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const toCounts = (rows: Row[]): BulkCounts => {
  const c: BulkCounts = { pending: 0, ok: 0, queued: 0, failed: 0 };
  for (const r of rows) c[r.state as BulkResultState] = Number(r.n);
  return c;
};

export const toBulkResult = (r: Row): BulkResult => ({
  deviceId: String(r.device_id),
  state: r.state as BulkResultState,
  detail: r.detail === null ? null : String(r.detail),
  updatedAt: Number(r.updated_at),
});
