/**
 * A small, valid PWG Raster document (PWG 5102.4) for tests: the sync word "RaS2", then one page —
 * a 1796-byte page header and its lines, all white, in the format's run-length encoding.
 * Checked with cups-filters' rastertopdf.
 */
const HEADER_BYTES = 1796;

/** One sgray_8 page of `widthPt` × `heightPt` points at `dpi`. */
export function whitePwgRaster(o: { dpi?: number; widthPt?: number; heightPt?: number; pageSizeName?: string } = {}): Buffer {
  const dpi = o.dpi ?? 150;
  const [wPt, hPt] = [o.widthPt ?? 595, o.heightPt ?? 842];
  const width = Math.round((wPt * dpi) / 72);
  const height = Math.round((hPt * dpi) / 72);
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('PwgRaster', 0, 'latin1');
  const u32 = (offset: number, v: number) => h.writeUInt32BE(v, offset);
  u32(276, dpi); // HWResolution
  u32(280, dpi);
  u32(340, 1); // NumCopies
  u32(352, wPt); // PageSize, points
  u32(356, hPt);
  u32(372, width);
  u32(376, height);
  u32(384, 8); // BitsPerColor
  u32(388, 8); // BitsPerPixel
  u32(392, width); // BytesPerLine
  u32(400, 18); // ColorSpace: sgray
  u32(420, 1); // NumColors
  u32(452, 1); // TotalPageCount
  u32(456, 1); // CrossFeedTransform
  u32(460, 1); // FeedTransform
  u32(476, width); // ImageBoxRight
  u32(480, height); // ImageBoxBottom
  h.write(o.pageSizeName ?? 'iso_a4_210x297mm', 1732, 'latin1');
  // A white line: runs of up to 128 pixels (the count less one, then the pixel, 255 in sgray).
  const line: number[] = [];
  for (let left = width; left > 0; left -= 128) line.push(Math.min(left, 128) - 1, 255);
  // The page: groups of up to 256 identical lines, each the repeat count less one, then the line.
  const lines: number[] = [];
  for (let left = height; left > 0; left -= 256) lines.push(Math.min(left, 256) - 1, ...line);
  return Buffer.concat([Buffer.from('RaS2', 'latin1'), h, Buffer.from(lines)]);
}
