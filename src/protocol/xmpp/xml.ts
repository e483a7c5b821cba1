import { SaxesParser } from 'saxes';

/**
 * A small XML element model for BOSH bodies and XMPP stanzas, with a strict parser: one root,
 * no DOCTYPE (so no entity expansion and no XML bombs), no comments, no processing
 * instructions, no CDATA, bounded depth and element count.
 */
export interface XmlElement {
  /** Qualified name as written, e.g. "iq" or "stream:features". */
  name: string;
  /** Resolved namespace URI. */
  uri: string;
  /** Attributes as written, including xmlns declarations. */
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

export class XmlError extends Error {}

const LIMITS = { depth: 16, elements: 4000, attributes: 32 };

export function parseXml(text: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: false });
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let count = 0;
  let failure: Error | null = null;
  const fail = (msg: string): void => {
    failure ??= new XmlError(msg);
  };

  parser.on('error', (err) => fail(err.message));
  parser.on('doctype', () => fail('DOCTYPE is not allowed'));
  parser.on('comment', () => fail('comments are not allowed'));
  parser.on('processinginstruction', () => fail('processing instructions are not allowed'));
  parser.on('cdata', () => fail('CDATA sections are not allowed'));
  parser.on('xmldecl', () => undefined);
  parser.on('opentag', (tag) => {
    if (root && stack.length === 0) return fail('more than one root element');
    if (++count > LIMITS.elements) return fail('too many elements');
    if (stack.length >= LIMITS.depth) return fail('elements nested too deep');
    const attrs: Record<string, string> = {};
    let n = 0;
    for (const [name, a] of Object.entries(tag.attributes)) {
      if (++n > LIMITS.attributes) return fail('too many attributes');
      attrs[name] = typeof a === 'string' ? a : a.value;
    }
    const el: XmlElement = { name: tag.name, uri: tag.uri ?? '', attrs, children: [] };
    stack[stack.length - 1]?.children.push(el);
    stack.push(el);
    root ??= el;
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('text', (t) => {
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(t);
    else if (t.trim()) fail('text outside the root element');
  });

  try {
    parser.write(text).close();
  } catch (err) {
    fail((err as Error).message);
  }
  if (failure) throw failure;
  if (!root) throw new XmlError('no root element');
  return root;
}

const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string): string => escapeText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;');

export function serialize(node: XmlNode): string {
  if (typeof node === 'string') return escapeText(node);
  let out = `<${node.name}`;
  for (const [k, v] of Object.entries(node.attrs)) out += ` ${k}='${escapeAttr(v)}'`;
  if (node.children.length === 0) return out + '/>';
  out += '>';
  for (const c of node.children) out += serialize(c);
  return out + `</${node.name}>`;
}

/** Builds an element: el('iq', { type: 'result' }, child, 'text'). Undefined attributes are left out. */
export function el(name: string, attrs: Record<string, string | number | undefined> = {}, ...children: XmlNode[]): XmlElement {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a[k] = String(v);
  return { name, uri: '', attrs: a, children };
}

export const localName = (e: XmlElement): string => e.name.slice(e.name.indexOf(':') + 1);
export const elements = (e: XmlElement): XmlElement[] => e.children.filter((c): c is XmlElement => typeof c !== 'string');
export const child = (e: XmlElement, local: string, uri?: string): XmlElement | undefined =>
  elements(e).find((c) => localName(c) === local && (uri === undefined || c.uri === uri || c.attrs.xmlns === uri));
export const text = (e: XmlElement): string => e.children.map((c) => (typeof c === 'string' ? c : text(c))).join('');
