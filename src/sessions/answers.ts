import type { Clock } from '../domain/clock.js';
import type { CancelAnswer } from '../domain/print.js';
import type { PushAnswer } from '../domain/push.js';

/** What a device answers to a request the relay pushed down its session. */
export interface AnswerKinds {
  /** A GET or SET (seed 000 S369). */
  push: PushAnswer;
  /** A job cancel (seed 002 S304). */
  cancel: CancelAnswer;
}
export type AnswerKind = keyof AnswerKinds;

interface Waiting {
  deviceId: string;
  kind: AnswerKind;
  settle: (answer: AnswerKinds[AnswerKind] | null) => void;
  undelivered: AnswerKinds[AnswerKind];
}

/**
 * The one request/answer correlator: every request pushed to a device that waits for an answer
 * is held here, keyed by its request ID, until the device answers or the bound passes. Only the
 * device the request went to can answer it. Waiting requests live in memory only.
 */
export class Answers {
  private readonly waiting = new Map<string, Waiting>();
  private readonly perDevice = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** Requests waiting now, relay-wide. */
  get size(): number {
    return this.waiting.size;
  }

  /** Requests waiting now for one device. */
  load(deviceId: string): number {
    return this.perDevice.get(deviceId) ?? 0;
  }

  /**
   * Waits for the answer to `requestId` from `deviceId`: null when none came within `timeoutMs`;
   * `undelivered` when the relay stops first (the device can no longer answer).
   */
  expect<K extends AnswerKind>(deviceId: string, requestId: string, kind: K, timeoutMs: number, undelivered: AnswerKinds[K]): Promise<AnswerKinds[K] | null> {
    return new Promise((resolve) => {
      const cancelTimer = this.clock.after(timeoutMs, () => settle(null));
      const settle = (answer: AnswerKinds[AnswerKind] | null): void => {
        if (!this.waiting.delete(requestId)) return;
        cancelTimer();
        const left = this.load(deviceId) - 1;
        if (left > 0) this.perDevice.set(deviceId, left);
        else this.perDevice.delete(deviceId);
        resolve(answer as AnswerKinds[K] | null);
      };
      this.waiting.set(requestId, { deviceId, kind, settle, undelivered });
      this.perDevice.set(deviceId, this.load(deviceId) + 1);
    });
  }

  /** What the request waits for; undefined when nothing waits for it (late, unknown, or a queued request). */
  kindOf(requestId: string): AnswerKind | undefined {
    return this.waiting.get(requestId)?.kind;
  }

  /** Hands the device's answer to whoever waits for it. False when nothing waits, or it went to another device. */
  settle<K extends AnswerKind>(deviceId: string, requestId: string, kind: K, answer: AnswerKinds[K]): boolean {
    const w = this.waiting.get(requestId);
    if (!w || w.deviceId !== deviceId || w.kind !== kind) return false;
    w.settle(answer);
    return true;
  }

  /** The relay stops: every request still waiting ends now as undelivered, not at its timeout. */
  closeAll(): void {
    for (const w of [...this.waiting.values()]) w.settle(w.undelivered);
  }
}
