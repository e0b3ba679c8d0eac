/**
 * Scrub: read every chunk back and check it against its hash, check that every reference count equals
 * the references that exist, and find files no row knows. With `repair`:
 *  - a corrupt chunk's bytes are deleted, so the chunk reads as missing (a loud error, never wrong
 *    bytes) and the next upload of the same content writes them again, healing every object that
 *    shares them (the writer only skips bytes the store already has);
 *  - wrong reference counts are set to the number of references (zero starts the GC delay);
 *  - references to a chunk with no row get their row back;
 *  - files no row knows get an unreferenced row, so the collector deletes them after the GC delay
 *    under its lease (deleting them here could race a writer that just started to reference them).
 * The report names the objects (bucket/key) that read through each corrupt or missing chunk.
 */
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import { readVerifiedChunk } from '../block/reader.ts';
import { ChunkCorruptError, ChunkMissingError, type ChunkStore } from '../block/store.ts';
import type { Db } from '../db/index.ts';
import { buckets, chunkRefs, chunks, multipartParts, multipartUploads, objects } from '../db/schema.ts';

export interface DamagedChunk {
  hash: string;
  /** "bucket/key" of every object that reads through the chunk (and "bucket/key (upload)" for parts). */
  objects: string[];
}

export interface ScrubReport {
  /** Referenced chunks read and checked, damaged ones included. */
  chunksChecked: number;
  /** Their sizes as recorded, damaged ones included. */
  bytesChecked: number;
  /** How many of them were corrupt or missing. */
  chunksDamaged: number;
  corrupt: DamagedChunk[];
  missing: DamagedChunk[];
  /**
   * Damage still there when scrub is done: every corrupt and missing chunk, or with `repair` only the
   * missing ones (their content is gone until it is uploaded again; a corrupt chunk's repair is the
   * removal of its bytes, after which later scrubs report it missing).
   */
  remaining: DamagedChunk[];
  refcountsFixed: { hash: string; recorded: number | null; actual: number }[];
  orphanFiles: string[];
  repaired: boolean;
}

async function whoUses(db: Db, hash: string): Promise<string[]> {
  const objs = await db
    .select({ bucket: buckets.name, key: objects.key })
    .from(chunkRefs)
    .innerJoin(objects, eq(objects.id, chunkRefs.owner))
    .innerJoin(buckets, eq(buckets.id, objects.bucketId))
    .where(eq(chunkRefs.hash, hash));
  const parts = await db
    .select({ bucket: buckets.name, key: multipartUploads.key })
    .from(chunkRefs)
    .innerJoin(multipartParts, eq(multipartParts.owner, chunkRefs.owner))
    .innerJoin(multipartUploads, eq(multipartUploads.id, multipartParts.uploadId))
    .innerJoin(buckets, eq(buckets.id, multipartUploads.bucketId))
    .where(eq(chunkRefs.hash, hash));
  return [
    ...new Set([
      ...objs.map((o) => `${o.bucket}/${o.key}`),
      ...parts.map((p) => `${p.bucket}/${p.key} (upload in progress)`),
    ]),
  ];
}

export async function scrub(db: Db, store: ChunkStore, opts: { repair: boolean }): Promise<ScrubReport> {
  const report: ScrubReport = {
    chunksChecked: 0,
    bytesChecked: 0,
    chunksDamaged: 0,
    corrupt: [],
    missing: [],
    refcountsFixed: [],
    orphanFiles: [],
    remaining: [],
    repaired: opts.repair,
  };

  // 1. every referenced chunk, re-read and re-hashed (unreferenced ones may already be collected)
  for (let after = ''; ; ) {
    const page = await db
      .select({ hash: chunks.hash, size: chunks.size })
      .from(chunks)
      .where(and(gt(chunks.hash, after), gt(chunks.refcount, 0)))
      .orderBy(asc(chunks.hash))
      .limit(500);
    if (page.length === 0) break;
    for (const { hash, size } of page) {
      after = hash;
      report.chunksChecked++;
      report.bytesChecked += size;
      try {
        await readVerifiedChunk(store, hash, { size, full: true });
      } catch (e) {
        report.chunksDamaged++;
        if (e instanceof ChunkMissingError) report.missing.push({ hash, objects: await whoUses(db, hash) });
        else if (e instanceof ChunkCorruptError) {
          report.corrupt.push({ hash, objects: await whoUses(db, hash) });
          if (opts.repair) await store.delete(hash);
        } else throw e;
      }
    }
  }

  // 2. reference counts against the references that exist (and references with no chunk row)
  const actual = sql<number>`(SELECT count(*) FROM ${chunkRefs} WHERE ${chunkRefs.hash} = ${chunks.hash})`;
  const wrong = await db
    .select({ hash: chunks.hash, recorded: chunks.refcount, actual })
    .from(chunks)
    .where(sql`${chunks.refcount} <> ${actual}`);
  const rowless = await db
    .select({
      hash: chunkRefs.hash,
      size: sql<number>`max(${chunkRefs.size})`,
      actual: sql<number>`count(*)`,
    })
    .from(chunkRefs)
    .where(sql`NOT EXISTS (SELECT 1 FROM ${chunks} WHERE ${chunks.hash} = ${chunkRefs.hash})`)
    .groupBy(chunkRefs.hash);
  report.refcountsFixed = [
    ...wrong,
    ...rowless.map((r) => ({ hash: r.hash, recorded: null, actual: r.actual })),
  ];
  if (opts.repair) {
    for (const w of wrong) {
      await db
        .update(chunks)
        .set({ refcount: w.actual, zeroSince: w.actual === 0 ? Date.now() : null })
        .where(and(eq(chunks.hash, w.hash), eq(chunks.refcount, w.recorded)));
    }
    for (const r of rowless) {
      await db
        .insert(chunks)
        .values({ hash: r.hash, size: r.size, refcount: r.actual })
        .onConflictDoNothing();
    }
  }

  // 3. files in the store that no row knows
  let batch: string[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const known = new Set(
      (await db.select({ hash: chunks.hash }).from(chunks).where(inArray(chunks.hash, batch))).map(
        (r) => r.hash,
      ),
    );
    for (const h of batch) {
      if (known.has(h)) continue;
      report.orphanFiles.push(h);
      const bytes = opts.repair ? await store.get(h) : null;
      if (bytes)
        await db
          .insert(chunks)
          .values({ hash: h, size: bytes.length, refcount: 0, zeroSince: Date.now() })
          .onConflictDoNothing();
    }
    batch = [];
  };
  for await (const hash of store.list()) {
    batch.push(hash);
    if (batch.length === 500) await flush();
  }
  await flush();
  report.remaining = opts.repair ? report.missing : [...report.corrupt, ...report.missing];
  return report;
}

export function scrubIsClean(r: ScrubReport): boolean {
  return !r.corrupt.length && !r.missing.length && !r.refcountsFixed.length && !r.orphanFiles.length;
}
