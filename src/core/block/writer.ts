/**
 * Writing a body into the chunk store under a staging owner.
 *
 * For each chunk, in this order:
 *  1. hash it (SHA-256, off the main thread where the runtime allows);
 *  2. record a chunk_refs row owned by the staging id: the trigger raises the chunk's refcount, so the
 *     collector can no longer pick it, and the same batch reads the chunk's gc_lease;
 *  3. if the collector held a lease (it may be deleting these bytes right now), wait it out; then make
 *     sure the bytes are in the store, writing them if not;
 *  4. before the caller commits, `finish` makes every chunk of the body durable (store.sync).
 * The refs stay owned by the staging id until the caller's commit moves them to an object in the same
 * batch that writes the object row. Nothing is visible before that; a crash leaves a staging whose node
 * stops heart-beating, and the collector drops its refs (block/gc.ts).
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { chunkRefs, chunks, stagings } from '../db/schema.ts';
import { type Digests, randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';
import { heartbeatStatement } from './gc.ts';
import { chunkHash, type ChunkStore } from './store.ts';

export interface BlockWriterDeps {
  db: Db;
  store: ChunkStore;
  nodeId: string;
  /** For the chunk's read check (xxh64), when the runtime has it. */
  digests?: Digests;
}

/** How long a chunk's bytes may still be deleted after its gc_lease time (clock skew between nodes). */
export const LEASE_MARGIN_MS = 2_000;

/**
 * A node writing an upload heart-beats from inside it at least this often, so a runtime without
 * timers of its own (a Workers isolate serving one long upload) is not taken for dead meanwhile.
 */
const WRITER_HEARTBEAT_MS = 5_000;
const lastBeat = new Map<string, number>();

export interface WriterOptions {
  /** Chunks being hashed or stored at once. */
  maxInFlight: number;
  /** Called with each chunk's buffer once the writer no longer needs it (so it can be reused). */
  release?: (bytes: Uint8Array) => void;
}

export interface WrittenChunk {
  idx: number;
  offset: number;
  size: number;
  hash: string;
}

export class StagingWriter {
  private nextIdx = 0;
  private nextOffset = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly hashes = new Set<string>();
  private failure: unknown = null;

  private constructor(
    private readonly deps: BlockWriterDeps,
    readonly stagingId: string,
    private readonly opts: WriterOptions,
  ) {}

  static async begin(deps: BlockWriterDeps, opts: Partial<WriterOptions> = {}): Promise<StagingWriter> {
    const id = `stg_${randomBase32(20)}`;
    await deps.db.insert(stagings).values({ id, nodeId: deps.nodeId, startedAt: Date.now() });
    return new StagingWriter(deps, id, { maxInFlight: 4, ...opts });
  }

  /** Bytes written so far (accepted by `write`, not necessarily stored yet). */
  get size(): number {
    return this.nextOffset;
  }

  get chunkCount(): number {
    return this.nextIdx;
  }

  /**
   * Queues one chunk. Resolves when there is room for the next one (at most `maxInFlight` chunks are
   * being hashed or stored at once), so memory stays bounded while the network keeps flowing. The
   * buffer must not change until `release` gives it back.
   */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    const idx = this.nextIdx++;
    const offset = this.nextOffset;
    this.nextOffset += bytes.length;
    const p: Promise<void> = this.store(idx, offset, bytes).then(
      () => {
        this.inFlight.delete(p);
        this.opts.release?.(bytes);
      },
      (e: unknown) => {
        this.inFlight.delete(p);
        this.failure ??= e;
      },
    );
    this.inFlight.add(p);
    while (this.inFlight.size >= this.opts.maxInFlight) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
  }

  /** Waits until every queued chunk is stored, referenced and durable. */
  async finish(): Promise<void> {
    while (this.inFlight.size) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    await this.deps.store.sync(this.hashes);
  }

  /** Drops everything written: the refs go (refcounts fall) and the staging row with them. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    await this.deps.db.batch([
      this.deps.db.delete(chunkRefs).where(eq(chunkRefs.owner, this.stagingId)),
      this.deps.db.delete(stagings).where(eq(stagings.id, this.stagingId)),
    ]);
  }

  private async store(idx: number, offset: number, bytes: Uint8Array): Promise<void> {
    const { db, store } = this.deps;
    const hash = await chunkHash(bytes);
    this.hashes.add(hash);
    const xxh64 = this.deps.digests?.xxh64?.(bytes) ?? null;
    const now = Date.now();
    const beat = now - (lastBeat.get(this.deps.nodeId) ?? 0) >= WRITER_HEARTBEAT_MS;
    if (beat) lastBeat.set(this.deps.nodeId, now);
    const [, , lease, staging] = await db.batch([
      db.insert(chunkRefs).values({ owner: this.stagingId, idx, offset, size: bytes.length, hash }),
      db
        .update(chunks)
        .set({ xxh64 })
        .where(and(eq(chunks.hash, hash), isNull(chunks.xxh64))),
      db.select({ gcLease: chunks.gcLease }).from(chunks).where(eq(chunks.hash, hash)),
      db.select({ id: stagings.id }).from(stagings).where(eq(stagings.id, this.stagingId)),
      ...(beat ? [heartbeatStatement(db, this.deps.nodeId, now)] : []),
    ]);
    // the collector took this node for dead and dropped the staging: stop now (abort drops this ref)
    if (!staging.length)
      throw new S3Error(
        'RequestTimeout',
        'The upload took so long that its parts were given up; send it again.',
      );
    const leaseUntil = lease[0]?.gcLease ?? null;
    if (leaseUntil !== null) {
      const wait = leaseUntil + LEASE_MARGIN_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    if (!(await store.has(hash))) await store.put(hash, bytes);
  }
}
