/** Fakes for unit tests of the fax switchboard: its users, and lines that record what it says to them. */
import { FrameType } from '../../src/protocol/fax/frames.js';
import type { FaxLinePort, Relayed } from '../../src/services/fax/line.js';
import type { FaxUserService } from '../../src/services/fax/users.js';

/** Fax users for unit tests: any ID logs in with the password "right"; "other" is of account b, the rest of a. */
export const FAX_USERS = {
  async authenticate(id: string, password: string) {
    return password === 'right' ? { id, accountId: id === 'other' ? 'b' : 'a', passwordHash: 'h', settings: {}, createdAt: 0, updatedAt: 0 } : null;
  },
  async stillValid() {
    return true;
  },
} as unknown as FaxUserService;

/** What the switchboard says to a fax line, recorded as the frame type and body the fax port would write. */
export abstract class RecordingLine implements FaxLinePort {
  sent: { type: number; body?: any }[] = [];
  closed = false;

  constructor(readonly remoteAddress = '192.0.2.1') {}

  loggedIn(r: object): void {
    this.sent.push({ type: FrameType.LOGIN_RESULT, body: { ok: true, ...r } });
  }
  loginRefused(reason: string): void {
    this.sent.push({ type: FrameType.LOGIN_RESULT, body: { ok: false, reason } });
  }
  holdAck(): void {
    this.sent.push({ type: FrameType.HOLD_ACK });
  }
  users(users: string[]): void {
    this.sent.push({ type: FrameType.LIST_RESULT, body: { users } });
  }
  incoming(call: object): void {
    this.sent.push({ type: FrameType.INCOMING, body: call });
  }
  connected(call: object): void {
    this.sent.push({ type: FrameType.CONNECT_RESULT, body: { ok: true, ...call } });
  }
  callFailed(f: object): void {
    this.sent.push({ type: FrameType.CONNECT_RESULT, body: { ok: false, ...f } });
  }
  error(code: string, message: string): void {
    this.sent.push({ type: FrameType.ERROR, body: { code, message } });
  }
  last(): { type: number; body?: any } {
    return this.sent.at(-1)!;
  }
  abstract relayData(d: Relayed): boolean;
  abstract terminated(d: Relayed | null): boolean;
  abstract pauseReading(): void;
  abstract resumeReading(): void;
  abstract onceDrained(fn: () => void): void;
  abstract close(): void;
}
