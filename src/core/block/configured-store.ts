/**
 * The chunk store the settings ask for (QOIMA_CHUNK_STORE), built the same way by every entry: the
 * runtime's own store, or a bucket of an S3-compatible service behind a node-local read cache.
 *
 * A backend that is down at start is no reason not to start (requests that need chunks answer 503
 * until it is back, the rest are served); a backend that refuses these settings (no such bucket,
 * wrong keys) is, and start-up stops with its message.
 */
import type { Config } from '../config.ts';
import { CachedChunkStore, type CacheStore } from './cached-store.ts';
import { S3ChunkStore } from './s3-store.ts';
import { ChunkBackendUnavailableError, type ChunkStore } from './store.ts';

export interface ChunkStoreRuntime {
  /** The runtime's own store (QOIMA_CHUNK_STORE=fs): files on Node and Deno, the R2 binding on Workers. */
  own: () => ChunkStore | Promise<ChunkStore>;
  /**
   * An empty or earlier-filled local store, in a directory of its own, for the read cache (on Node, a
   * FsChunkStore without fsync: copies are checked on every read). None (Workers): no cache.
   */
  cache?: () => CacheStore | Promise<CacheStore>;
  /** Tidying a local store needs now and then (temporary files a crash left), run with maintenance. */
  tidy?: () => Promise<void>;
  /** Told when the backend could not be reached at start. */
  warn?: (message: string) => void;
}

export interface OpenedChunkStore {
  /** What the app reads and writes through: the store of record, behind its read cache if there is one. */
  store: ChunkStore;
  /** The store of record alone: what scrub re-hashes and lists. */
  backend: ChunkStore;
}

export async function openChunkStore(cfg: Config, runtime: ChunkStoreRuntime): Promise<OpenedChunkStore> {
  const settings = cfg.chunkStore;
  if (settings.kind === 'fs') {
    const own = await runtime.own();
    return { store: own, backend: own };
  }
  const backend = new S3ChunkStore(settings.s3);
  try {
    await backend.check();
  } catch (e) {
    if (!(e instanceof ChunkBackendUnavailableError)) throw e;
    runtime.warn?.(`qoima: ${e.message} at start; reads and writes of chunks answer 503 until it is back`);
  }
  if (settings.cacheBytes === 0 || !runtime.cache) return { store: backend, backend };
  const cached = await CachedChunkStore.open(backend, await runtime.cache(), settings.cacheBytes);
  return { store: cached, backend };
}
