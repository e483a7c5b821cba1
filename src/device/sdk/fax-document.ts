/**
 * The document sub-protocol fax machines carry inside DATA frames (docs/fax-relay.md):
 * a header frame (JSON: name, type, size, SHA-256), then exactly `size` bytes of content in
 * DATA frames, then the receiver's confirmation frame (JSON) back to the sender.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { link, open, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FaxError, type FaxConnection } from './fax-client.js';

export const DOCUMENT_CHUNK = 64 * 1024;
const RESULT_MS = 120_000;
const MAX_DOCUMENT = 2 * 1024 ** 3;

export type FaxDocumentType = 'application/pdf' | 'image/tiff';

export interface DocumentHeader {
  'fax-document': 1;
  name: string;
  type: FaxDocumentType;
  size: number;
  sha256: string;
}

export interface DocumentResult {
  'fax-document-result': 1;
  ok: boolean;
  sha256?: string;
  reason?: 'bad-header' | 'unsupported-type' | 'size-mismatch' | 'checksum-mismatch' | 'storage-failed';
}

/** The fax document types, from their first bytes: PDF or TIFF (either byte order). */
export function faxDocumentType(head: Buffer): FaxDocumentType | null {
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  const sig = head.subarray(0, 4).toString('hex');
  if (sig === '49492a00' || sig === '4d4d002a') return 'image/tiff';
  return null;
}

const parseJson = (b: Buffer): Record<string, unknown> | null => {
  if (b.length > 4096 || b[0] !== 0x7b) return null;
  try {
    const v: unknown = JSON.parse(b.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/**
 * Sends one file on a paired connection and waits for the receiver's confirmation.
 * Resolves with what the receiver confirmed; rejects with FaxError when it refused or went away.
 */
export async function sendDocument(
  conn: FaxConnection,
  file: string,
  o: { name?: string; onProgress?: (sent: number, total: number) => void } = {},
): Promise<{ size: number; sha256: string; type: FaxDocumentType }> {
  const { size } = await stat(file);
  const fh = await open(file, 'r');
  const head = Buffer.alloc(8);
  await fh.read(head, 0, 8, 0).finally(() => fh.close());
  const type = faxDocumentType(head);
  if (!type) throw new FaxError('unsupported-type', `${file} is neither PDF nor TIFF`);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');

  const result = new Promise<DocumentResult>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      conn.off('data', onData);
      conn.off('terminate', onGone);
      conn.off('close', onGone);
    };
    const onData = (b: Buffer): void => {
      const r = parseJson(b);
      if (r?.['fax-document-result'] !== 1) return;
      done();
      resolve(r as unknown as DocumentResult);
    };
    const onGone = (): void => {
      done();
      reject(new FaxError('terminated', 'the receiver ended the call before confirming the document'));
    };
    const timer = setTimeout(() => {
      done();
      reject(new FaxError('timeout', `no confirmation within ${RESULT_MS / 1000} s`));
    }, RESULT_MS);
    conn.on('data', onData);
    conn.on('terminate', onGone);
    conn.on('close', onGone);
  });
  result.catch(() => {});

  const header: DocumentHeader = { 'fax-document': 1, name: basename(o.name ?? file), type, size, sha256 };
  conn.send(Buffer.from(JSON.stringify(header)));
  let sent = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: DOCUMENT_CHUNK })) {
    if (conn.isClosed) break;
    if (!conn.send(chunk as Buffer)) await conn.drained();
    sent += (chunk as Buffer).length;
    o.onProgress?.(sent, size);
  }
  const r = await result;
  if (!r.ok) throw new FaxError(r.reason ?? 'refused', `the receiver refused the document: ${r.reason ?? 'no reason given'}`);
  if (r.sha256 !== sha256) throw new FaxError('checksum-mismatch', 'the receiver confirmed a different SHA-256');
  return { size, sha256, type };
}

export interface ReceivedDocument {
  from: string;
  name: string;
  type: FaxDocumentType;
  size: number;
  sha256: string;
  path: string;
}

const safeName = (name: string, type: FaxDocumentType): string => {
  const stem = basename(name).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'document';
  return `${stem}${type === 'application/pdf' ? '.pdf' : '.tif'}`;
};

/**
 * Receives documents on one paired connection into a folder: each is written to a temporary
 * file, checked against its size and SHA-256, then given its final name and confirmed.
 * Writing to disk paces the connection (it is paused while the file cannot keep up).
 */
export class DocumentReceiver {
  private current: {
    header: DocumentHeader;
    out: WriteStream;
    tmp: string;
    hash: ReturnType<typeof createHash>;
    got: number;
    /** The first bytes, to check the content really is the declared type. */
    head: Buffer;
    bad?: DocumentResult['reason'];
  } | null = null;
  private finishing: Promise<void> = Promise.resolve();

  constructor(
    private readonly conn: FaxConnection,
    private readonly dir: string,
    private readonly from: string,
    private readonly onDocument: (d: ReceivedDocument) => void,
  ) {
    const onData = (b: Buffer): void => this.onData(b);
    const end = (): void => {
      conn.off('data', onData);
      conn.off('terminate', end);
      conn.off('close', end);
      this.abandon();
    };
    conn.on('data', onData);
    conn.on('terminate', end);
    conn.on('close', end);
  }

  private reply(r: Omit<DocumentResult, 'fax-document-result'>): void {
    if (!this.conn.isClosed) this.conn.send(Buffer.from(JSON.stringify({ 'fax-document-result': 1, ...r })));
  }

  private onData(b: Buffer): void {
    const c = this.current;
    if (!c) return this.start(b);
    const take = Math.min(b.length, c.header.size - c.got);
    if (take < b.length) c.bad = 'size-mismatch';
    if (c.head.length < 8) c.head = Buffer.concat([c.head, b.subarray(0, Math.min(take, 8 - c.head.length))]);
    c.got += take;
    if (!c.bad) {
      c.hash.update(b.subarray(0, take));
      if (!c.out.write(b.subarray(0, take))) {
        this.conn.pause();
        c.out.once('drain', () => this.conn.resume());
        c.out.once('close', () => this.conn.resume());
      }
    }
    if (c.got === c.header.size) this.finish(c);
  }

  private start(b: Buffer): void {
    const h = parseJson(b);
    const ok =
      h?.['fax-document'] === 1 && typeof h.name === 'string' && typeof h.sha256 === 'string' && /^[0-9a-f]{64}$/.test(h.sha256) &&
      Number.isSafeInteger(h.size) && (h.size as number) >= 0 && (h.size as number) <= MAX_DOCUMENT;
    if (!ok) return this.reply({ ok: false, reason: 'bad-header' });
    const header = h as unknown as DocumentHeader;
    const tmp = join(this.dir, `.incoming-${randomBytes(6).toString('hex')}`);
    this.current = { header, out: createWriteStream(tmp), tmp, hash: createHash('sha256'), got: 0, head: Buffer.alloc(0) };
    if (header.type !== 'application/pdf' && header.type !== 'image/tiff') this.current.bad = 'unsupported-type';
    if (header.size === 0) this.finish(this.current);
  }

  private finish(c: NonNullable<DocumentReceiver['current']>): void {
    this.current = null;
    const work = async (): Promise<void> => {
      await new Promise<void>((resolve) => c.out.end(resolve));
      const sha256 = c.hash.digest('hex');
      let bad = c.bad ?? (sha256 !== c.header.sha256 ? 'checksum-mismatch' : faxDocumentType(c.head) !== c.header.type ? 'unsupported-type' : undefined);
      let path = '';
      if (!bad) {
        path = await this.place(c.tmp, safeName(c.header.name, c.header.type)).catch(() => '');
        if (!path) bad = 'storage-failed';
      }
      await unlink(c.tmp).catch(() => {});
      if (bad) return this.reply({ ok: false, reason: bad });
      this.reply({ ok: true, sha256 });
      this.onDocument({ from: this.from, name: c.header.name, type: c.header.type, size: c.header.size, sha256, path });
    };
    this.finishing = this.finishing.then(work, work);
  }

  /** Links the file under its name in the folder, adding -1, -2 … rather than overwriting. */
  private async place(tmp: string, name: string): Promise<string> {
    const dot = name.lastIndexOf('.');
    for (let i = 0; i < 1000; i++) {
      const path = join(this.dir, i === 0 ? name : `${name.slice(0, dot)}-${i}${name.slice(dot)}`);
      try {
        await link(tmp, path);
        return path;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    throw new Error('no free name');
  }

  /** The call ended mid-document: the partial file is removed. */
  private abandon(): void {
    const c = this.current;
    this.current = null;
    if (!c) return;
    c.out.destroy();
    void unlink(c.tmp).catch(() => {});
  }
}
