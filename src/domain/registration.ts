/**
 * Anonymous registration with a PIN (seed 003 T10–T62: the device asks, a person types the PIN
 * it shows, the device picks up its access token), as a pure state machine.
 *
 *   pending --claim with right PIN--> claimed --device polls--> delivered
 *   pending --time passes expiresAt--> expired (derived, never stored)
 *   pending --MAX_PIN_ATTEMPTS wrong PINs--> locked (derived from attempts)
 *   pending --right PIN, but (model, serial) is already a device--> refused (terminal: the
 *     device is told so on its next poll; an operator removes the old device or rotates its token)
 *
 * The access token (AT1) is minted at delivery, not at claim, so it exists in clear
 * exactly once: in the response to the device's poll.
 */

export type RegistrationState = 'pending' | 'claimed' | 'delivered' | 'refused';

export interface Registration {
  id: string;
  serial: string;
  model: string;
  capabilities: Record<string, unknown>;
  state: RegistrationState;
  attempts: number;
  deviceId: string | null;
  createdAt: number;
  expiresAt: number;
}

export const MAX_PIN_ATTEMPTS = 5;
/** After a claim the device gets this long to pick its token up, whatever was left of the PIN's life. */
export const DELIVERY_WINDOW_MS = 10 * 60_000;

export type PollOutcome =
  | { kind: 'pending' }
  | { kind: 'ready'; deviceId: string }
  | { kind: 'gone'; reason: GoneReason };

export type GoneReason = 'expired' | 'delivered' | 'locked' | 'refused';

export function pollOutcome(reg: Registration, now: number): PollOutcome {
  if (reg.state === 'delivered') return { kind: 'gone', reason: 'delivered' };
  if (reg.state === 'refused') return { kind: 'gone', reason: 'refused' };
  if (now >= reg.expiresAt) return { kind: 'gone', reason: 'expired' };
  if (reg.state === 'claimed' && reg.deviceId) return { kind: 'ready', deviceId: reg.deviceId };
  if (reg.attempts >= MAX_PIN_ATTEMPTS) return { kind: 'gone', reason: 'locked' };
  return { kind: 'pending' };
}

export type ClaimDecision =
  | { kind: 'accept' }
  | { kind: 'wrong-pin'; attemptsLeft: number }
  | { kind: 'locked' }
  | { kind: 'expired' }
  | { kind: 'already-claimed' }
  | { kind: 'refused' };

export function decideClaim(reg: Registration, pinMatches: boolean, now: number): ClaimDecision {
  if (reg.state === 'refused') return { kind: 'refused' };
  if (reg.state !== 'pending') return { kind: 'already-claimed' };
  if (now >= reg.expiresAt) return { kind: 'expired' };
  if (reg.attempts >= MAX_PIN_ATTEMPTS) return { kind: 'locked' };
  if (!pinMatches) {
    const attemptsLeft = MAX_PIN_ATTEMPTS - reg.attempts - 1;
    return attemptsLeft > 0 ? { kind: 'wrong-pin', attemptsLeft } : { kind: 'locked' };
  }
  return { kind: 'accept' };
}

export function claimedExpiry(reg: Registration, now: number): number {
  return Math.max(reg.expiresAt, now + DELIVERY_WINDOW_MS);
}
