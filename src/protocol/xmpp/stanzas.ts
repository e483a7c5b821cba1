import { NS } from './namespaces.js';
import { el, type XmlElement } from './xml.js';

/** An IQ error (RFC 6120 §8.3): error type, a defined condition and an optional text. */
export function iqError(id: string, type: string, condition: string, message?: string): XmlElement {
  const e = el('error', { type }, el(condition, { xmlns: NS.stanzas }));
  if (message) e.children.push(el('text', { xmlns: NS.stanzas }, message));
  return el('iq', { type: 'error', id }, e);
}
