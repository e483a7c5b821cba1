import { DEVICE_HTTP } from '../../protocol/device-http.js';

/** What a device needs to log in: its ID and its token. */
export interface DeviceCredentials {
  deviceId: string;
  token: string;
}

export interface RegistrationTicket {
  pin: string;
  claimUrl: string;
  pollUrl: string;
  expiresAt: string;
}

export class RegistrationFailed extends Error {}

/**
 * The device side of anonymous registration (seed 003 T12–T62, seed 000 S231): ask for a PIN
 * (T12), show it and the claim URL to the person (T22), then long-poll until they have typed it
 * and the access token comes back (T60) — or the PIN expires.
 */
export async function registerDevice(
  relayUrl: string,
  info: { serial: string; model: string; capabilities?: Record<string, unknown> },
  showPin: (ticket: RegistrationTicket) => void,
  o: { waitSeconds?: number; signal?: AbortSignal } = {},
): Promise<DeviceCredentials & { jid: string }> {
  const res = await fetch(`${relayUrl}${DEVICE_HTTP}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(info),
    signal: o.signal,
  });
  if (res.status !== 201) throw new RegistrationFailed(`registration refused: ${res.status} ${await res.text()}`);
  const ticket = (await res.json()) as RegistrationTicket;
  showPin(ticket);
  const wait = o.waitSeconds ?? 30;
  for (;;) {
    const poll = await fetch(`${ticket.pollUrl}?wait=${wait}`, { signal: o.signal ?? AbortSignal.timeout((wait + 15) * 1000) });
    if (poll.status === 200) return (await poll.json()) as DeviceCredentials & { jid: string };
    if (poll.status !== 202) throw new RegistrationFailed(`registration ended: ${poll.status} ${await poll.text()}`);
    await poll.arrayBuffer();
  }
}
