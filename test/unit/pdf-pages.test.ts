import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PdfPageCounter, pagesIn, pagesPrinted } from '../../src/device/sim/printer.js';

const page = (n: number) => `${n} 0 obj\n<< /Type /Page /Parent 2 0 R >>\nendobj\n`;
const PDF = Buffer.from(`%PDF-1.7\n2 0 obj\n<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>\nendobj\n${page(3)}${page(4)}${page(5)}%%EOF\n`);

describe("the virtual printer's page count", () => {
  it('counts page objects, not the page tree, wherever the chunks are cut', () => {
    for (let cut = 0; cut <= PDF.length; cut++) {
      const c = new PdfPageCounter();
      c.feed(PDF.subarray(0, cut));
      c.feed(PDF.subarray(cut));
      assert.equal(c.end(), 3, `cut at ${cut}`);
    }
    const ends = new PdfPageCounter();
    ends.feed(Buffer.from('<< /Type /Page'));
    assert.equal(ends.end(), 1, 'a page object at the very end');
  });

  it("prints only the ticket's page-ranges, within the document", () => {
    assert.equal(pagesIn(10, null), 10);
    assert.equal(pagesIn(10, [[1, 2], [5, 5]]), 3);
    assert.equal(pagesIn(3, [[2, 9]]), 2, 'a range past the end stops at the last page');
    assert.equal(pagesIn(3, [[4, 9]]), 0, 'a range wholly past the end prints nothing');
  });

  it('says pages and copies in words', () => {
    assert.equal(pagesPrinted(1, 1), '1 page');
    assert.equal(pagesPrinted(3, 1), '3 pages');
    assert.equal(pagesPrinted(3, 2), '6 pages (3 pages × 2 copies)');
  });
});
