import {
  isOid,
  isSmiType,
  isSnmpError,
  MAX_OBJECTS,
  valueProblem,
  type PushAnswer,
  type PushRequest,
  type ResultObject,
  type TypedValue,
} from '../../domain/push.js';
import { NS } from './namespaces.js';
import { child, el, elements, localName, text, type XmlElement } from './xml.js';

/**
 * The push relay's IQ payload, both ways:
 *   <iq type='get|set' id='REQUEST-ID'><query xmlns='urn:fleetrelay:mgmt:1'>
 *     <object oid='1.3.6.1.2.1.1.5.0' [type='string']>value</object> …</query></iq>
 * and the device's answer, an IQ result with the same shape (per-object error='noSuchObject')
 * or an IQ error (RFC 6120 §8.3) for the whole request.
 */
const objectEl = (o: ResultObject | { oid: string }): XmlElement =>
  'error' in o ? el('object', { oid: o.oid, error: o.error }) : 'type' in o ? el('object', { oid: o.oid, type: o.type }, o.value) : el('object', { oid: o.oid });

export function pushToIq(req: PushRequest, to: string, from: string): XmlElement {
  const objects = req.op === 'get' ? req.oids!.map((oid) => objectEl({ oid })) : req.objects!.map(objectEl);
  return el('iq', { type: req.op, id: req.requestId, to, from }, el('query', { xmlns: NS.push }, ...objects));
}

export function answerToIq(requestId: string, answer: PushAnswer, to?: string): XmlElement {
  if ('error' in answer) {
    const err = el('error', { type: 'cancel' }, el(answer.error.condition, { xmlns: NS.stanzas }));
    if (answer.error.text) err.children.push(el('text', { xmlns: NS.stanzas }, answer.error.text));
    return el('iq', { type: 'error', id: requestId, to }, err);
  }
  return el('iq', { type: 'result', id: requestId, to }, el('query', { xmlns: NS.push }, ...answer.objects.map(objectEl)));
}

export class CodecError extends Error {}

function readObject(o: XmlElement, withValues: boolean): ResultObject | { oid: string } {
  const oid = o.attrs.oid ?? '';
  if (!isOid(oid)) throw new CodecError(`bad oid '${oid.slice(0, 64)}'`);
  const error = o.attrs.error;
  if (error !== undefined) {
    if (!isSnmpError(error)) throw new CodecError(`unknown error '${error.slice(0, 32)}' for ${oid}`);
    return { oid, error };
  }
  if (!withValues) return { oid };
  const type = o.attrs.type ?? '';
  if (!isSmiType(type)) throw new CodecError(`unknown type '${type.slice(0, 32)}' for ${oid}`);
  const value = text(o);
  const problem = valueProblem(type, value);
  if (problem) throw new CodecError(`${oid}: ${problem}`);
  return { oid, type, value };
}

function queryObjects(iq: XmlElement): XmlElement[] {
  const q = child(iq, 'query', NS.push);
  if (!q) throw new CodecError(`no <query xmlns='${NS.push}'>`);
  const objs = elements(q).filter((c) => localName(c) === 'object');
  if (objs.length > MAX_OBJECTS) throw new CodecError(`more than ${MAX_OBJECTS} objects`);
  return objs;
}

/** A device's IQ result or error, as an answer. */
export function iqToAnswer(iq: XmlElement): PushAnswer {
  if (iq.attrs.type === 'error') {
    const e = child(iq, 'error');
    const cond = e ? elements(e).find((c) => localName(c) !== 'text') : undefined;
    const t = e ? child(e, 'text') : undefined;
    return { error: { condition: cond ? localName(cond) : 'undefined-condition', ...(t ? { text: text(t).slice(0, 500) } : {}) } };
  }
  return { objects: queryObjects(iq).map((o) => readObject(o, true)) as ResultObject[] };
}

/** The device side: a pushed IQ get/set as a request. */
export function iqToPush(iq: XmlElement, deviceId: string): PushRequest {
  const op = iq.attrs.type;
  if (op !== 'get' && op !== 'set') throw new CodecError('not a get or set');
  const objs = queryObjects(iq);
  return op === 'get'
    ? { requestId: iq.attrs.id ?? '', deviceId, op, oids: objs.map((o) => readObject(o, false).oid) }
    : { requestId: iq.attrs.id ?? '', deviceId, op, objects: objs.map((o) => readObject(o, true) as TypedValue) };
}
