import { isOid, MAX_OBJECTS, isSmiType, refusedObject, answersRequest, valueProblem, type PushAnswer, type PushOp, type PushRequest, type ResultObject, type TypedValue } from '../../domain/push.js';
import { canSeeAccount, type Principal } from '../../domain/principal.js';
import type { QueuedRequest } from '../../domain/push.js';
import { base32 } from '../../domain/identifiers.js';
import { CONSOLE_DISPLAY_CHARS, CONSOLE_DISPLAY_OID } from '../../domain/status.js';
import { NodeLost, type DeviceSessions } from '../../sessions/device-sessions.js';
import { DeviceTimers } from '../../sessions/device-timers.js';
import type { ServiceContext } from '../kernel/context.js';
import type { DeviceService } from '../identity/devices.js';
import { invalid, notFound, ServiceError } from '../kernel/errors.js';

export interface PushLimits {
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  /** Requests waiting for answers, relay-wide and per device. */
  maxPending: number;
  maxPendingPerDevice: number;
  /** A queued request delivered down a session and not answered within this is delivered again (the session may have died under it). */
  redeliverMs: number;
}

export const DEFAULT_PUSH_LIMITS: PushLimits = { defaultTimeoutMs: 30_000, maxTimeoutMs: 300_000, maxPending: 100_000, maxPendingPerDevice: 32, redeliverMs: 60_000 };

export interface PushResult {
  requestId: string;
  objects: ResultObject[];
}

export interface PushOptions {
  timeoutSeconds?: number;
  /** For an OFFLINE device: keep the request this long and deliver it at its next contact. */
  queueTtlSeconds?: number;
}

export const MAX_QUEUED_PER_DEVICE = 32;
export const MAX_QUEUE_TTL_SECONDS = 7 * 86400;
/** Finished and expired queued requests stay readable this long after their expiry. */
export const KEEP_QUEUED_MS = 24 * 3600_000;
/** Queued requests delivered down sessions and watched for an answer, relay-wide. */
const MAX_UNANSWERED = 100_000;

/** Input objects for SET may carry 32-bit values as JSON numbers; everything travels as strings. */
export interface SetObjectInput {
  oid: string;
  type: string;
  value: string | number;
}

/**
 * The push relay (seed 000 S343–S375): a service server's GET/SET becomes an IQ pushed down
 * the device's held connection, tagged with an unpredictable request ID (S353); the device's
 * answer, over the session or session-less HTTP (S265), completes the waiting HTTP request
 * (S373). An offline device is an immediate error (S349/S351), never a wait. Pending requests
 * wait in the session layer's correlator (Answers).
 */
export class PushService {
  /** Queued requests delivered down a device's session and not answered yet, with their expiry, by device (capped at MAX_UNANSWERED in all). */
  private readonly unanswered = new Map<string, Map<string, number>>();
  private unansweredCount = 0;
  private readonly redeliver: DeviceTimers;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly devices: DeviceService,
    private readonly sessions: DeviceSessions,
    private readonly limits: PushLimits = DEFAULT_PUSH_LIMITS,
  ) {
    this.redeliver = new DeviceTimers(ctx.clock, MAX_UNANSWERED);
    // Every new session, not only OFFLINE → ONLINE: a device that restarted and logged in again while
    // still ONLINE lost what went down its old session.
    sessions.onSessionBound((deviceId) => void this.deliverQueued(deviceId).catch(() => undefined));
  }

  /** Stops redelivering (the relay is closing). */
  stop(): void {
    this.redeliver.stop();
  }

  async get(p: Principal, deviceId: string, oids: string[], o: PushOptions = {}): Promise<PushResult | QueuedRequest> {
    if (oids.length === 0 || oids.length > MAX_OBJECTS) throw invalid(`give 1–${MAX_OBJECTS} OIDs`);
    const bad = oids.find((x) => !isOid(x));
    if (bad !== undefined) throw invalid(`not an OID: ${bad.slice(0, 64)}`);
    return this.send(p, deviceId, 'get', { oids }, o);
  }

  async set(p: Principal, deviceId: string, input: SetObjectInput[], o: PushOptions = {}): Promise<PushResult | QueuedRequest> {
    const objects = checkObjects(input);
    const result = await this.send(p, deviceId, 'set', { objects }, o);
    if ('state' in result) return result;
    const refused = refusedObject(result.objects);
    if (refused)
      throw new ServiceError('device-error', `the device refused the SET: ${refused.oid} ${refused.error}; nothing was changed`, {
        requestId: result.requestId,
        oid: refused.oid,
        error: refused.error,
      });
    return result;
  }

  /**
   * Shows `message` on the device's console (a SET of prtConsoleDisplayBufferText over its
   * session): how the relay makes a device identify itself (IPP Identify-Printer, action display).
   * Offline: device-offline at once; no answer in `timeoutSeconds`: device-timeout; refused: device-error.
   */
  async display(p: Principal, deviceId: string, message: string, timeoutSeconds: number): Promise<void> {
    const line = message.replace(/[^\x20-\x7e]/g, ' ').slice(0, CONSOLE_DISPLAY_CHARS);
    await this.set(p, deviceId, [{ oid: CONSOLE_DISPLAY_OID, type: 'string', value: line }], { timeoutSeconds });
  }

  /**
   * The device's answer (S369/S373), from its session or session-less HTTP. Only the device
   * the request went to can answer it. False if no such request is waiting (late, unknown).
   */
  async answer(deviceId: string, requestId: string, answer: PushAnswer): Promise<boolean> {
    if (this.sessions.waits(requestId, 'push')) return this.sessions.settle(deviceId, requestId, 'push', answer);
    if (await this.sessions.settle(deviceId, requestId, 'push', answer)) return true; // waited for on the node holding the device's session
    const completed = await this.ctx.store.pushQueue.complete(requestId, deviceId, answer, this.ctx.clock.now());
    if (completed) this.forget(deviceId, requestId);
    return completed;
  }

  /** A queued request as its submitter sees it: another account's is absent. */
  async queued(p: Principal, requestId: string): Promise<QueuedRequest> {
    const q = requestId.length <= 64 ? await this.ctx.store.pushQueue.get(requestId) : null;
    if (!q || !canSeeAccount(p, q.accountId)) throw notFound(`request ${requestId.slice(0, 64)}`);
    return q;
  }

  /** queued, expired (queued past its expiry), delivered or answered. */
  status(q: QueuedRequest): 'queued' | 'expired' | 'delivered' | 'answered' {
    return q.state === 'queued' && q.expiresAt <= this.ctx.clock.now() ? 'expired' : q.state;
  }

  /** Outside a session the device collects its queued requests (each exactly once) and answers on /device/v1/responses. */
  async takeQueued(deviceId: string): Promise<QueuedRequest[]> {
    return this.ctx.store.pushQueue.take(deviceId, this.ctx.clock.now(), MAX_QUEUED_PER_DEVICE);
  }

  async sweep(): Promise<number> {
    const now = this.ctx.clock.now();
    for (const [deviceId, ids] of [...this.unanswered]) for (const [requestId, expiresAt] of [...ids]) if (expiresAt <= now) this.forget(deviceId, requestId);
    return this.ctx.store.pushQueue.deleteExpiredBefore(this.ctx.clock.now() - KEEP_QUEUED_MS);
  }

  /**
   * At each new session of the device, and again while they stay unanswered, its requests go down
   * that session: first those delivered before and not answered (the session they went down may
   * have died), then those still queued.
   */
  private async deliverQueued(deviceId: string): Promise<void> {
    const now = this.ctx.clock.now();
    // From the store, not from memory: the node that delivered them may have died since.
    const delivered = await this.ctx.store.pushQueue.delivered(deviceId, now, MAX_QUEUED_PER_DEVICE);
    for (const requestId of this.unanswered.get(deviceId)?.keys() ?? []) if (!delivered.some((q) => q.requestId === requestId)) this.forget(deviceId, requestId);
    for (const q of delivered) {
      if (!(await this.sessions.deliver(deviceId, { kind: 'push', req: toRequest(q) }))) return;
      this.watch(q);
    }
    for (const q of await this.takeQueued(deviceId)) {
      if (await this.sessions.deliver(deviceId, { kind: 'push', req: toRequest(q) })) this.watch(q);
      else await this.ctx.store.pushQueue.release(q.requestId);
    }
    if (this.unanswered.has(deviceId)) this.armRedelivery(deviceId);
  }

  /** Remembers a request delivered down a session until it is answered; past the cap it is not watched (it still completes on an answer). */
  private watch(q: QueuedRequest): void {
    if (this.unansweredCount >= MAX_UNANSWERED) return;
    let ids = this.unanswered.get(q.deviceId);
    if (!ids) this.unanswered.set(q.deviceId, (ids = new Map()));
    if (!ids.has(q.requestId)) this.unansweredCount++;
    ids.set(q.requestId, q.expiresAt);
  }

  private forget(deviceId: string, requestId: string): void {
    const ids = this.unanswered.get(deviceId);
    if (!ids?.delete(requestId)) return;
    this.unansweredCount--;
    if (ids.size === 0) {
      this.unanswered.delete(deviceId);
      this.redeliver.cancel(deviceId);
    }
  }

  private armRedelivery(deviceId: string): void {
    this.redeliver.arm(deviceId, this.limits.redeliverMs, () => {
      if (!this.sessions.isOnline(deviceId)) return; // its next session delivers them
      void this.deliverQueued(deviceId).catch(() => undefined);
    });
  }

  private async enqueue(deviceId: string, accountId: string, op: PushOp, body: { oids?: string[]; objects?: TypedValue[] }, ttlSeconds: number): Promise<QueuedRequest> {
    if (!(Number.isInteger(ttlSeconds) && ttlSeconds > 0 && ttlSeconds <= MAX_QUEUE_TTL_SECONDS))
      throw invalid(`queue.ttlSeconds is from 1 to ${MAX_QUEUE_TTL_SECONDS}`);
    if ((await this.ctx.store.pushQueue.countQueued(deviceId, this.ctx.clock.now())) >= MAX_QUEUED_PER_DEVICE)
      throw new ServiceError('device-busy', `${MAX_QUEUED_PER_DEVICE} requests are already queued for ${deviceId}`, { retryAfter: 60 });
    const now = this.ctx.clock.now();
    const q: QueuedRequest = {
      requestId: this.newRequestId(),
      deviceId,
      accountId,
      op,
      ...body,
      state: 'queued',
      answer: null,
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
      deliveredAt: null,
      answeredAt: null,
    };
    await this.ctx.store.pushQueue.insert(q);
    return q;
  }

  private newRequestId(): string {
    return 'r' + base32(this.ctx.random.bytes(15));
  }

  private async send(
    p: Principal,
    deviceId: string,
    op: PushOp,
    body: { oids?: string[]; objects?: TypedValue[] },
    o: PushOptions,
  ): Promise<PushResult | QueuedRequest> {
    const timeoutMs = o.timeoutSeconds === undefined ? this.limits.defaultTimeoutMs : o.timeoutSeconds * 1000;
    if (!(timeoutMs > 0 && timeoutMs <= this.limits.maxTimeoutMs))
      throw invalid(`timeoutSeconds is from 1 to ${this.limits.maxTimeoutMs / 1000}`);
    const device = await this.devices.get(p, deviceId);
    if (!this.sessions.isOnline(device.id)) {
      if (o.queueTtlSeconds !== undefined) return this.enqueue(device.id, device.accountId, op, body, o.queueTtlSeconds);
      throw offline(device.id);
    }
    const { answers } = this.sessions;
    if (answers.size >= this.limits.maxPending || this.sessions.load(device.id) >= this.limits.maxPendingPerDevice)
      throw new ServiceError('device-busy', `too many requests are waiting for ${device.id}; retry later`, { retryAfter: 1 });

    const req: PushRequest = { requestId: this.newRequestId(), deviceId: device.id, op, ...body };
    const answer = await this.sessions.ask(device.id, req.requestId, 'push', { kind: 'push', req }, timeoutMs, { error: { condition: 'recipient-unavailable' } }).catch((err: unknown) => {
      throw err instanceof NodeLost ? new ServiceError('device-offline', err.message, { requestId: req.requestId }) : err;
    });

    if (answer === null)
      throw new ServiceError('device-timeout', `${device.id} did not answer within ${timeoutMs / 1000} s`, { requestId: req.requestId });
    if ('error' in answer) {
      if (answer.error.condition === 'recipient-unavailable') throw offline(device.id);
      throw new ServiceError('device-error', `the device answered with an error: ${answer.error.condition}${answer.error.text ? ` (${answer.error.text})` : ''}`, {
        requestId: req.requestId,
        condition: answer.error.condition,
      });
    }
    if (!answersRequest(req, answer.objects))
      throw new ServiceError('device-error', 'the device answered with objects other than those asked for', { requestId: req.requestId });
    return { requestId: req.requestId, objects: answer.objects };
  }
}

/** A SET's objects, checked (OID, type, value) before anything is sent. */
export function checkObjects(input: SetObjectInput[]): TypedValue[] {
  if (input.length === 0 || input.length > MAX_OBJECTS) throw invalid(`give 1–${MAX_OBJECTS} objects`);
  return input.map((o) => {
    if (!isOid(o.oid)) throw invalid(`not an OID: ${String(o.oid).slice(0, 64)}`);
    if (!isSmiType(o.type)) throw invalid(`${o.oid}: unknown type ${String(o.type).slice(0, 32)}`);
    const value = String(o.value);
    const problem = valueProblem(o.type, value);
    if (problem) throw invalid(`${o.oid}: ${problem}`);
    return { oid: o.oid, type: o.type, value };
  });
}

function toRequest(q: QueuedRequest): PushRequest {
  return { requestId: q.requestId, deviceId: q.deviceId, op: q.op, ...(q.op === 'get' ? { oids: q.oids } : { objects: q.objects }) };
}

function offline(deviceId: string): ServiceError {
  return new ServiceError('device-offline', `${deviceId} is offline: it holds no session with the relay`);
}
