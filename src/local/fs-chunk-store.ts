/**
 * The chunk store on a local filesystem: `<root>/chunks/ab/cd/<sha256>`. A chunk is written to
 * `<root>/tmp`, its data flushed (fdatasync), then renamed into place, so it is whole or absent after a
 * crash. `sync` flushes the directories the chunks were renamed into, in parallel, once per upload
 * rather than once per chunk (each flush is a journal commit), with the parents of directories made
 * since the last sync. A full disk is StoreFullError (503), and nothing half-written stays behind. Reads
 * fetch a whole chunk at once, through descriptors kept open between reads (open-files.ts), into
 * buffers lent by a pool when one is given (core/block/buffer-pool.ts). The same
 * store, in a directory of its own and without fsync, holds a node's read cache of chunks kept in an S3
 * backend (core/block/cached-store.ts).
 */
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BufferPool } from '../core/block/buffer-pool.ts';
import type { CacheStore } from '../core/block/cached-store.ts';
import { StoreFullError } from '../core/block/store.ts';
import { randomBase32 } from '../core/digests.ts';
import { OpenFiles, fdSize, pread } from './open-files.ts';

/** A full disk (or quota) becomes the core's StoreFullError; anything else is passed on. */
const full =
  (hash: string) =>
  (e: unknown): never => {
    const code = (e as NodeJS.ErrnoException)?.code;
    throw code === 'ENOSPC' || code === 'EDQUOT' ? new StoreFullError(hash, { cause: e }) : e;
  };

/** A chunk write never takes this long: older temporary files are leftovers of a crash. */
const TMP_MAX_AGE_MS = 3600 * 1000;

export class FsChunkStore implements CacheStore {
  private readonly chunksDir: string;
  private readonly tmpDir: string;
  private readonly knownDirs = new Set<string>();
  /** Directories that gained a subdirectory not yet flushed, each with the number of its last change. */
  private readonly newParents = new Map<string, number>();
  private changes = 0;
  private readonly openFiles = new OpenFiles();

  constructor(
    root: string,
    private readonly fsync = true,
    /** Where read buffers come from (and go back to once sent: core/block/buffer-pool.ts). */
    private readonly buffers?: BufferPool,
  ) {
    this.chunksDir = join(root, 'chunks');
    this.tmpDir = join(root, 'tmp');
  }

  /** Creates the directories and removes temporary files a crash left behind. */
  async init(): Promise<void> {
    await mkdir(this.chunksDir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
    await this.sweepTemporary();
  }

  /** Removes temporary files old enough to be leftovers of a crashed writer (any node's). */
  async sweepTemporary(): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(this.tmpDir)) {
      const p = join(this.tmpDir, name);
      const s = await stat(p).catch(() => null);
      if (s && now - s.mtimeMs > TMP_MAX_AGE_MS) await rm(p, { force: true });
    }
  }

  path(hash: string): string {
    return join(this.chunksDir, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  async has(hash: string): Promise<boolean> {
    return (await stat(this.path(hash)).catch(() => null)) !== null;
  }

  async put(hash: string, bytes: Uint8Array): Promise<void> {
    const dir = join(this.chunksDir, hash.slice(0, 2), hash.slice(2, 4));
    if (!this.knownDirs.has(dir)) {
      // a directory made now must itself survive a power loss: the entries that name it are flushed
      // by the next sync, with the chunks' own directories
      if (await mkdir(dir, { recursive: true }).catch(full(hash))) {
        for (const p of [dirname(dir), this.chunksDir]) this.newParents.set(p, ++this.changes);
      }
      this.knownDirs.add(dir);
    }
    const tmp = join(this.tmpDir, `${hash}.${randomBase32(8)}`);
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600).catch(
      full(hash),
    );
    try {
      let off = 0;
      while (off < bytes.length) off += (await fh.write(bytes, off, bytes.length - off)).bytesWritten;
      if (this.fsync) await fh.datasync();
      await fh.close();
      await rename(tmp, this.path(hash));
      this.openFiles.forget(this.path(hash)); // (a chunk put again replaces a file read wrong, if any)
    } catch (e) {
      await fh.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      return full(hash)(e);
    }
  }

  private async syncDir(dir: string): Promise<void> {
    if (!this.fsync) return;
    const d = await open(dir, constants.O_RDONLY);
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  async sync(hashes: Iterable<string>): Promise<void> {
    if (!this.fsync) return;
    // a new parent stays listed until a flush that began after its last change has finished: a sync
    // running meanwhile flushes it too rather than trusting one still under way
    const parents = [...this.newParents];
    const dirs = new Set<string>(parents.map(([p]) => p));
    for (const h of hashes) dirs.add(join(this.chunksDir, h.slice(0, 2), h.slice(2, 4)));
    await Promise.all([...dirs].map((dir) => this.syncDir(dir)));
    for (const [p, changes] of parents) if (this.newParents.get(p) === changes) this.newParents.delete(p);
  }

  async get(hash: string, sizeHint?: number): Promise<Uint8Array | null> {
    const file = await this.openFiles.lease(this.path(hash));
    if (!file) return null;
    try {
      // a file shorter than the hint reads short and fails the caller's check; nothing past it is read
      const size = sizeHint ?? (await fdSize(file.fd));
      const buf = this.buffers?.take(size) ?? Buffer.allocUnsafe(size);
      let off = 0;
      while (off < size) {
        const n = await pread(file.fd, buf, off, size - off, off);
        if (n === 0) break;
        off += n;
      }
      return off === size ? buf : buf.subarray(0, off);
    } finally {
      file.release();
    }
  }

  forget(hash: string): void {
    this.openFiles.forget(this.path(hash));
  }

  async delete(hash: string): Promise<void> {
    this.openFiles.forget(this.path(hash));
    await unlink(this.path(hash)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  async *list(): AsyncIterable<string> {
    for (const a of await readdir(this.chunksDir).catch(() => [] as string[])) {
      for (const b of await readdir(join(this.chunksDir, a)).catch(() => [] as string[])) {
        for (const name of await readdir(join(this.chunksDir, a, b)).catch(() => [] as string[])) {
          if (/^[0-9a-f]{64}$/.test(name)) yield name;
        }
      }
    }
  }

  async *sizes(): AsyncIterable<{ hash: string; size: number }> {
    for await (const hash of this.list()) {
      const s = await stat(this.path(hash)).catch(() => null);
      if (s) yield { hash, size: s.size };
    }
  }
}
