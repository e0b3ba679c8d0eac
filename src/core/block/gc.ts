/**
 * Garbage collection of chunks. Zero references means "deletable after a delay", never "delete now":
 * the delay lets readers that started before an overwrite or delete finish with the old bytes.
 *
 * Deleting bytes races with writers that reference the same hash again (deduplication). The protocol:
 *  - the collector takes a lease on the row (UPDATE ... WHERE refcount = 0 AND zero_since < cutoff),
 *    deletes the bytes while the lease holds, then deletes the row only if it is still unreferenced;
 *  - a writer first adds its reference (the collector can no longer take the lease), then reads the
 *    lease: if one was taken it waits until it ends before making sure the bytes exist (writer.ts).
 * So bytes are only deleted while nobody references them, and a new reference always finds its bytes.
 */
import { and, eq, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { chunkRefs, chunks, nodes, stagings } from '../db/schema.ts';
import type { ChunkStore } from './store.ts';

export interface GcOptions {
  /** How long an unreferenced chunk is kept before its bytes may go. */
  delayMs: number;
  /** How long a node may miss heart-beats before its stagings count as abandoned. */
  nodeTimeoutMs: number;
  leaseMs?: number;
  batchSize?: number;
}

export interface GcReport {
  abandonedStagings: number;
  chunksDeleted: number;
  bytesFreed: number;
}

/** Drops the refs of bodies whose writer died (its node stopped heart-beating) mid-upload. */
export async function sweepAbandonedStagings(db: Db, nodeTimeoutMs: number): Promise<number> {
  const staleBefore = Date.now() - nodeTimeoutMs;
  const abandoned = await db
    .select({ id: stagings.id })
    .from(stagings)
    .leftJoin(nodes, eq(nodes.id, stagings.nodeId))
    .where(or(isNull(nodes.id), lt(nodes.heartbeatAt, staleBefore)));
  for (const { id } of abandoned) {
    await db.batch([
      db.delete(chunkRefs).where(eq(chunkRefs.owner, id)),
      db.delete(stagings).where(eq(stagings.id, id)),
    ]);
  }
  await db.delete(nodes).where(lt(nodes.heartbeatAt, staleBefore));
  return abandoned.length;
}

export async function collectChunks(
  db: Db,
  store: ChunkStore,
  opts: GcOptions,
): Promise<Pick<GcReport, 'chunksDeleted' | 'bytesFreed'>> {
  const leaseMs = opts.leaseMs ?? 30_000;
  const batchSize = opts.batchSize ?? 500;
  let chunksDeleted = 0;
  let bytesFreed = 0;
  for (;;) {
    const now = Date.now();
    const cutoff = now - opts.delayMs;
    // at most (not strictly before): with no delay, chunks freed earlier in this same millisecond (by
    // the sweeps that run just before) are collected in this run, not left for the next
    const collectable = and(
      eq(chunks.refcount, 0),
      lte(chunks.zeroSince, cutoff),
      or(isNull(chunks.gcLease), lt(chunks.gcLease, now)),
    );
    const candidates = await db
      .select({ hash: chunks.hash, size: chunks.size })
      .from(chunks)
      .where(collectable)
      .limit(batchSize);
    if (candidates.length === 0) break;
    for (const { hash, size } of candidates) {
      const lease = Date.now() + leaseMs;
      const taken = await db
        .update(chunks)
        .set({ gcLease: lease })
        .where(and(eq(chunks.hash, hash), collectable))
        .returning({ hash: chunks.hash });
      if (taken.length === 0) continue;
      if (Date.now() > lease - leaseMs / 2) continue; // paused since taking it: too close to its end to start
      await store.delete(hash);
      // too slow: a writer may have re-added the bytes; leave the row for next time
      if (Date.now() >= lease) continue;
      const gone = await db
        .delete(chunks)
        .where(and(eq(chunks.hash, hash), eq(chunks.refcount, 0), eq(chunks.gcLease, lease)))
        .returning({ hash: chunks.hash });
      if (gone.length) {
        chunksDeleted++;
        bytesFreed += size;
      }
    }
    if (candidates.length < batchSize) break;
  }
  return { chunksDeleted, bytesFreed };
}

export async function collectGarbage(db: Db, store: ChunkStore, opts: GcOptions): Promise<GcReport> {
  const abandonedStagings = await sweepAbandonedStagings(db, opts.nodeTimeoutMs);
  const { chunksDeleted, bytesFreed } = await collectChunks(db, store, opts);
  return { abandonedStagings, chunksDeleted, bytesFreed };
}

/** The statement of a heart-beat (writers put it in their own batches during long uploads). */
export function heartbeatStatement(db: Db, nodeId: string, now = Date.now()) {
  return db
    .insert(nodes)
    .values({ id: nodeId, startedAt: now, heartbeatAt: now })
    .onConflictDoUpdate({ target: nodes.id, set: { heartbeatAt: sql`excluded.heartbeat_at` } });
}

/** Heart-beat of this process, so other nodes (and its own restarts) can tell its stagings are live. */
export async function heartbeat(db: Db, nodeId: string): Promise<void> {
  await heartbeatStatement(db, nodeId);
}

export async function leaveCluster(db: Db, nodeId: string): Promise<void> {
  await db.delete(nodes).where(eq(nodes.id, nodeId));
}
