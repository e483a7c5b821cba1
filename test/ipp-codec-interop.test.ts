/**
 * The IPP codec against a peer nobody here wrote: Debian's ipptool (cups-ipp-utils) sends a
 * request with collections, ranges and several value tags to a bare HTTP endpoint that decodes it
 * with src/protocol/ipp/codec.ts and answers with a response the codec encodes; ipptool checks
 * the answer's types and values. Both directions of the codec, on real IPP from libcups.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeMessage, encodeMessage, GROUP, TAG, type IppMessage } from '../src/protocol/ipp/codec.js';
import { tempDir } from './helpers/relay.js';

const TEST_FILE = `{
  NAME "codec round trip"
  OPERATION Get-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name anna
  ATTR keyword requested-attributes all,media-col-database
  GROUP job-attributes-tag
  ATTR collection media-col {
    MEMBER collection media-size {
      MEMBER integer x-dimension 21000
      MEMBER integer y-dimension 29700
    }
    MEMBER keyword media-type stationery
  }
  ATTR rangeOfInteger page-ranges 1-4
  ATTR resolution printer-resolution 600dpi
  ATTR boolean ipp-attribute-fidelity false
  STATUS successful-ok
  EXPECT printer-name OF-TYPE name WITH-VALUE "Office"
  EXPECT copies-supported OF-TYPE rangeOfInteger WITH-VALUE 1-99
  EXPECT printer-resolution-default OF-TYPE resolution WITH-VALUE 600dpi
  EXPECT media-col-default OF-TYPE collection
  EXPECT media-col-default/media-size/x-dimension OF-TYPE integer WITH-VALUE 21000
  EXPECT printer-state OF-TYPE enum WITH-VALUE 3
  EXPECT printer-is-accepting-jobs OF-TYPE boolean WITH-VALUE true
  EXPECT printer-current-time OF-TYPE dateTime
  EXPECT document-format-supported OF-TYPE mimeMediaType WITH-VALUE application/pdf
  EXPECT printer-info OF-TYPE text WITH-VALUE "Stockwerk 3"
}
`;

describe('IPP codec against Debian ipptool (libcups encodes and decodes the other side)', () => {
  let server: Server;
  let url: string;
  let received: IppMessage | null = null;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const decoded = decodeMessage(Buffer.concat(chunks));
        received = decoded?.message ?? null;
        const response: IppMessage = {
          // A response carries the request's version (RFC 8011 §4.1.8; ipptool checks).
          version: received?.version ?? { major: 1, minor: 1 },
          code: 0x0000,
          requestId: received?.requestId ?? 0,
          groups: [
            {
              tag: GROUP.operation,
              attributes: [
                { name: 'attributes-charset', values: [{ tag: TAG.charset, value: 'utf-8' }] },
                { name: 'attributes-natural-language', values: [{ tag: TAG.naturalLanguage, value: 'en' }] },
              ],
            },
            {
              tag: GROUP.printer,
              attributes: [
                { name: 'printer-name', values: [{ tag: TAG.nameWithoutLanguage, value: 'Office' }] },
                { name: 'printer-info', values: [{ tag: TAG.textWithLanguage, value: 'Stockwerk 3', lang: 'de' }] },
                { name: 'copies-supported', values: [{ tag: TAG.rangeOfInteger, value: { lower: 1, upper: 99 } }] },
                { name: 'printer-resolution-default', values: [{ tag: TAG.resolution, value: { x: 600, y: 600, units: 3 } }] },
                {
                  name: 'media-col-default',
                  values: [
                    {
                      tag: TAG.begCollection,
                      value: [
                        { name: 'media-size', values: [{ tag: TAG.begCollection, value: [{ name: 'x-dimension', values: [{ tag: TAG.integer, value: 21000 }] }, { name: 'y-dimension', values: [{ tag: TAG.integer, value: 29700 }] }] }] },
                      ],
                    },
                  ],
                },
                { name: 'printer-state', values: [{ tag: TAG.enum, value: 3 }] },
                { name: 'printer-is-accepting-jobs', values: [{ tag: TAG.boolean, value: true }] },
                { name: 'printer-current-time', values: [{ tag: TAG.dateTime, value: new Date() }] },
                { name: 'document-format-supported', values: [{ tag: TAG.mimeMediaType, value: 'application/pdf' }, { tag: TAG.mimeMediaType, value: 'image/jpeg' }] },
              ],
            },
          ],
        };
        res.writeHead(200, { 'content-type': 'application/ipp' }).end(encodeMessage(response));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `ipp://127.0.0.1:${(server.address() as AddressInfo).port}/ipp/print/office`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('decodes what ipptool sends, and ipptool reads every value type of the answer', async () => {
    const file = join(tempDir(), 'codec.test');
    writeFileSync(file, TEST_FILE);
    const out = await new Promise<string>((resolve) => execFile('ipptool', ['-t', url, file], { timeout: 20_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`)));
    // ipptool's exit status alone does not say a test passed: its report does.
    assert.match(out, /\[PASS\]/, out);
    assert.doesNotMatch(out, /\[FAIL\]/, out);
    const m = received!;
    assert.equal(m.code, 0x000b);
    assert.ok(m.requestId > 0);
    const op = m.groups.find((g) => g.tag === GROUP.operation)!;
    assert.deepEqual(op.attributes.slice(0, 2).map((a) => a.name), ['attributes-charset', 'attributes-natural-language']);
    assert.deepEqual(op.attributes.find((a) => a.name === 'requested-attributes')!.values.map((v) => v.value), ['all', 'media-col-database']);
    const job = m.groups.find((g) => g.tag === GROUP.job)!;
    const mediaCol = job.attributes.find((a) => a.name === 'media-col')!.values[0]!;
    assert.equal(mediaCol.tag, TAG.begCollection);
    const size = (mediaCol.value as { name: string; values: { value: unknown }[] }[]).find((x) => x.name === 'media-size')!;
    assert.deepEqual((size.values[0]!.value as { name: string; values: { value: unknown }[] }[]).map((x) => [x.name, x.values[0]!.value]), [['x-dimension', 21000], ['y-dimension', 29700]]);
    assert.deepEqual(job.attributes.find((a) => a.name === 'page-ranges')!.values[0], { tag: TAG.rangeOfInteger, value: { lower: 1, upper: 4 } });
    assert.deepEqual(job.attributes.find((a) => a.name === 'printer-resolution')!.values[0], { tag: TAG.resolution, value: { x: 600, y: 600, units: 3 } });
    assert.deepEqual(job.attributes.find((a) => a.name === 'ipp-attribute-fidelity')!.values[0], { tag: TAG.boolean, value: false });
  });
});
