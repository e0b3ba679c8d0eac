/**
 * Read buffers lent to readers and given back by whoever sends them, so a download reuses a handful of
 * buffers instead of allocating one per chunk. Allocating a fresh buffer per 4 MiB chunk kept V8's
 * mark-compact running about twenty times a second during a 256 MiB GET (large allocations count
 * towards the external memory that starts one), which cost more than the copies and the checks.
 *
 * Buffers are pooled by size class, powers of two from MIN_POOLED to the largest size the pool is made
 * for (the chunk size); a request for n bytes gets the first n bytes of a buffer of its class.
 *
 * Invariants: a buffer is lent again only after `giveBack` was called for it, once, by the one writer
 * that sent its only view and knows the socket has taken it (src/node/give-back.ts); a buffer never
 * given back is garbage like any other, so a reader that drops one, or a runtime that never gives back,
 * is only slower. A buffer given back twice, or one the pool never lent, is ignored. At most
 * `maxFreeBytes` wait in the pool, and none for longer than `idleMs` after the last take.
 */

/** Smaller reads are cheap to allocate (and go out as one piece that is not given back). */
export const MIN_POOLED = 64 * 1024;

export class BufferPool {
  /** Free buffers by size class (a power of two). */
  private readonly free = new Map<number, ArrayBuffer[]>();
  private freeBytes = 0;
  private readonly lent = new WeakSet<ArrayBuffer>();
  private lastTake = 0;
  private sweeper: ReturnType<typeof setInterval> | null = null;

  constructor(
    /** The largest size pooled (the chunk size); larger ones are allocated as they come. */
    readonly maxSize: number,
    /** A new buffer of `size` bytes: a runtime may skip zero-filling what is about to be read over. */
    private readonly allocate: (size: number) => ArrayBuffer = (size) => new ArrayBuffer(size),
    private readonly maxFreeBytes = 64 * 1024 * 1024,
    private readonly idleMs = 10_000,
  ) {}

  /** `size` bytes, their content undefined: from the pool when `size` is in its range. */
  take(size: number): Uint8Array<ArrayBuffer> {
    if (size < MIN_POOLED || size > this.maxSize) return new Uint8Array(this.allocate(size));
    const cls = 2 ** Math.ceil(Math.log2(size));
    this.lastTake = Date.now();
    const reused = this.free.get(cls)?.pop();
    if (reused) this.freeBytes -= cls;
    const buffer = reused ?? this.allocate(cls);
    this.lent.add(buffer);
    return new Uint8Array(buffer, 0, size);
  }

  /** Whether `view` lies in a buffer lent and not given back yet. */
  isLent(view: Uint8Array): boolean {
    return this.lent.has(view.buffer as ArrayBuffer);
  }

  /** `view` (and the buffer it lies in) will not be read again by anyone: the pool may lend it again. */
  giveBack(view: Uint8Array): void {
    const buffer = view.buffer as ArrayBuffer;
    if (!this.lent.delete(buffer)) return;
    if (this.freeBytes + buffer.byteLength > this.maxFreeBytes) return;
    let list = this.free.get(buffer.byteLength);
    if (!list) this.free.set(buffer.byteLength, (list = []));
    list.push(buffer);
    this.freeBytes += buffer.byteLength;
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), this.idleMs);
      (this.sweeper as { unref?: () => void }).unref?.(); // (Deno's timers are numbers)
    }
  }

  /** Bytes waiting to be lent again. */
  get waiting(): number {
    return this.freeBytes;
  }

  private sweep(): void {
    if (Date.now() - this.lastTake < this.idleMs) return;
    this.free.clear();
    this.freeBytes = 0;
    clearInterval(this.sweeper!);
    this.sweeper = null;
  }
}
