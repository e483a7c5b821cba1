import type { DeviceMessage } from '../../domain/messages.js';
import { PRINT_NS } from '../../domain/messages.js';
import type { CancelAnswer } from '../../domain/print.js';
import { pushToIq } from './mgmt-codec.js';
import { child, el, elements, localName, type XmlElement } from './xml.js';

/**
 * Service messages as XMPP stanzas:
 *   push   → <iq type='get|set'><query xmlns='urn:fleetrelay:mgmt:1'>…</query></iq>
 *   job    → <message><job xmlns='urn:fleetrelay:print:1' id='…' href='…'/></message>
 *   cancel → <iq type='set' id='x…'><cancel xmlns='urn:fleetrelay:print:1' job='…'/></iq>
 */
export function encodeMessage(m: DeviceMessage, to: string, from: string): XmlElement {
  switch (m.kind) {
    case 'push':
      return pushToIq(m.req, to, from);
    case 'job':
      return el('message', { to, from }, el('job', { xmlns: PRINT_NS, id: m.jobId, href: m.href }));
    case 'cancel':
      return el('iq', { type: 'set', id: m.requestId, to, from }, el('cancel', { xmlns: PRINT_NS, job: m.jobId }));
  }
}

/**
 * The printer's answer to a cancel: a result saying canceled or not-printing (C1–C3), or an
 * IQ error such as <not-allowed/> when it cannot cancel (C4).
 */
export function cancelAnswer(iq: XmlElement): CancelAnswer {
  if (iq.attrs.type !== 'result') return 'cannot';
  const c = child(iq, 'cancel', PRINT_NS);
  const r = c?.attrs.result;
  return r === 'canceled' || r === 'not-printing' ? r : 'cannot';
}

/** The printer side: a pushed job notice or cancel, if that is what the stanza is. */
export function decodePrintStanza(s: XmlElement): { kind: 'job'; jobId: string; href: string } | { kind: 'cancel'; requestId: string; jobId: string } | null {
  const payload = elements(s)[0];
  if (!payload || (payload.attrs.xmlns ?? payload.uri) !== PRINT_NS) return null;
  if (localName(s) === 'message' && localName(payload) === 'job' && payload.attrs.id && payload.attrs.href)
    return { kind: 'job', jobId: payload.attrs.id, href: payload.attrs.href };
  if (localName(s) === 'iq' && s.attrs.type === 'set' && localName(payload) === 'cancel' && payload.attrs.job && s.attrs.id)
    return { kind: 'cancel', requestId: s.attrs.id, jobId: payload.attrs.job };
  return null;
}

export function cancelResultIq(requestId: string, jobId: string, result: 'canceled' | 'not-printing' | 'cannot'): XmlElement {
  if (result === 'cannot')
    return el('iq', { type: 'error', id: requestId }, el('error', { type: 'cancel' }, el('not-allowed', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })));
  return el('iq', { type: 'result', id: requestId }, el('cancel', { xmlns: PRINT_NS, job: jobId, result }));
}
