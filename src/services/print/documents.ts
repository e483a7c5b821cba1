import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sniffDocument, type DocumentType } from '../../domain/print.js';
import type { BlobStore } from '../../store/blobs.js';
import { invalid, ServiceError } from '../kernel/errors.js';

export interface StoredDocument {
  size: number;
  sha256: string;
  type: DocumentType;
}

/**
 * Streams job `id`'s document into the blob store (never held whole in memory) through a staging
 * file, with its SHA-256 and sniffed type, refusing it past `max` bytes, empty, or of a type we
 * do not print. On any failure the partial file is removed.
 */
export async function storeDocument(input: Readable, blobs: BlobStore, id: string, max: number): Promise<StoredDocument> {
  const tmp = blobs.stagingFile('jobs', id);
  const hash = createHash('sha256');
  let size = 0;
  let head = Buffer.alloc(0);
  const out = createWriteStream(tmp, { mode: 0o600 });
  try {
    await pipeline(
      input,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const c of chunks) {
          size += c.length;
          if (size > max) throw new ServiceError('payload-too-large', `a document is at most ${max / 1048576} MiB`);
          if (head.length < 64) head = Buffer.concat([head, c.subarray(0, 64 - head.length)]);
          hash.update(c);
          yield c;
        }
      },
      out,
    );
    if ((input as Readable & { truncated?: boolean }).truncated) throw new ServiceError('payload-too-large', `a document is at most ${max / 1048576} MiB`);
    const type = sniffDocument(head);
    if (size === 0) throw invalid('the document is empty');
    if (!type) throw new ServiceError('unsupported-media-type', 'the document is not PDF, JPEG, PNG or plain text');
    await blobs.putFile('jobs', id, tmp);
    return { size, sha256: hash.digest('hex'), type };
  } catch (err) {
    // The file may still be opening when the upload fails: remove it only once it is closed.
    if (!out.closed) await once(out, 'close').catch(() => undefined);
    rmSync(tmp, { force: true });
    throw err;
  }
}
