import { NS } from './namespaces.js';
import { iqError } from './stanzas.js';
import type { CancelAnswer } from '../../domain/print.js';
import { jobHref } from '../device-http.js';
import { child, el, elements, localName, type XmlElement } from './xml.js';

/**
 * Cloud print over XMPP (seed 002 S206/S207, seed 003 T144):
 *   job    → <message><job xmlns='urn:fleetrelay:print:1' id='…' href='…'/></message>
 *   cancel → <iq type='set' id='x…'><cancel xmlns='urn:fleetrelay:print:1' job='…'/></iq>
 * and the printer's answer to a cancel.
 */
export function jobNotice(jobId: string, to: string, from: string): XmlElement {
  return el('message', { to, from }, el('job', { xmlns: NS.print, id: jobId, href: jobHref(jobId) }));
}

export function cancelRequest(requestId: string, jobId: string, to: string, from: string): XmlElement {
  return el('iq', { type: 'set', id: requestId, to, from }, el('cancel', { xmlns: NS.print, job: jobId }));
}

/**
 * The printer's answer to a cancel: a result saying canceled or not-printing (C1–C3), or an
 * IQ error such as <not-allowed/> when it cannot cancel (C4).
 */
export function cancelAnswer(iq: XmlElement): CancelAnswer {
  if (iq.attrs.type !== 'result') return 'cannot';
  const c = child(iq, 'cancel', NS.print);
  const r = c?.attrs.result;
  return r === 'canceled' || r === 'not-printing' ? r : 'cannot';
}

/** The printer side: a pushed job notice or cancel, if that is what the stanza is. */
export function decodePrintStanza(s: XmlElement): { kind: 'job'; jobId: string; href: string } | { kind: 'cancel'; requestId: string; jobId: string } | null {
  const payload = elements(s)[0];
  if (!payload || (payload.attrs.xmlns ?? payload.uri) !== NS.print) return null;
  if (localName(s) === 'message' && localName(payload) === 'job' && payload.attrs.id && payload.attrs.href)
    return { kind: 'job', jobId: payload.attrs.id, href: payload.attrs.href };
  if (localName(s) === 'iq' && s.attrs.type === 'set' && localName(payload) === 'cancel' && payload.attrs.job && s.attrs.id)
    return { kind: 'cancel', requestId: s.attrs.id, jobId: payload.attrs.job };
  return null;
}

export function cancelResultIq(requestId: string, jobId: string, result: 'canceled' | 'not-printing' | 'cannot'): XmlElement {
  if (result === 'cannot') return iqError(requestId, 'cancel', 'not-allowed');
  return el('iq', { type: 'result', id: requestId }, el('cancel', { xmlns: NS.print, job: jobId, result }));
}
