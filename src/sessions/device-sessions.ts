import type { DeviceMessage } from '../domain/messages.js';
import type { AnswerKind, AnswerKinds, Answers } from './answers.js';
import type { SessionHub } from './hub.js';
import type { PresenceService } from './presence.js';

/**
 * What services use of the session layer: whether a device is online, a message down its
 * session, and a request that waits for the device's answer.
 */
export class DeviceSessions {
  constructor(
    readonly hub: SessionHub,
    readonly answers: Answers,
    readonly presence: PresenceService,
  ) {}

  isOnline(deviceId: string): boolean {
    return this.presence.isOnline(deviceId);
  }

  /** Calls `fn` whenever a device comes ONLINE. */
  onOnline(fn: (deviceId: string) => void): void {
    this.presence.on('online', fn);
  }

  /**
   * Calls `fn` whenever a device binds a new session, whether it was OFFLINE or still ONLINE
   * with an older session (which the new one replaces): whatever was sent down the old session
   * and not acted on must be sent again.
   */
  onSessionBound(fn: (deviceId: string) => void): void {
    this.hub.onBound(fn);
  }

  /** Hands a message to the device's session; false if it has none or it is full. */
  deliver(deviceId: string, msg: DeviceMessage): boolean {
    return this.hub.deliver(deviceId, msg);
  }

  /**
   * Sends a request down the device's session and waits for the answer with the same request
   * ID: null when none came within `timeoutMs`, `undelivered` at once when the session could not take it.
   */
  ask<K extends AnswerKind>(deviceId: string, requestId: string, kind: K, msg: DeviceMessage, timeoutMs: number, undelivered: AnswerKinds[K]): Promise<AnswerKinds[K] | null> {
    const answer = this.answers.expect(deviceId, requestId, kind, timeoutMs);
    if (!this.hub.deliver(deviceId, msg)) this.answers.settle(deviceId, requestId, kind, undelivered);
    return answer;
  }
}
