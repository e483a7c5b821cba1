import type { Agent } from 'node:http';
import { DEVICE_HTTP } from '../../protocol/device-http.js';
import { httpPost } from '../sdk/http.js';
import type { PushAnswer } from '../../domain/push.js';
import { answerToIq, CodecError, iqToPush } from '../../protocol/xmpp/push-codec.js';
import { iqError } from '../../protocol/xmpp/stanzas.js';
import { localName, type XmlElement } from '../../protocol/xmpp/xml.js';
import { Backoff } from '../sdk/bosh-client.js';
import { sessionUrl, streamClient, type StreamClient } from '../sdk/stream-client.js';
import { loadState, saveState } from './device-state.js';
import { PrinterMib } from './printer-mib.js';
import { registerDevice, type DeviceCredentials, type RegistrationTicket } from '../sdk/registration.js';

export interface VirtualDeviceOptions {
  /** The relay's base URL, e.g. http://127.0.0.1:8080. */
  relayUrl: string;
  domain: string;
  credentials: DeviceCredentials;
  mib: PrinterMib;
  /** Answer pushes over the session (IQ result) or by session-less HTTP (S265: a plain HTTP request to the relay). */
  answerVia?: 'session' | 'http';
  /** The device's own timer (S237, started once a connection is held): a survival notification every this often. 60 s in the seed. */
  survivalMs?: number;
  wait?: number;
  /** XMPP over BOSH (the default: any network that passes HTTP) or over WebSocket (RFC 7395: one connection). */
  transport?: 'bosh' | 'websocket';
  agent?: Agent;
  localAddress?: string;
  /** For tests: how the device reports what it does. */
  onEvent?: (event: string, detail?: unknown) => void;
}

/**
 * A virtual MFP following the seed 000 device flow (S211–S267): with session maintenance mode
 * ON it opens an XMPP-over-BOSH session (S233) and keeps a connection held (S236); its timer
 * (S237) sends a survival notification outside the session (S241) and, if the relay still
 * knows the session, opens a new connection on it (S244 → S236), else a new session (S246 →
 * S233). Pushed GET/SET requests are answered from its MIB (S261) over the session or
 * session-less HTTP (S265). Lost sessions come back with jittered back-off.
 */
export class VirtualDevice {
  private client: StreamClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private modeOn = false;
  private readonly backoff = new Backoff();
  answered = 0;

  constructor(private readonly o: VirtualDeviceOptions) {}

  get sid(): string | null {
    return this.client?.sid ?? null;
  }

  get connected(): boolean {
    return this.client !== null && !this.client.ended && this.client.jid !== null;
  }

  /** Session maintenance mode ON (S219): connect and stay connected. */
  async start(): Promise<void> {
    this.modeOn = true;
    await this.openSession();
  }

  /** Session maintenance mode OFF (S255): leave the session. */
  async stop(): Promise<void> {
    this.modeOn = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.client?.terminate();
    this.client = null;
  }

  /** Drops the session without telling the relay, like a power cut (FIG. 8: the relay's management timer then marks it OFFLINE). */
  powerOff(): void {
    this.modeOn = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.client?.abandon();
    this.client = null;
  }

  /**
   * The device's timer ran out (S239): send the survival notification (S241); if the relay still
   * knows the session, open a new connection on it (S244 → S236), else a new session (S246 → S233).
   */
  async survival(): Promise<boolean> {
    const sid = this.client?.sid;
    const recognized = sid ? await this.survivalNotification(sid).catch(() => false) : false;
    this.o.onEvent?.('survival', { recognized });
    if (!this.modeOn) return recognized;
    if (recognized && this.client && !this.client.ended) this.client.reconnect();
    else await this.openSession();
    return recognized;
  }

  private async openSession(): Promise<void> {
    const old = this.client;
    if (old && !old.ended) await old.terminate();
    const client = streamClient({
      url: sessionUrl(this.o.relayUrl, this.o.transport ?? 'bosh'),
      domain: this.o.domain,
      agent: this.o.agent,
      localAddress: this.o.localAddress,
      wait: this.o.wait,
      onStanza: (s) => this.onStanza(client, s),
      onEnd: (condition) => this.onEnd(client, condition),
    });
    this.client = client;
    try {
      await client.open(this.o.credentials.deviceId, this.o.credentials.token);
      this.backoff.reset();
      this.o.onEvent?.('session', { sid: client.sid });
    } catch (err) {
      this.o.onEvent?.('session-failed', String(err));
      this.retryLater(err);
      return;
    }
    this.armTimer();
  }

  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    // Over WebSocket the connection is the session, kept alive by the relay's pings: no survival notifications.
    if (!this.modeOn || !this.o.survivalMs || this.o.transport === 'websocket') return;
    this.timer = setTimeout(() => void this.survival().finally(() => this.armTimer()), this.o.survivalMs);
    this.timer.unref();
  }

  private onEnd(client: StreamClient, condition: string | null): void {
    if (client !== this.client) return;
    this.o.onEvent?.('session-ended', condition);
    this.retryLater();
  }

  private retryLater(err?: unknown): void {
    if (!this.modeOn) return;
    const delay = this.backoff.next(err);
    setTimeout(() => void (this.modeOn && this.openSession()), delay).unref();
  }

  /** A pushed GET/SET arrived (S251): answer it from the MIB (S261) over the session or by session-less HTTP (S265). */
  private onStanza(client: StreamClient, stanza: XmlElement): void {
    if (localName(stanza) !== 'iq' || (stanza.attrs.type !== 'get' && stanza.attrs.type !== 'set')) return;
    const id = stanza.attrs.id ?? '';
    let answer: PushAnswer;
    try {
      const req = iqToPush(stanza, this.o.credentials.deviceId);
      answer = { objects: req.op === 'get' ? this.o.mib.get(req.oids!) : this.o.mib.set(req.objects!) };
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      client.send(iqError(id, 'cancel', 'service-unavailable'));
      return;
    }
    this.answered++;
    this.o.onEvent?.('push', { requestId: id });
    if (this.o.answerVia === 'http') void this.answerOverHttp(id, answer).catch((err: unknown) => this.o.onEvent?.('answer-failed', String(err)));
    else client.send(answerToIq(id, answer, stanza.attrs.from));
  }

  private answerOverHttp(requestId: string, answer: PushAnswer): Promise<unknown> {
    return this.postJson(`${DEVICE_HTTP}/responses`, { requestId, ...answer });
  }

  private async survivalNotification(sid: string): Promise<boolean> {
    const r = (await this.postJson(`${DEVICE_HTTP}/survival`, { sid })) as { recognized?: boolean };
    return r.recognized === true;
  }

  /** Session-less HTTP, for the survival notification (S241) and answers (S265): one short request with Connection: close, so an idle device holds one socket. */
  private async postJson(path: string, body: unknown): Promise<unknown> {
    const headers = { authorization: `Bearer ${this.o.credentials.token}`, 'content-type': 'application/json', connection: 'close' };
    const r = await httpPost(`${this.o.relayUrl}${path}`, JSON.stringify(body), headers, { localAddress: this.o.localAddress, timeoutMs: 30_000 });
    if (r.status >= 300) throw new Error(`HTTP ${r.status}: ${r.body.slice(0, 200)}`);
    return r.body ? JSON.parse(r.body) : null;
  }
}

/**
 * Power-on (S211): with session maintenance mode ON, register first if the device has no token
 * yet (S231, the PIN flow), then start the session. Mode and token are kept in `stateFile`.
 */
export async function powerOn(
  o: Omit<VirtualDeviceOptions, 'credentials'> & {
    stateFile: string;
    identity: { serial: string; model: string; capabilities?: Record<string, unknown> };
    showPin: (ticket: RegistrationTicket) => void;
  },
): Promise<VirtualDevice | null> {
  const state = loadState(o.stateFile);
  if (state.mode !== 'on') return null;
  if (!state.credentials) {
    const c = await registerDevice(o.relayUrl, o.identity, o.showPin);
    state.credentials = { deviceId: c.deviceId, token: c.token };
    saveState(o.stateFile, state);
  }
  const device = new VirtualDevice({ ...o, credentials: state.credentials });
  await device.start();
  return device;
}

/** The user turns session maintenance mode ON (S219) or OFF (S255); it survives power cycles. */
export function setMaintenanceMode(stateFile: string, mode: 'on' | 'off'): void {
  saveState(stateFile, { ...loadState(stateFile), mode });
}
