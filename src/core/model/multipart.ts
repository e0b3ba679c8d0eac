/**
 * Multipart uploads. A part's bytes are chunk_refs owned by a fresh owner id per upload of that part;
 * re-uploading a part replaces the owner (its old refs go in the same batch). Completing moves each
 * listed part's refs onto the new object, shifting their indexes and offsets: no byte is copied.
 */
import { and, asc, eq, gt, gte, inArray, lt, or, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { type Db, guardIndex } from '../db/index.ts';
import {
  buckets,
  chunkRefs,
  guards,
  multipartParts,
  multipartUploads,
  objectParts,
  objects,
  stagings,
} from '../db/schema.ts';
import { randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';
import { prefixEnd } from './listing.ts';
import {
  type CommitQuota,
  type ObjectFacts,
  type ObjectHeaders,
  type StoredObject,
  type WriteCondition,
  newObjectId,
  stagingIntact,
  writeConditionGuards,
} from './objects.ts';
import { objectCountGuard, settle } from './quotas.ts';

export type Upload = typeof multipartUploads.$inferSelect;
export type Part = typeof multipartParts.$inferSelect;

export const MAX_PART_NUMBER = 10_000;

function noSuchUpload(uploadId: string): S3Error {
  return new S3Error('NoSuchUpload', undefined, { fields: { UploadId: uploadId } });
}

const guardIf = (db: Db, reason: string, condition: ReturnType<typeof sql>) =>
  db.insert(guards).select(
    db
      .select({ reason: sql<string>`${reason}`.as('reason') })
      .from(sql`(SELECT 1)`)
      .where(condition),
  );

export async function createUpload(
  db: Db,
  opts: {
    bucketId: string;
    key: string;
    headers: ObjectHeaders;
    checksumAlgorithm: string | null;
    checksumType: 'FULL_OBJECT' | 'COMPOSITE' | null;
  },
): Promise<Upload> {
  const row: Upload = {
    id: randomBase32(32),
    bucketId: opts.bucketId,
    key: opts.key,
    initiatedAt: Date.now(),
    headers: JSON.stringify(opts.headers),
    checksumAlgorithm: opts.checksumAlgorithm,
    checksumType: opts.checksumType,
  };
  await db.insert(multipartUploads).values(row);
  return row;
}

/** The upload, which must belong to this bucket and key. */
export async function findUpload(db: Db, bucketId: string, key: string, uploadId: string): Promise<Upload> {
  const [row] = await db.select().from(multipartUploads).where(eq(multipartUploads.id, uploadId)).limit(1);
  if (!row || row.bucketId !== bucketId || row.key !== key) throw noSuchUpload(uploadId);
  return row;
}

/** Makes a staged body the part `partNumber`, replacing an earlier upload of that part. */
export async function commitPart(
  db: Db,
  upload: Upload,
  part: {
    partNumber: number;
    size: number;
    etag: string;
    checksumValue: string | null;
    staged: { stagingId: string; chunkCount: number } | null;
    reservationId?: string;
  },
): Promise<Part> {
  const { staged: _s, reservationId: _r, ...fields } = part;
  const intact = part.staged ? stagingIntact(db, part.staged) : null;
  const row: Part = {
    uploadId: upload.id,
    ...fields,
    owner: `prt_${randomBase32(20)}`,
    lastModified: Date.now(),
  };
  const oldOwner = sql`(SELECT ${multipartParts.owner} FROM ${multipartParts} WHERE ${multipartParts.uploadId} = ${upload.id} AND ${multipartParts.partNumber} = ${part.partNumber})`;
  const stmts: BatchItem<'sqlite'>[] = [
    guardIf(
      db,
      'NoSuchUpload',
      sql`NOT EXISTS (SELECT 1 FROM ${multipartUploads} WHERE ${multipartUploads.id} = ${upload.id})`,
    ),
    ...(intact ? [intact.stmt] : []),
    db.delete(chunkRefs).where(sql`${chunkRefs.owner} = ${oldOwner}`),
    db
      .delete(multipartParts)
      .where(and(eq(multipartParts.uploadId, upload.id), eq(multipartParts.partNumber, part.partNumber))),
    db.insert(multipartParts).values(row),
    ...(part.reservationId ? [settle(db, part.reservationId)] : []),
  ];
  if (part.staged) {
    stmts.push(
      db.update(chunkRefs).set({ owner: row.owner }).where(eq(chunkRefs.owner, part.staged.stagingId)),
    );
    stmts.push(db.delete(stagings).where(eq(stagings.id, part.staged.stagingId)));
  }
  try {
    await db.batch(stmts as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  } catch (e) {
    const at = guardIndex(e);
    if (at === 1 && intact) throw intact.error();
    if (at !== null) throw noSuchUpload(upload.id);
    throw e;
  }
  return row;
}

export async function listParts(db: Db, uploadId: string, after: number, limit: number): Promise<Part[]> {
  return db
    .select()
    .from(multipartParts)
    .where(and(eq(multipartParts.uploadId, uploadId), gt(multipartParts.partNumber, after)))
    .orderBy(asc(multipartParts.partNumber))
    .limit(limit);
}

export async function partsOf(db: Db, uploadId: string, numbers: number[]): Promise<Map<number, Part>> {
  const out = new Map<number, Part>();
  for (let i = 0; i < numbers.length; i += 500) {
    const rows = await db
      .select()
      .from(multipartParts)
      .where(
        and(
          eq(multipartParts.uploadId, uploadId),
          inArray(multipartParts.partNumber, numbers.slice(i, i + 500)),
        ),
      );
    for (const r of rows) out.set(r.partNumber, r);
  }
  return out;
}

/** Statements that drop an upload with all its parts and their chunk references. */
function dropUpload(db: Db, uploadId: string): BatchItem<'sqlite'>[] {
  return [
    db
      .delete(chunkRefs)
      .where(
        sql`${chunkRefs.owner} IN (SELECT ${multipartParts.owner} FROM ${multipartParts} WHERE ${multipartParts.uploadId} = ${uploadId})`,
      ),
    db.delete(multipartParts).where(eq(multipartParts.uploadId, uploadId)),
    db.delete(multipartUploads).where(eq(multipartUploads.id, uploadId)),
  ];
}

export async function abortUpload(db: Db, uploadId: string): Promise<void> {
  const [refs, parts] = dropUpload(db, uploadId);
  const [, , gone] = await db.batch([
    refs!,
    parts!,
    db
      .delete(multipartUploads)
      .where(eq(multipartUploads.id, uploadId))
      .returning({ id: multipartUploads.id }),
  ]);
  if (gone.length === 0) throw noSuchUpload(uploadId);
}

/**
 * Index space reserved per part within an object: a part holds at most 5 GiB, i.e. 81,920 chunks
 * of the smallest chunk size (64 KiB); keeping a fixed stride lets completion shift whole parts with
 * one UPDATE each. Reads order by idx, so gaps between parts are harmless.
 */
const MAX_CHUNKS_PER_PART = 1 << 24;

/**
 * Turns the listed parts (in order, already checked) into the object at the upload's key, atomically:
 * the previous object at that key goes, the unlisted parts' bytes are released, the upload ends.
 */
export async function completeUpload(
  db: Db,
  upload: Upload,
  parts: Part[],
  facts: ObjectFacts,
  condition?: WriteCondition,
  quota?: CommitQuota,
): Promise<StoredObject> {
  const headers = JSON.parse(upload.headers) as ObjectHeaders;
  const row: StoredObject = {
    id: newObjectId(),
    bucketId: upload.bucketId,
    key: upload.key,
    lastModified: Date.now(),
    ...facts,
    ...headers,
    userMeta: JSON.stringify(headers.userMeta),
    uploadId: upload.id,
    inlineData: null,
  };
  const guarded: { stmt: BatchItem<'sqlite'>; error: () => S3Error }[] = [
    {
      stmt: guardIf(
        db,
        'NoSuchUpload',
        sql`NOT EXISTS (SELECT 1 FROM ${multipartUploads} WHERE ${multipartUploads.id} = ${upload.id})`,
      ),
      error: () => noSuchUpload(upload.id),
    },
    {
      stmt: guardIf(
        db,
        'NoSuchBucket',
        sql`NOT EXISTS (SELECT 1 FROM ${buckets} WHERE ${buckets.id} = ${upload.bucketId})`,
      ),
      error: () => new S3Error('NoSuchBucket'),
    },
  ];
  guarded.push(...writeConditionGuards(db, upload.bucketId, upload.key, condition));
  if (quota)
    guarded.push(objectCountGuard(db, quota.accountId, quota.maxObjects, upload.bucketId, upload.key));
  // every listed part must still be the version that was checked (a part re-uploaded meanwhile fails)
  for (const p of parts) {
    guarded.push({
      stmt: guardIf(
        db,
        'InvalidPart',
        sql`NOT EXISTS (SELECT 1 FROM ${multipartParts} WHERE ${multipartParts.uploadId} = ${upload.id} AND ${multipartParts.partNumber} = ${p.partNumber} AND ${multipartParts.owner} = ${p.owner})`,
      ),
      error: () =>
        new S3Error('InvalidPart', `Part ${p.partNumber} changed while the upload was being completed.`),
    });
  }
  const currentId = sql`(SELECT ${objects.id} FROM ${objects} WHERE ${objects.bucketId} = ${upload.bucketId} AND ${objects.key} = ${upload.key})`;
  const stmts: BatchItem<'sqlite'>[] = [
    db.delete(chunkRefs).where(sql`${chunkRefs.owner} = ${currentId}`),
    db.delete(objects).where(and(eq(objects.bucketId, upload.bucketId), eq(objects.key, upload.key))),
    db.insert(objects).values(row),
  ];
  // move each part's refs onto the object: index and offset shift by what came before (no byte moves)
  let offset = 0;
  let idxBase = 0;
  const partRows: (typeof objectParts.$inferInsert)[] = [];
  for (const p of parts) {
    partRows.push({
      objectId: row.id,
      partNumber: p.partNumber,
      offset,
      size: p.size,
      etag: p.etag,
      checksumValue: p.checksumValue,
    });
    stmts.push(
      db
        .update(chunkRefs)
        .set({
          owner: row.id,
          idx: sql`${chunkRefs.idx} + ${idxBase}`,
          offset: sql`${chunkRefs.offset} + ${offset}`,
        })
        .where(eq(chunkRefs.owner, p.owner)),
    );
    offset += p.size;
    idxBase += MAX_CHUNKS_PER_PART;
  }
  for (let i = 0; i < partRows.length; i += 500)
    stmts.push(db.insert(objectParts).values(partRows.slice(i, i + 500)));
  stmts.push(...dropUpload(db, upload.id));
  try {
    await db.batch([...guarded.map((g) => g.stmt), ...stmts] as [
      BatchItem<'sqlite'>,
      ...BatchItem<'sqlite'>[],
    ]);
  } catch (e) {
    const at = guardIndex(e);
    if (at === null) throw e;
    throw (guarded[at] ?? guarded[0]!).error();
  }
  return row;
}

export interface UploadListRequest {
  bucketId: string;
  prefix: string;
  keyMarker: string;
  uploadIdMarker: string;
  limit: number;
}

/** In-progress uploads in (key, upload id) order, after the markers. */
export async function listUploads(db: Db, req: UploadListRequest): Promise<Upload[]> {
  const after = !req.keyMarker
    ? undefined
    : req.uploadIdMarker
      ? or(
          gt(multipartUploads.key, req.keyMarker),
          and(eq(multipartUploads.key, req.keyMarker), gt(multipartUploads.id, req.uploadIdMarker)),
        )
      : gt(multipartUploads.key, req.keyMarker);
  const end = req.prefix ? prefixEnd(req.prefix) : null;
  return db
    .select()
    .from(multipartUploads)
    .where(
      and(
        eq(multipartUploads.bucketId, req.bucketId),
        req.prefix ? gte(multipartUploads.key, req.prefix) : undefined,
        end !== null ? lt(multipartUploads.key, end) : undefined,
        after,
      ),
    )
    .orderBy(asc(multipartUploads.key), asc(multipartUploads.id))
    .limit(req.limit);
}

/** Aborts uploads started before `olderThan` (abandoned by their clients); returns how many. */
export async function abortAbandonedUploads(db: Db, olderThan: number): Promise<number> {
  const old = await db
    .select({ id: multipartUploads.id })
    .from(multipartUploads)
    .where(lt(multipartUploads.initiatedAt, olderThan))
    .limit(1000);
  for (const { id } of old)
    await db.batch(dropUpload(db, id) as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  return old.length;
}
