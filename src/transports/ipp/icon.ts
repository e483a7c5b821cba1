import { deflateSync } from 'node:zlib';

/**
 * The icon IPP clients show for a relay printer (printer-icons, PWG 5100.13 §6.5): a 128 × 128
 * PNG of a printer, drawn here so the relay needs no image file.
 */
export const ICON_SIZE = 128;

/** Where the relay's printer icon is served (no credentials: clients fetch it as a plain image). */
export const ICON_PATH = '/ipp/icon.png';

type Rgba = [number, number, number, number];
const BODY: Rgba = [0x3a, 0x44, 0x4f, 255];
const PAPER: Rgba = [0xff, 0xff, 0xff, 255];
const EDGE: Rgba = [0x9a, 0xa5, 0xb1, 255];
const LIGHT: Rgba = [0x3c, 0xb3, 0x71, 255];

/** The printer: paper in, a body with a light, a printed sheet out. Later shapes cover earlier ones. */
const SHAPES: { x0: number; y0: number; x1: number; y1: number; colour: Rgba }[] = [
  { x0: 34, y0: 14, x1: 94, y1: 52, colour: EDGE },
  { x0: 36, y0: 16, x1: 92, y1: 52, colour: PAPER },
  { x0: 12, y0: 46, x1: 116, y1: 96, colour: BODY },
  { x0: 96, y0: 56, x1: 104, y1: 62, colour: LIGHT },
  { x0: 30, y0: 80, x1: 98, y1: 116, colour: EDGE },
  { x0: 32, y0: 80, x1: 96, y1: 114, colour: PAPER },
];

function pixel(x: number, y: number): Rgba {
  let colour: Rgba = [0, 0, 0, 0];
  for (const s of SHAPES) if (x >= s.x0 && x < s.x1 && y >= s.y0 && y < s.y1) colour = s.colour;
  return colour;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const byte of b) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function drawIcon(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(ICON_SIZE, 0);
  header.writeUInt32BE(ICON_SIZE, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits a channel, RGBA, deflate, adaptive filtering, not interlaced
  const rows = Buffer.alloc(ICON_SIZE * (1 + ICON_SIZE * 4));
  for (let y = 0; y < ICON_SIZE; y++) for (let x = 0; x < ICON_SIZE; x++) rows.set(pixel(x, y), y * (1 + ICON_SIZE * 4) + 1 + x * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

export const PRINTER_ICON = drawIcon();
