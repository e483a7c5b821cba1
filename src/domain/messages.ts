import type { PushRequest } from './push.js';

/** What services send down a device's session; each transport encodes it in its own wire format. */
export type DeviceMessage =
  | { kind: 'push'; req: PushRequest }
  /** A job is waiting: fetch it (the job notice of seed 002 S206 and seed 003 T144). */
  | { kind: 'job'; jobId: string }
  /** Stop this job (seed 002 S207: the cancel request pushed to the printer); the answer comes back with the same request id. */
  | { kind: 'cancel'; requestId: string; jobId: string };

/** Request ids of pushed cancels start with this (GET/SET ids with 'r'), so a capture or a log tells them apart; answers are matched by the whole id. */
export const CANCEL_ID_PREFIX = 'x';
