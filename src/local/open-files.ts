/**
 * Read-only descriptors of chunk files kept open between reads (as nginx's open_file_cache does), so a
 * chunk read is one pread instead of open, read and close: three round trips through libuv's thread
 * pool, each a hand-off between threads that cost more than the read itself on two cores.
 *
 * Safe because chunks are content-addressed and never rewritten in place: a descriptor reads the bytes
 * of its hash, or those of a file since deleted or replaced (bytes that still carry that hash, or fail
 * the reader's check; the store then forgets the descriptor and reads afresh: block/reader.ts).
 *
 * Invariants: at most `max` descriptors are open, and none stays open unused for longer than `idleMs`,
 * so a chunk that another process deletes (GC) keeps its disk space for at most that long; a
 * descriptor is never closed under a reader (eviction marks it, its last reader closes it).
 */
import { close, constants, fstat, open, read } from 'node:fs';

interface Entry {
  fd: number;
  readers: number;
  evicted: boolean;
  lastUsed: number;
}

export interface Lease {
  fd: number;
  release(): void;
}

const openFd = (path: string) =>
  new Promise<number>((resolve, reject) =>
    open(path, constants.O_RDONLY, (e, fd) => (e ? reject(e) : resolve(fd))),
  );

export const closeFd = (fd: number) => close(fd, () => {});

export function fdSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fstat(fd, (e, s) => (e ? reject(e) : resolve(s.size))));
}

/** Reads up to `length` bytes at `position` into `buf` at `offset`; the count read. */
export function pread(fd: number, buf: Uint8Array, offset: number, length: number, position: number) {
  return new Promise<number>((resolve, reject) =>
    read(fd, buf, offset, length, position, (e, n) => (e ? reject(e) : resolve(n))),
  );
}

export class OpenFiles {
  /** By path, least recently used first. */
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(
    private readonly max = 256,
    private readonly idleMs = 10_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), idleMs);
    (this.sweeper as { unref?: () => void }).unref?.(); // (Deno's timers are numbers)
  }

  /** A descriptor of `path` to read through, or null when there is no such file. */
  async lease(path: string): Promise<Lease | null> {
    let entry = this.entries.get(path);
    if (entry)
      this.entries.delete(path); // (re-inserted below: now the most recently used)
    else {
      let fd: number;
      try {
        fd = await openFd(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
      // another read may have opened it meanwhile: keep one descriptor
      const raced = this.entries.get(path);
      if (raced) {
        closeFd(fd);
        this.entries.delete(path);
        entry = raced;
      } else entry = { fd, readers: 0, evicted: false, lastUsed: 0 };
    }
    this.entries.set(path, entry);
    entry.readers++;
    entry.lastUsed = Date.now();
    this.bound();
    const held = entry;
    let released = false;
    return {
      fd: held.fd,
      release: () => {
        if (released) return;
        released = true;
        held.readers--;
        if (held.evicted && held.readers === 0) closeFd(held.fd);
      },
    };
  }

  /** Drops the descriptor of `path` (the file was deleted or replaced, or read wrong through it). */
  forget(path: string): void {
    const entry = this.entries.get(path);
    if (entry) this.evict(path, entry);
  }

  /** Closes every descriptor (the store is closed). */
  close(): void {
    clearInterval(this.sweeper);
    for (const [path, entry] of [...this.entries]) this.evict(path, entry);
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(path: string, entry: Entry): void {
    this.entries.delete(path);
    entry.evicted = true;
    if (entry.readers === 0) closeFd(entry.fd);
  }

  private bound(): void {
    for (const [path, entry] of this.entries) {
      if (this.entries.size <= this.max) return;
      this.evict(path, entry);
    }
  }

  private sweep(): void {
    const before = Date.now() - this.idleMs;
    for (const [path, entry] of [...this.entries])
      if (entry.readers === 0 && entry.lastUsed < before) this.evict(path, entry);
  }
}
