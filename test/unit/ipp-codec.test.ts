import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeMessage, encodeMessage, GROUP, IppDecodeError, MAX_ATTRIBUTES, MAX_DEPTH, TAG, type IppMessage } from '../../src/protocol/ipp/codec.js';

/** A Print-Job request as CUPS sends one, with a media-col collection inside a collection. */
const printJob: IppMessage = {
  version: { major: 2, minor: 0 },
  code: 0x0002,
  requestId: 7,
  groups: [
    {
      tag: GROUP.operation,
      attributes: [
        { name: 'attributes-charset', values: [{ tag: TAG.charset, value: 'utf-8' }] },
        { name: 'attributes-natural-language', values: [{ tag: TAG.naturalLanguage, value: 'en' }] },
        { name: 'printer-uri', values: [{ tag: TAG.uri, value: 'ipp://127.0.0.1:8080/ipp/print/d1' }] },
        { name: 'requesting-user-name', values: [{ tag: TAG.nameWithoutLanguage, value: 'anna' }] },
        { name: 'job-name', values: [{ tag: TAG.nameWithLanguage, value: 'Quartalsbericht', lang: 'de' }] },
        { name: 'document-format', values: [{ tag: TAG.mimeMediaType, value: 'application/pdf' }] },
      ],
    },
    {
      tag: GROUP.job,
      attributes: [
        { name: 'copies', values: [{ tag: TAG.integer, value: 2 }] },
        { name: 'sides', values: [{ tag: TAG.keyword, value: 'two-sided-long-edge' }] },
        { name: 'page-ranges', values: [{ tag: TAG.rangeOfInteger, value: { lower: 1, upper: 4 } }, { tag: TAG.rangeOfInteger, value: { lower: 9, upper: 9 } }] },
        { name: 'printer-resolution', values: [{ tag: TAG.resolution, value: { x: 600, y: 600, units: 3 } }] },
        { name: 'print-quality', values: [{ tag: TAG.enum, value: 5 }] },
        { name: 'ipp-attribute-fidelity', values: [{ tag: TAG.boolean, value: false }] },
        { name: 'job-hold-until-time', values: [{ tag: TAG.dateTime, value: new Date(Date.UTC(2026, 11, 1, 9, 30, 15, 500)) }] },
        { name: 'job-password', values: [{ tag: TAG.octetString, value: Buffer.from([0, 1, 2, 255]) }] },
        { name: 'finishings-col', values: [{ tag: TAG.noValue, value: null }] },
        {
          name: 'media-col',
          values: [
            {
              tag: TAG.begCollection,
              value: [
                {
                  name: 'media-size',
                  values: [
                    {
                      tag: TAG.begCollection,
                      value: [
                        { name: 'x-dimension', values: [{ tag: TAG.integer, value: 21000 }] },
                        { name: 'y-dimension', values: [{ tag: TAG.integer, value: 29700 }] },
                      ],
                    },
                  ],
                },
                { name: 'media-type', values: [{ tag: TAG.keyword, value: 'stationery' }] },
              ],
            },
          ],
        },
      ],
    },
  ],
};

describe('IPP message codec (RFC 8010 §3)', () => {
  it('encodes and decodes every value type, collections in collections, and finds where the document starts', () => {
    const head = encodeMessage(printJob);
    const doc = Buffer.from('%PDF-1.4\n');
    const decoded = decodeMessage(Buffer.concat([head, doc]));
    assert.ok(decoded);
    assert.equal(decoded.bytes, head.length);
    assert.deepEqual(decoded.message, printJob);
  });

  it('reads the bytes as RFC 8010 lays them out: header, group tag, value tag, name, value; additional values without a name', () => {
    const bytes = Buffer.from([
      0x01, 0x01, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x2a, // IPP/1.1 Get-Printer-Attributes, request-id 42
      0x01, // operation attributes
      0x47, 0x00, 0x12, ...Buffer.from('attributes-charset'), 0x00, 0x05, ...Buffer.from('utf-8'),
      0x44, 0x00, 0x14, ...Buffer.from('requested-attributes'), 0x00, 0x03, ...Buffer.from('all'),
      0x44, 0x00, 0x00, 0x00, 0x05, ...Buffer.from('media'), // an additional value
      0x03,
    ]);
    const d = decodeMessage(bytes)!;
    assert.deepEqual([d.message.version, d.message.code, d.message.requestId, d.bytes], [{ major: 1, minor: 1 }, 0x0b, 42, bytes.length]);
    assert.deepEqual(d.message.groups[0]!.attributes[1], { name: 'requested-attributes', values: [{ tag: TAG.keyword, value: 'all' }, { tag: TAG.keyword, value: 'media' }] });
    assert.deepEqual(encodeMessage(d.message), bytes, 'and writes them back the same');
  });

  it('says "incomplete" for every cut short header, not an error: more bytes may come', () => {
    const head = encodeMessage(printJob);
    for (let n = 0; n < head.length; n++) assert.equal(decodeMessage(head.subarray(0, n)), null, `cut at ${n}`);
  });

  it('refuses what cannot be IPP with IppDecodeError: a bad group tag, bad fixed sizes, stray collection tags, extension tags', () => {
    const bad = (bytes: number[], why: RegExp) => assert.throws(() => decodeMessage(Buffer.from(bytes)), (e: unknown) => e instanceof IppDecodeError && why.test(e.message));
    const head = [0x02, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01];
    bad([...head, 0x00], /where an attribute group begins/);
    bad([...head, 0x01, 0x21, 0x00, 0x01, 0x61, 0x00, 0x02, 0x00, 0x01, 0x03], /is 4 bytes, not 2/);
    bad([...head, 0x01, 0x22, 0x00, 0x01, 0x61, 0x00, 0x01, 0x07, 0x03], /boolean is 0 or 1/);
    bad([...head, 0x01, 0x37, 0x00, 0x01, 0x61, 0x00, 0x00, 0x03], /outside a collection/);
    bad([...head, 0x01, 0x7f, 0x00, 0x01, 0x61, 0x00, 0x00, 0x03], /extension tags/);
    bad([...head, 0x01, 0x44, 0x00, 0x00, 0x00, 0x01, 0x61, 0x03], /additional value with no attribute/);
    bad([...head, 0x01, 0x34, 0x00, 0x01, 0x61, 0x00, 0x00, 0x03], /without its endCollection/);
  });

  it('caps the values it takes and how deep collections nest', () => {
    const many: IppMessage = { ...printJob, groups: [{ tag: GROUP.operation, attributes: [{ name: 'x', values: Array.from({ length: MAX_ATTRIBUTES + 1 }, () => ({ tag: TAG.integer, value: 1 })) }] }] };
    assert.throws(() => decodeMessage(encodeMessage(many)), /more than 20000 values/);
    let col: import('../../src/protocol/ipp/codec.js').IppValue = { tag: TAG.integer, value: 1 };
    for (let i = 0; i <= MAX_DEPTH; i++) col = { tag: TAG.begCollection, value: [{ name: 'm', values: [col] }] };
    assert.throws(() => decodeMessage(encodeMessage({ ...printJob, groups: [{ tag: GROUP.job, attributes: [{ name: 'deep', values: [col] }] }] })), /nested more than 8 deep/);
  });

  it('never fails but with IppDecodeError or "incomplete" on mutated and random input (fuzzed)', () => {
    const head = encodeMessage(printJob);
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let decoded = 0;
    for (let i = 0; i < 20_000; i++) {
      const b = Buffer.from(head);
      for (let k = 1 + rand(4); k > 0; k--) b[rand(b.length)] = rand(256);
      const cut = rand(3) === 0 ? b.subarray(0, rand(b.length)) : b;
      try {
        if (decodeMessage(cut)) decoded++;
      } catch (err) {
        assert.ok(err instanceof IppDecodeError, `mutation ${i}: ${String(err)}`);
      }
    }
    for (let i = 0; i < 2000; i++) {
      try {
        decodeMessage(randomBytes(rand(300)));
      } catch (err) {
        assert.ok(err instanceof IppDecodeError, String(err));
      }
    }
    assert.ok(decoded > 0, 'some mutations still decode');
  });
});
