/**
 * A bounded read cache of hot chunks in front of a remote store (the S3 backend): each node keeps the
 * chunks it read lately in a local store of its own (on Node, a FsChunkStore in its own directory) and
 * serves repeats from there, so public GETs of popular files do not wait on the backend.
 *
 * - Write-around: `put` goes to the backend only; a chunk enters the cache when it is first read.
 *   Uploads are mostly not read back soon, nor through the node that took them, so caching them would
 *   spend local disk bandwidth on every upload and push hot chunks out for cold ones.
 * - The backend is the truth: `has`, `sync` and `list` ask it alone. A writer must never skip storing
 *   bytes because this node still holds a copy that another node's collector has deleted from the
 *   backend, and scrub must re-hash the backend's chunks, not this node's copies.
 * - Verified both ways. The reader checks bytes after `get` and cannot tell a damaged copy here from a
 *   damaged chunk in the backend, so the cache checks its copies itself (SHA-256) before serving them:
 *   a copy that fails is dropped and the chunk fetched from the backend, so the cache never turns a good
 *   chunk into a failure. Fetched bytes are cached only if they match their hash, and returned as
 *   fetched either way (bad backend bytes fail the reader's check as they would without the cache).
 * - Bounded: least recently used chunks go once the cache holds more than `maxBytes` (chunks being
 *   filled at that moment may overshoot it briefly). The index (hash → size, oldest use first) lives in
 *   memory and is rebuilt from the local store at start, in the store's listing order.
 * - `delete` removes a chunk from the backend and the cache; a fill that races a delete is undone.
 * - Reads of one chunk missing here share one backend fetch. A local store that fails to read or write
 *   only makes the cache slower: the backend answers instead.
 */
import { chunkHash, type ChunkStore } from './store.ts';

/** A local store that can say how big its chunks are: the cache's side. */
export interface CacheStore extends ChunkStore {
  /** Every chunk held, with its size in bytes. */
  sizes(): AsyncIterable<{ hash: string; size: number }>;
}

export class CachedChunkStore implements ChunkStore {
  /** hash → size; a Map keeps insertion order, so the first entry is the least recently used. */
  private readonly index = new Map<string, number>();
  private held = 0;
  private readonly fetching = new Map<string, Promise<Uint8Array | null>>();
  /** Chunks deleted while a fetch of theirs was under way: the fill must not keep them. */
  private readonly deletedWhileFetching = new Set<string>();

  private constructor(
    private readonly backend: ChunkStore,
    private readonly local: CacheStore,
    readonly maxBytes: number,
  ) {}

  /** A cache over `local`, counting what it already holds (and trimming it to `maxBytes`). */
  static async open(backend: ChunkStore, local: CacheStore, maxBytes: number): Promise<CachedChunkStore> {
    const cache = new CachedChunkStore(backend, local, maxBytes);
    for await (const { hash, size } of local.sizes()) {
      cache.index.set(hash, size);
      cache.held += size;
    }
    await cache.evict();
    return cache;
  }

  /** Bytes of the chunks in the cache. */
  get cachedBytes(): number {
    return this.held;
  }

  /** Whether a chunk is in the cache (never asked of the backend). */
  isCached(hash: string): boolean {
    return this.index.has(hash);
  }

  has(hash: string): Promise<boolean> {
    return this.backend.has(hash);
  }

  put(hash: string, bytes: Uint8Array): Promise<void> {
    return this.backend.put(hash, bytes);
  }

  sync(hashes: Iterable<string>): Promise<void> {
    return this.backend.sync(hashes);
  }

  list(): AsyncIterable<string> {
    return this.backend.list();
  }

  async delete(hash: string): Promise<void> {
    if (this.fetching.has(hash)) this.deletedWhileFetching.add(hash);
    await this.drop(hash);
    await this.backend.delete(hash);
  }

  async get(hash: string, size?: number): Promise<Uint8Array | null> {
    const cached = await this.fromCache(hash, size);
    if (cached) return cached;
    let fetched = this.fetching.get(hash);
    if (!fetched) {
      fetched = this.fetchAndFill(hash, size).finally(() => {
        this.fetching.delete(hash);
        this.deletedWhileFetching.delete(hash);
      });
      this.fetching.set(hash, fetched);
    }
    return fetched;
  }

  /** The cached copy if there is one and it is whole and right; a bad copy is dropped. */
  private async fromCache(hash: string, size: number | undefined): Promise<Uint8Array | null> {
    const known = this.index.get(hash);
    if (known === undefined) return null;
    this.index.delete(hash);
    this.index.set(hash, known); // now the most recently used
    const bytes = await this.local.get(hash, size ?? known).catch(() => null);
    if (bytes && (await chunkHash(bytes)) === hash) return bytes;
    await this.drop(hash);
    return null;
  }

  private async fetchAndFill(hash: string, size: number | undefined): Promise<Uint8Array | null> {
    const bytes = await this.backend.get(hash, size);
    const worth = bytes && bytes.length <= this.maxBytes && !this.index.has(hash);
    if (worth && (await chunkHash(bytes)) === hash) await this.fill(hash, bytes);
    return bytes;
  }

  private async fill(hash: string, bytes: Uint8Array): Promise<void> {
    this.held += bytes.length; // counted before it is written, so concurrent fills make room for it too
    try {
      await this.evict();
      await this.local.put(hash, bytes);
    } catch {
      this.held -= bytes.length; // a cache that cannot write is only slower
      return;
    }
    if (this.deletedWhileFetching.has(hash)) {
      this.held -= bytes.length;
      await this.local.delete(hash).catch(() => {});
      return;
    }
    this.index.set(hash, bytes.length);
  }

  /** Removes least recently used chunks until the cache is within its bound. */
  private async evict(): Promise<void> {
    while (this.held > this.maxBytes) {
      const oldest = this.index.keys().next();
      if (oldest.done) return; // what is left over the bound is being filled right now
      await this.drop(oldest.value);
    }
  }

  private async drop(hash: string): Promise<void> {
    const size = this.index.get(hash);
    if (size !== undefined) {
      this.index.delete(hash);
      this.held -= size;
    }
    await this.local.delete(hash).catch(() => {});
  }
}
