// Content-addressed image files: images/<sha256 of the PNG bytes>.png.
//
// Writing is crash-safe: the bytes go to a temporary name, are fsynced, and only then renamed into place (rename
// is atomic on POSIX file systems), and the folder is fsynced so the new name itself survives a power cut. So a
// file named <hash>.png is always complete; a process killed mid-write leaves at worst a temporary file, which
// never has the .png name and which `sweepTemporaries` removes later. The session store inserts a turn only after
// `put` has returned, so every turn it shows has its images.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { encodePng, readImage, type RGBImage } from '../image/rgb.ts';

const HASH = /^[0-9a-f]{64}$/;
const TEMP_PREFIX = '.tmp-';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function isImageHash(s: string): boolean {
  return HASH.test(s);
}

/** fsync a file or folder by path (a folder's fsync makes the names in it durable). */
async function fsyncPath(path: string, flags = 'r'): Promise<void> {
  if (process.platform === 'win32') return; // Windows cannot open a folder to fsync it; NTFS journals renames
  const fh = await open(path, flags);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class ImageStore {
  constructor(readonly dir: string) {}

  /** Create the folder if needed. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  path(hash: string): string {
    if (!isImageHash(hash)) throw new Error(`not an image hash: '${hash}'`);
    return join(this.dir, `${hash}.png`);
  }

  has(hash: string): boolean {
    return existsSync(this.path(hash));
  }

  /** Store an image; returns its hash. Storing the same pixels twice writes one file. */
  async put(img: RGBImage): Promise<string> {
    return this.putPng(await encodePng(img));
  }

  /** Store PNG bytes as they are (the hash is of these bytes). */
  async putPng(png: Uint8Array): Promise<string> {
    const hash = sha256(png);
    const final = this.path(hash);
    if (existsSync(final)) return hash; // complete by construction: only finished files get this name
    const temp = join(this.dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
    const fh = await open(temp, 'wx'); // wx: never reuse someone else's temporary file
    try {
      await fh.writeFile(png);
      await fh.sync(); // the bytes are on disk before the name points at them
    } finally {
      await fh.close();
    }
    await rename(temp, final);
    await fsyncPath(this.dir); // the new directory entry is on disk too
    return hash;
  }

  async readPng(hash: string): Promise<Buffer> {
    return readFile(this.path(hash));
  }

  async get(hash: string): Promise<RGBImage> {
    return readImage(await this.readPng(hash));
  }

  /** Remove temporaries left by killed writers that are older than `minAgeMs` (younger ones may still be written). */
  async sweepTemporaries(minAgeMs = 10 * 60_000): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.dir)) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const p = join(this.dir, name);
      const st = await stat(p).catch(() => null);
      if (st && Date.now() - st.mtimeMs >= minAgeMs) {
        await rm(p, { force: true });
        removed++;
      }
    }
    return removed;
  }
}
