import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTicket, sniffDocument } from '../../src/domain/print.js';
import { whitePwgRaster } from '../helpers/pwg-raster.js';

describe('what the relay prints: document sniffing and the ticket', () => {
  it('recognises PWG Raster by its sync word, from the first bytes as the store reads them', () => {
    const raster = whitePwgRaster();
    assert.equal(sniffDocument(raster.subarray(0, 64)), 'image/pwg-raster');
    assert.equal(sniffDocument(raster.subarray(0, 4)), 'image/pwg-raster', 'the sync word alone');
    assert.equal(sniffDocument(Buffer.from('RaS3\0\0\0')), null, "CUPS raster v3 is not PWG Raster, and not text");
    assert.equal(sniffDocument(Buffer.from('RaS')), 'text/plain', 'three letters are text');
  });

  it('still tells PDF, JPEG, PNG and text apart, and refuses Apple Raster (image/urf), which it does not handle', () => {
    assert.equal(sniffDocument(Buffer.from('%PDF-1.7\n')), 'application/pdf');
    assert.equal(sniffDocument(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
    assert.equal(sniffDocument(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'image/png');
    assert.equal(sniffDocument(Buffer.from('minutes of the meeting\n')), 'text/plain');
    assert.equal(sniffDocument(Buffer.concat([Buffer.from('UNIRAST\0'), Buffer.from([0, 0, 0, 1])])), null);
  });

  it('carries page-ranges ascending and apart, pages from 1; refuses anything else', () => {
    assert.deepEqual((checkTicket({ 'page-ranges': [[1, 2], [5, 5]] }) as { 'page-ranges': unknown })['page-ranges'], [[1, 2], [5, 5]]);
    assert.equal(checkTicket({}).hasOwnProperty('page-ranges'), false, 'absent: all pages');
    for (const bad of [[], [[0, 2]], [[3, 2]], [[1, 4], [4, 6]], [[5, 6], [1, 2]], [[1.5, 2]], [null], 'all', Array.from({ length: 33 }, (_, i) => [i * 2 + 1, i * 2 + 1])])
      assert.match(String(checkTicket({ 'page-ranges': bad })), /^page-ranges is/, JSON.stringify(bad));
  });
});
