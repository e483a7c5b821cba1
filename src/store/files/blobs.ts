/**
 * Blobs as files in the data directory, the layout the relay has always had: `jobs/<id>`,
 * `pages/<pageId>/<n>`, `firmware/<sha256>`; files 0600, folders 0700. A blob is staged as
 * `<file>.part` beside its final name, so putFile is one atomic rename.
 *
 * It lives in its own folder, not in sqlite/: it uses nothing of SQLite, only a local data
 * directory, and is the blob half of any store whose relay is alone on its data.
 */
import { mkdirSync } from 'node:fs';
import { chmod, open, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobNotFoundError, checkBlobKey, clampRange, type BlobArea, type BlobStore } from '../blobs.js';
import { PRIVATE_DIR, PRIVATE_FILE } from '../modes.js';

const STAGING = '.part';
/** Read in large chunks: a printer's download is then limited by the network, not per-chunk overhead. */
const READ_CHUNK = 1024 * 1024;

export function fileBlobs(dataDir: string): BlobStore {
  const path = (area: BlobArea, key: string): string => {
    checkBlobKey(area, key);
    return join(dataDir, area, key);
  };

  return {
    stagingFile(area, key) {
      const file = path(area, key);
      mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR });
      return `${file}${STAGING}`;
    },

    async putFile(area, key, file) {
      const target = path(area, key);
      mkdirSync(dirname(target), { recursive: true, mode: PRIVATE_DIR });
      await chmod(file, PRIVATE_FILE);
      await rename(file, target);
    },

    async read(area, key, range) {
      let handle;
      try {
        handle = await open(path(area, key), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(area, key);
        throw err;
      }
      const { start, end } = await handle
        .stat()
        .then((s) => clampRange(s.size, range))
        .catch(async (err: unknown) => {
          await handle.close();
          throw err;
        });
      if (end >= start) return handle.createReadStream({ start, end, highWaterMark: READ_CHUNK });
      await handle.close();
      return Readable.from([]);
    },

    async remove(area, key) {
      const file = path(area, key);
      await rm(file, { force: true });
      // A page's folder goes with its last attachment.
      if (area === 'pages') await rmdir(dirname(file)).catch(() => undefined);
    },

    async removeStaging() {
      for (const area of ['jobs', 'firmware'] as const) await removeParts(join(dataDir, area));
      for (const page of await names(join(dataDir, 'pages'))) {
        const dir = join(dataDir, 'pages', page);
        await removeParts(dir);
        await rmdir(dir).catch(() => undefined); // a page whose mail never got stored whole
      }
    },
  };
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return [];
    throw err;
  }
}

async function removeParts(dir: string): Promise<void> {
  for (const name of await names(dir)) if (name.endsWith(STAGING)) await rm(join(dir, name), { force: true });
}
