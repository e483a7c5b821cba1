/**
 * Large objects (job documents, mail-print attachments, firmware programs): the part of the
 * Store that is bytes, not rows. Files in the data directory on SQLite (`files/blobs.ts`),
 * PostgreSQL large objects on PostgreSQL (`postgres/blobs.ts`), so every relay sharing a database
 * reads the same ones. Bytes are streamed both ways, never held whole.
 */
import type { Readable } from 'node:stream';

export type BlobArea = 'jobs' | 'pages' | 'firmware';

export interface BlobStore {
  /** A path in the data directory where a caller may write a blob's bytes before putFile (e.g. a streamed upload); its folder exists. */
  stagingFile(area: BlobArea, key: string): string;
  /** Moves a complete local file into the store under (area, key), replacing any blob there; the file is gone afterwards. */
  putFile(area: BlobArea, key: string, file: string): Promise<void>;
  /**
   * Bytes [start, end] inclusive (default: all; an end past the last byte reads to the last),
   * streamed in chunks, never whole in memory. Rejects with BlobNotFoundError if there is no such blob.
   */
  read(area: BlobArea, key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Removes the blob, if there is one. */
  remove(area: BlobArea, key: string): Promise<void>;
  /** Removes staging files left by a crash. Called once at relay start, before any upload. */
  removeStaging(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(
    readonly area: BlobArea,
    readonly key: string,
  ) {
    super(`no blob ${area}/${key} in the store`);
    this.name = 'BlobNotFoundError';
  }
}

const KEYS: Record<BlobArea, RegExp> = {
  jobs: /^[\w-]{1,100}$/, // job ID
  pages: /^[\w-]{1,100}\/\d{1,4}$/, // <page ID>/<attachment number>
  firmware: /^[0-9a-f]{64}$/, // the program's SHA-256
};

/** Keys name files on the file adapter: anything but the shapes above is refused, so no key can climb out of its folder. */
export function checkBlobKey(area: BlobArea, key: string): void {
  if (!KEYS[area]?.test(key)) throw new Error(`not a ${area} blob key: ${JSON.stringify(key.slice(0, 120))}`);
}

/** A range as the adapters read it: [start, end] within a blob of `size` bytes; end < start when nothing is to be read. */
export function clampRange(size: number, range?: { start: number; end: number }): { start: number; end: number } {
  const start = range?.start ?? 0;
  const end = Math.min(range?.end ?? size - 1, size - 1);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0) throw new RangeError(`not a byte range: ${start}-${end}`);
  return { start, end };
}
