import { toHex } from '../digests.ts';

/**
 * The chunk store contract. The block layer knows hashes, never buckets or keys.
 *
 * Invariants every implementation keeps:
 * - `put(hash, bytes)` is all-or-nothing: a reader sees the whole chunk or no chunk, never a prefix,
 *   even if the process dies mid-write. Putting the same hash twice is harmless (same bytes).
 * - Once `sync(hashes)` resolves, those chunks survive a power loss. Writers sync every chunk they
 *   put or found in the store before they commit a reference to it (a store may make `put` durable
 *   by itself and `sync` a no-op).
 * - `get` returns the stored bytes as they are; it does not verify them. The caller (block/reader.ts)
 *   checks them against the hash, so bit rot is an error, never wrong data served as good.
 * - `delete` of a missing chunk is not an error.
 * Whether a chunk may be deleted is decided by the database (refcounts, see block/gc.ts), not here.
 */
export interface ChunkStore {
  has(hash: string): Promise<boolean>;
  put(hash: string, bytes: Uint8Array): Promise<void>;
  sync(hashes: Iterable<string>): Promise<void>;
  /**
   * The whole chunk, or null when the store has no such chunk. `size`, when known, saves a stat. Bytes
   * lent from a BufferPool (buffer-pool.ts) go to this caller alone, never to two: whoever sends them
   * gives them back (CachedStore shares one fetch between callers only for bytes from its backend,
   * which are not lent).
   */
  get(hash: string, size?: number): Promise<Uint8Array | null>;
  delete(hash: string): Promise<void>;
  /**
   * Drops whatever the store keeps for reading `hash` (an open file), so the next `get` reads it
   * afresh: the reader calls it when bytes fail their check, before it tries once more.
   */
  forget?(hash: string): void;
  /** Every hash held, in no particular order (scrub and orphan sweeps). */
  list(): AsyncIterable<string>;
}

/** SHA-256 of a chunk as lower-case hex: its name in the store. */
export async function chunkHash(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource)));
}

export class ChunkMissingError extends Error {
  constructor(readonly hash: string) {
    super(`chunk ${hash} is missing from the store`);
    this.name = 'ChunkMissingError';
  }
}

/** The store has no room for a chunk (a full disk): the service's trouble, answered 503 and logged. */
export class StoreFullError extends Error {
  constructor(
    readonly hash: string,
    options?: { cause: unknown },
  ) {
    super(`no room to store chunk ${hash}`, options);
    this.name = 'StoreFullError';
  }
}

/**
 * The chunk backend (an S3-compatible service) could not be reached, did not answer in time, or answered
 * 5xx or 429, on every try within the call's deadline: the provider's trouble, never the client's.
 * Answered `503 ServiceUnavailable` with `Retry-After: retryAfterSeconds` and logged; not `SlowDown`,
 * which is the customer's own fair-use refusal and so does not count against availability.
 */
export class ChunkBackendUnavailableError extends Error {
  constructor(
    readonly operation: string,
    readonly hash: string | null,
    /** The backend's own Retry-After when it sent one, else a second. */
    readonly retryAfterSeconds: number,
    /** What went wrong on the last try: `timed out`, `503 SlowDown`, a connection error. */
    why: string,
    options?: { cause: unknown },
  ) {
    super(`chunk backend unavailable for ${operation}${hash ? ` of chunk ${hash}` : ''}: ${why}`, options);
    this.name = 'ChunkBackendUnavailableError';
  }
}

export class ChunkCorruptError extends Error {
  constructor(readonly hash: string) {
    super(`chunk ${hash} does not match its hash`);
    this.name = 'ChunkCorruptError';
  }
}
