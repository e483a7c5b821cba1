import type { Device } from '../../domain/devices.js';
import type { DeviceLink, SessionHub } from '../../sessions/hub.js';
import type { PushService } from '../../services/push/push.js';
import { base32 } from '../../domain/identifiers.js';
import { CodecError, iqToAnswer } from '../../protocol/xmpp/push-codec.js';
import { cancelAnswer } from '../../protocol/xmpp/print-codec.js';
import type { Answers } from '../../sessions/answers.js';
import type { Random } from '../../services/kernel/secrets.js';
import { child, el, elements, localName, text, type XmlElement } from '../../protocol/xmpp/xml.js';
import { NS } from '../../protocol/xmpp/namespaces.js';
import { iqError } from '../../protocol/xmpp/stanzas.js';

/**
 * The XMPP stream a device holds (RFC 6120), independent of the transport that carries it
 * (BOSH today, WebSocket later): SASL PLAIN (RFC 4616, authcid = deviceId, password = device
 * token), resource binding (RFC 6120 §7), legacy session establishment (RFC 3921 §3), XEP-0199
 * ping, presence, and IQ answers to pushed requests. Anything else gets an IQ error.
 */
export interface StreamPort {
  domain: string;
  hub: SessionHub;
  push: PushService;
  answers: Answers;
  random: Random;
  /** Checks a device's credentials (and counts failures against the client address). */
  authenticate(deviceId: string, token: string, clientIp: string): Promise<Device | null>;
}

export interface StreamOutput {
  send(stanza: XmlElement): void;
  /** SASL succeeded: the stream belongs to a device now. */
  authenticated(): void;
  /** Ends the stream with an RFC 6120 §4.9 stream error. */
  fail(condition: string, detail?: string): void;
}

type Stage = 'auth' | 'restart' | 'bind' | 'bound';
const MAX_AUTH_FAILURES = 3;

export class XmppStream {
  private stage: Stage = 'auth';
  private authFailures = 0;
  deviceId: string | null = null;
  private resource: string | null = null;

  constructor(
    private readonly port: StreamPort,
    private readonly out: StreamOutput,
    private readonly link: DeviceLink,
    private readonly clientIp: string,
  ) {}

  get jid(): string | null {
    return this.deviceId && this.resource ? `${this.deviceId}@${this.port.domain}/${this.resource}` : null;
  }

  get bound(): boolean {
    return this.stage === 'bound';
  }

  /** Stream features for the current stage (RFC 6120 §4.3.2). */
  features(): XmlElement {
    if (this.stage === 'auth')
      return el('stream:features', {}, el('mechanisms', { xmlns: NS.sasl }, el('mechanism', {}, 'PLAIN')));
    return el('stream:features', {}, el('bind', { xmlns: NS.bind }), el('session', { xmlns: NS.session }, el('optional')));
  }

  /** A stream restart (after SASL success, XEP-0206 §5). */
  restart(): XmlElement {
    if (this.stage === 'restart') this.stage = 'bind';
    return this.features();
  }

  async handle(stanza: XmlElement): Promise<void> {
    const name = localName(stanza);
    if (this.stage === 'auth' || this.stage === 'restart') {
      if (name === 'auth' && this.stage === 'auth') return this.auth(stanza);
      return this.out.fail('not-authorized', 'authenticate first');
    }
    if (name === 'iq') return this.iq(stanza);
    if (name === 'presence') return this.presence(stanza);
    if (name === 'message') return; // devices have no roster; nothing to route
    this.out.fail('unsupported-stanza-type', name);
  }

  /** The stream is over (terminated, timed out, replaced). */
  end(): void {
    if (this.deviceId && this.stage === 'bound') this.port.hub.unbind(this.deviceId, this.link);
    this.stage = 'auth';
  }

  private async auth(stanza: XmlElement): Promise<void> {
    const failure = (condition: string): void => {
      this.out.send(el('failure', { xmlns: NS.sasl }, el(condition)));
      if (++this.authFailures >= MAX_AUTH_FAILURES) this.out.fail('policy-violation', 'too many failed authentications');
    };
    if (stanza.attrs.mechanism !== 'PLAIN') return failure('invalid-mechanism');
    const payload = text(stanza).trim();
    if (payload.length > 1024 || !/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) return failure('incorrect-encoding');
    const parts = Buffer.from(payload, 'base64').toString('utf8').split('\0');
    if (parts.length !== 3) return failure('incorrect-encoding');
    const [authzid, authcid, password] = parts as [string, string, string];
    const device = await this.port.authenticate(authcid, password, this.clientIp);
    const bare = device ? `${device.id}@${this.port.domain}` : '';
    if (!device || (authzid !== '' && authzid !== bare && authzid !== device.id)) return failure('not-authorized');
    this.deviceId = device.id;
    this.stage = 'restart';
    this.out.authenticated();
    this.out.send(el('success', { xmlns: NS.sasl }));
  }

  private iq(iq: XmlElement): void {
    const { type, id } = iq.attrs;
    if (!id || !type) return this.out.fail('invalid-xml', 'an IQ needs a type and an id');
    if (type === 'result' || type === 'error') return this.answer(iq, id);
    const payload = elements(iq)[0];
    const ns = payload?.attrs.xmlns ?? payload?.uri;
    if (this.stage === 'bind') {
      if (type === 'set' && payload && localName(payload) === 'bind' && ns === NS.bind) return this.bind(id, payload);
      return this.out.send(iqError(id, 'wait', 'not-allowed', 'bind a resource first'));
    }
    if (!payload) return this.out.send(iqError(id, 'modify', 'bad-request'));
    const what = `${localName(payload)} ${ns}`;
    if (type === 'set' && what === `session ${NS.session}`) return this.out.send(el('iq', { type: 'result', id }));
    if (type === 'get' && what === `ping ${NS.ping}`) return this.out.send(el('iq', { type: 'result', id, from: this.port.domain }));
    if (type === 'get' && what === `query ${NS.roster}`) return this.out.send(el('iq', { type: 'result', id }, el('query', { xmlns: NS.roster })));
    this.out.send(iqError(id, 'cancel', 'service-unavailable'));
  }

  /**
   * Initial presence (no `to`, no `type`) is echoed to the sending resource, from and to its full
   * JID (RFC 6121 §4.2.2), so a client waiting for its own presence goes on at once. Devices have
   * no roster and no subscribers: nothing else is routed, and other presence is dropped.
   */
  private presence(p: XmlElement): void {
    if (this.stage !== 'bound' || p.attrs.to !== undefined || p.attrs.type !== undefined) return;
    const jid = this.jid!;
    const attrs: Record<string, string> = { from: jid, to: jid };
    if (p.attrs.id) attrs.id = p.attrs.id;
    this.out.send(el('presence', attrs, ...elements(p).filter((e) => ['show', 'status', 'priority'].includes(localName(e)))));
  }

  /** Resource binding completes the session (seed 000 S321): the hub records it and the device is ONLINE (S327). */
  private bind(id: string, bind: XmlElement): void {
    const asked = child(bind, 'resource');
    const requested = asked ? text(asked).trim() : '';
    this.resource = requested && requested.length <= 64 && /^[\x21-\x7e]+$/.test(requested) ? requested : base32(this.port.random.bytes(8));
    this.stage = 'bound';
    this.port.hub.bind(this.deviceId!, this.link);
    this.out.send(el('iq', { type: 'result', id }, el('bind', { xmlns: NS.bind }, el('jid', {}, this.jid!))));
  }

  /** An IQ result/error from the device: the printer's answer to a pushed cancel (seed 002 S304), or a device's answer to a GET/SET, which goes on to the waiting service server (seed 000 S373, here over the session). */
  private answer(iq: XmlElement, id: string): void {
    if (this.port.answers.kindOf(id) === 'cancel') {
      this.port.answers.settle(this.deviceId!, id, 'cancel', cancelAnswer(iq));
      return;
    }
    let answer;
    try {
      answer = iqToAnswer(iq);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      answer = { error: { condition: 'bad-request', text: `malformed answer from the device: ${err.message}` } };
    }
    void this.port.push.answer(this.deviceId!, id, answer);
  }
}
