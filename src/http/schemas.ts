/** JSON schemas shared by routes; they validate requests and feed the OpenAPI document. */
import { ACCOUNT_ID_PATTERN, DEVICE_ID_PATTERN, LABEL_PATTERN } from '../domain/identifiers.js';
import { PROBLEMS } from '../services/kernel/errors.js';
import { MAX_TAGS, TAG_PATTERN } from '../domain/devices.js';

const nullableString = { type: ['string', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const problem = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string', enum: Object.keys(PROBLEMS).map((n) => `/problems/${n}`) },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'detail'],
  additionalProperties: true,
} as const;

export const label = { type: 'string', pattern: LABEL_PATTERN } as const;
export const accountId = { type: 'string', pattern: ACCOUNT_ID_PATTERN } as const;
export const capabilities = {
  type: 'object',
  description: 'Capability information: memory, paper sizes, functions (free-form JSON object, at most 16 KiB)',
} as const;

/** Seed 004's registration number table fields; null clears one. */
export const registryFields = {
  registrationNumber: { type: ['string', 'null'], maxLength: 32 },
  installationPlace: { type: ['string', 'null'], maxLength: 200 },
  installer: { type: ['string', 'null'], maxLength: 200 },
  contact: { type: ['string', 'null'], maxLength: 200 },
  contactEmail: { type: ['string', 'null'], maxLength: 254 },
  legacyAuth: { type: 'boolean', description: 'may report with its registration number alone (CGI U=), without its token' },
} as const;

/** A device's whole set of tags (it replaces the one before). */
export const deviceTags = {
  type: 'array',
  maxItems: MAX_TAGS,
  items: { type: 'string', pattern: TAG_PATTERN },
  description: "an operator's labels, filterable everywhere (GET /devices?tag=)",
} as const;

/** Query parameters of a paged list: follow `nextCursor`; at most 500 items a page. */
export const paging = {
  cursor: { type: 'string', maxLength: 200, pattern: '^[A-Za-z0-9_-]*$' },
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
} as const;

export const deviceIdParam = {
  type: 'object',
  properties: { id: { type: 'string', pattern: DEVICE_ID_PATTERN } },
  required: ['id'],
} as const;

export const device = {
  $id: 'Device',
  type: 'object',
  properties: {
    deviceId: { type: 'string' },
    jid: { type: 'string' },
    accountId: { type: 'string' },
    serial: { type: 'string' },
    model: { type: 'string' },
    capabilities: { type: 'object', additionalProperties: true },
    registrationNumber: nullableString,
    installationPlace: nullableString,
    installer: nullableString,
    contact: nullableString,
    contactEmail: nullableString,
    legacyAuth: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string' } },
    firmwareVersion: nullableString,
    firmwareTarget: { ...nullableString, description: 'a version an operator assigned (a bulk "firmware" action): offered over the rollout when newer than what the device runs' },
    online: { type: 'boolean' },
    lastSeenAt: nullableTime,
    createdAt: time,
    updatedAt: time,
  },
} as const;

export const credentials = {
  $id: 'DeviceCredentials',
  type: 'object',
  description: 'A device token is shown once, here; only its SHA-256 is stored.',
  properties: { deviceId: { type: 'string' }, jid: { type: 'string' }, token: { type: 'string' }, vendorPublicKey: { type: 'string' } },
  required: ['deviceId', 'jid', 'token'],
} as const;

export const token = {
  $id: 'ApiToken',
  type: 'object',
  properties: {
    id: { type: 'string' },
    accountId: nullableString,
    admin: { type: 'boolean' },
    label: nullableString,
    createdAt: time,
    expiresAt: nullableTime,
    revokedAt: nullableTime,
    lastUsedAt: nullableTime,
  },
} as const;

export const printer = {
  $id: 'Printer',
  type: 'object',
  description: "A printer's accepting-jobs flag and status (seed 003 printer table) and its print-by-mail address",
  properties: {
    printerId: { type: 'string' },
    model: { type: 'string' },
    serial: { type: 'string' },
    acceptingJobs: { type: 'boolean' },
    status: nullableString,
    online: { type: 'boolean' },
    email: nullableString,
    allowedSenders: { type: ['array', 'null'], items: { type: 'string' } },
  },
  required: ['printerId', 'model', 'serial', 'acceptingJobs', 'status', 'online'],
} as const;

const nullableInteger = { type: ['integer', 'null'] } as const;

export const deviceStatus = {
  $id: 'DeviceStatus',
  type: 'object',
  description:
    "A device's last known status: from the relay's status poll (Printer MIB supplies, prtMarkerLifeCount, hrDeviceStatus, hrPrinterStatus, hrPrinterDetectedErrorState) and seed 004 counters reports; null where nothing is known yet",
  properties: {
    deviceId: { type: 'string' },
    serial: { type: 'string' },
    model: { type: 'string' },
    firmwareVersion: nullableString,
    online: { type: 'boolean' },
    lastSeenAt: nullableTime,
    deviceState: { type: ['string', 'null'], description: 'hrDeviceStatus: running, warning, testing, down, unknown' },
    printerState: { type: ['string', 'null'], description: 'hrPrinterStatus: idle, printing, warmup, other, unknown' },
    errors: { type: 'array', items: { type: 'string' }, description: "hrPrinterDetectedErrorState's bits: lowToner, jammed, doorOpen, …" },
    supplies: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' },
          description: { type: 'string' },
          kind: { type: 'string', description: 'prtMarkerSuppliesType: tonerCartridge, opc, inkCartridge, …' },
          colour: { type: ['string', 'null'] },
          level: nullableInteger,
          max: nullableInteger,
          percent: nullableInteger,
        },
        required: ['index', 'description', 'kind', 'colour', 'level', 'max', 'percent'],
      },
    },
    counters: { type: 'object', properties: { total: nullableInteger, mono: nullableInteger, colour: nullableInteger }, required: ['total', 'mono', 'colour'] },
    polledAt: nullableTime,
    reportedAt: nullableTime,
    transport: { type: ['string', 'null'], enum: ['bosh', 'websocket', null], description: "what carried the device's session when it was last polled" },
    printer: {
      type: ['object', 'null'],
      description: 'what the printer last said of itself (POST /device/v1/printer/state, seed 003): accepting jobs, its status message; null if it never did',
      properties: { acceptingJobs: { type: 'boolean' }, status: nullableString, updatedAt: time },
    },
  },
  required: ['deviceId', 'online', 'deviceState', 'printerState', 'errors', 'supplies', 'counters', 'polledAt', 'reportedAt', 'transport'],
} as const;

/** A page that also says how many items match the filter in all. */
export const countedPageOf = (ref: string) =>
  ({
    type: 'object',
    properties: {
      items: { type: 'array', items: { $ref: `${ref}#` } },
      nextCursor: nullableString,
      total: { type: 'integer', minimum: 0, description: 'how many match the filter, on every page' },
    },
    required: ['items', 'nextCursor', 'total'],
  }) as const;

/**
 * A JSON success body, described for the OpenAPI document. It declares no properties, so the
 * reply is serialized as the route returns it: nothing dropped, nothing coerced.
 */
export const okJson = (description: string) => ({ description, type: 'object', additionalProperties: true }) as const;

/** A body that is not JSON (text, CSV, HTML, a file), described for the document; such payloads are sent as they are. */
export const rawBody = (description: string, mediaType: string, format?: 'binary') =>
  ({ description, content: { [mediaType]: { schema: { type: 'string', ...(format ? { format } : {}) } } } }) as const;

/** Device endpoints take the device token as a bearer token. */
export const deviceSecurity: Record<string, string[]>[] = [{ deviceToken: [] }];
/** Open to anyone: anonymous registration, health, capability links. */
export const anonymous: Record<string, string[]>[] = [];

export const problemResponses = {
  400: { $ref: 'Problem#' },
  401: { $ref: 'Problem#' },
  404: { $ref: 'Problem#' },
} as const;

export const sharedSchemas = [problem, device, credentials, token, printer, deviceStatus];
