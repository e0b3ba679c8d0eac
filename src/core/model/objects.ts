/**
 * Object rows and their bytes' references. Every change is one atomic batch: the object row, the
 * chunk_refs it owns (whose triggers move refcounts), the replaced object's rows, and any precondition
 * (guards) either all happen or none does. Concurrent writers to one key therefore end with exactly
 * one complete winner, and a reader holding the old chunk list keeps valid bytes (chunks are immutable
 * and outlive their last reference by the GC delay).
 */
import { and, eq, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { type Db, guardIndex } from '../db/index.ts';
import { buckets, chunkRefs, guards, objectParts, objects, stagings } from '../db/schema.ts';
import { randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';
import { objectCountGuard, settle } from './quotas.ts';

export type StoredObject = typeof objects.$inferSelect;

/** The HTTP metadata S3 keeps with an object. */
export interface ObjectHeaders {
  contentType: string | null;
  cacheControl: string | null;
  contentDisposition: string | null;
  contentEncoding: string | null;
  contentLanguage: string | null;
  expires: string | null;
  userMeta: Record<string, string>;
}

export interface ObjectFacts {
  size: number;
  etag: string;
  checksumAlgorithm: string | null;
  checksumValue: string | null;
  checksumType: 'FULL_OBJECT' | 'COMPOSITE' | null;
  partsCount: number | null;
}

/** A staged body names its staging and how many chunk references it wrote (the commit checks both). */
export type Body =
  | { kind: 'inline'; data: Uint8Array }
  | { kind: 'staged'; stagingId: string; chunkCount: number };

/**
 * Refuses a commit whose staging is no longer whole: if the writer's node was taken for dead (no
 * heart-beat) its references were dropped, and committing what is left would make an object with
 * holes. The client gets RequestTimeout, which SDKs retry.
 */
export function stagingIntact(db: Db, staged: { stagingId: string; chunkCount: number }) {
  return {
    stmt: db.insert(guards).select(
      db
        .select({ reason: guardReason('RequestTimeout') })
        .from(sql`(SELECT 1)`)
        .where(sql`
      NOT EXISTS (SELECT 1 FROM ${stagings} WHERE ${stagings.id} = ${staged.stagingId})
      OR (SELECT count(*) FROM ${chunkRefs} WHERE ${chunkRefs.owner} = ${staged.stagingId}) <> ${staged.chunkCount}`),
    ),
    error: () =>
      new S3Error('RequestTimeout', 'The upload took so long that its parts were given up; send it again.'),
  };
}

/** Conditional write (If-Match / If-None-Match on PUT and on the copy destination). */
export interface WriteCondition {
  ifMatch?: string;
  ifNoneMatchAny?: boolean;
}

export function newObjectId(): string {
  // time-ordered prefix (ms, base36) + randomness: unique and roughly sortable by creation
  return `obj${Date.now().toString(36).padStart(9, '0')}${randomBase32(12)}`;
}

export function headersOf(o: StoredObject): ObjectHeaders {
  return {
    contentType: o.contentType,
    cacheControl: o.cacheControl,
    contentDisposition: o.contentDisposition,
    contentEncoding: o.contentEncoding,
    contentLanguage: o.contentLanguage,
    expires: o.expires,
    userMeta: JSON.parse(o.userMeta) as Record<string, string>,
  };
}

const guardReason = (reason: string) => sql<string>`${reason}`.as('reason');

/** Statements that fail the batch unless the bucket still exists and the condition on `key` holds. */
function preconditions(db: Db, bucketId: string, key: string, cond: WriteCondition | undefined) {
  return [
    {
      stmt: db.insert(guards).select(
        db
          .select({ reason: guardReason('NoSuchBucket') })
          .from(sql`(SELECT 1)`)
          .where(sql`NOT EXISTS (SELECT 1 FROM ${buckets} WHERE ${buckets.id} = ${bucketId})`),
      ) as BatchItem<'sqlite'>,
      error: () => new S3Error('NoSuchBucket'),
    },
    ...writeConditionGuards(db, bucketId, key, cond),
  ];
}

/**
 * Statements that fail the batch unless a conditional write's condition on `key` holds, checked in the
 * batch that writes (atomic against concurrent writers): If-None-Match: * wants no object there;
 * If-Match wants one (404 NoSuchKey otherwise, as S3) whose ETag matches (412 otherwise; `*` is any).
 */
export function writeConditionGuards(
  db: Db,
  bucketId: string,
  key: string,
  cond: WriteCondition | undefined,
) {
  const items: { stmt: BatchItem<'sqlite'>; error: () => S3Error }[] = [];
  const guard = (reason: string, where: ReturnType<typeof sql>) =>
    db.insert(guards).select(
      db
        .select({ reason: guardReason(reason) })
        .from(sql`(SELECT 1)`)
        .where(where),
    ) as BatchItem<'sqlite'>;
  const here = sql`${objects.bucketId} = ${bucketId} AND ${objects.key} = ${key}`;
  if (cond?.ifNoneMatchAny) {
    items.push({
      stmt: guard('PreconditionFailed', sql`EXISTS (SELECT 1 FROM ${objects} WHERE ${here})`),
      error: () =>
        new S3Error('PreconditionFailed', 'An object already exists at this key (If-None-Match: *).', {
          fields: { Condition: 'If-None-Match' },
        }),
    });
  }
  if (cond?.ifMatch !== undefined) {
    items.push({
      stmt: guard('NoSuchKey', sql`NOT EXISTS (SELECT 1 FROM ${objects} WHERE ${here})`),
      error: () =>
        new S3Error('NoSuchKey', 'There is no object at this key to match If-Match against.', {
          fields: { Key: key },
        }),
    });
    if (cond.ifMatch !== '*') {
      items.push({
        stmt: guard(
          'PreconditionFailed',
          sql`EXISTS (SELECT 1 FROM ${objects} WHERE ${here} AND ${objects.etag} <> ${cond.ifMatch})`,
        ),
        error: () => new S3Error('PreconditionFailed', undefined, { fields: { Condition: 'If-Match' } }),
      });
    }
  }
  return items;
}

/** Removes whatever object is at (bucket, key), with its references; nothing if there is none. */
function removeCurrent(db: Db, bucketId: string, key: string) {
  const currentId = sql`(SELECT ${objects.id} FROM ${objects} WHERE ${objects.bucketId} = ${bucketId} AND ${objects.key} = ${key})`;
  return [
    db.delete(chunkRefs).where(sql`${chunkRefs.owner} = ${currentId}`),
    db.delete(objects).where(and(eq(objects.bucketId, bucketId), eq(objects.key, key))),
  ];
}

async function runGuarded(
  db: Db,
  guarded: { error: () => S3Error }[],
  rest: BatchItem<'sqlite'>[],
  guardStmts: BatchItem<'sqlite'>[],
) {
  try {
    await db.batch([...guardStmts, ...rest] as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  } catch (e) {
    const at = guardIndex(e);
    if (at === null) throw e;
    throw (guarded[at] ?? guarded[0]!).error();
  }
}

/** Quota bookkeeping a commit carries: the object-count check, and the byte reservation it settles. */
export interface CommitQuota {
  accountId: string;
  maxObjects: number;
  reservationId?: string;
}

function quotaStatements(db: Db, q: CommitQuota | undefined, bucketId: string, key: string) {
  if (!q) return { guards: [], settles: [] as BatchItem<'sqlite'>[] };
  return {
    guards: [objectCountGuard(db, q.accountId, q.maxObjects, bucketId, key)],
    settles: q.reservationId ? [settle(db, q.reservationId)] : [],
  };
}

export interface PutObjectInput {
  bucketId: string;
  key: string;
  headers: ObjectHeaders;
  facts: ObjectFacts;
  body: Body;
  condition?: WriteCondition;
  quota?: CommitQuota;
}

/** Makes the new object visible, replacing the old one at that key, in one atomic batch. */
export async function commitObject(db: Db, input: PutObjectInput): Promise<StoredObject> {
  const row: StoredObject = {
    id: newObjectId(),
    bucketId: input.bucketId,
    key: input.key,
    lastModified: Date.now(),
    ...input.facts,
    ...input.headers,
    userMeta: JSON.stringify(input.headers.userMeta),
    uploadId: null,
    inlineData: input.body.kind === 'inline' ? input.body.data : null,
  };
  const q = quotaStatements(db, input.quota, input.bucketId, input.key);
  const guarded = [
    ...preconditions(db, input.bucketId, input.key, input.condition),
    ...q.guards,
    ...(input.body.kind === 'staged' ? [stagingIntact(db, input.body)] : []),
  ];
  const rest: BatchItem<'sqlite'>[] = [
    ...removeCurrent(db, input.bucketId, input.key),
    db.insert(objects).values(row),
    ...q.settles,
  ];
  if (input.body.kind === 'staged') {
    rest.push(db.update(chunkRefs).set({ owner: row.id }).where(eq(chunkRefs.owner, input.body.stagingId)));
    rest.push(db.delete(stagings).where(eq(stagings.id, input.body.stagingId)));
  }
  await runGuarded(
    db,
    guarded,
    rest,
    guarded.map((g) => g.stmt),
  );
  return row;
}

/**
 * A new object at the destination sharing the source's bytes: its chunk references are copied (the
 * triggers count them), no byte is read or written. Fails if the source changed since it was read.
 */
export async function copyObject(
  db: Db,
  source: StoredObject,
  dest: {
    bucketId: string;
    key: string;
    headers: ObjectHeaders;
    condition?: WriteCondition;
    quota?: CommitQuota;
  },
): Promise<StoredObject> {
  const q = quotaStatements(db, dest.quota, dest.bucketId, dest.key);
  const row: StoredObject = {
    ...source,
    ...dest.headers,
    id: newObjectId(),
    bucketId: dest.bucketId,
    key: dest.key,
    userMeta: JSON.stringify(dest.headers.userMeta),
    lastModified: Date.now(),
    uploadId: null,
  };
  const guarded = [
    ...preconditions(db, dest.bucketId, dest.key, dest.condition),
    ...q.guards,
    {
      stmt: db.insert(guards).select(
        db
          .select({ reason: guardReason('NoSuchKey') })
          .from(sql`(SELECT 1)`)
          .where(sql`NOT EXISTS (SELECT 1 FROM ${objects} WHERE ${objects.id} = ${source.id})`),
      ) as BatchItem<'sqlite'>,
      error: () =>
        new S3Error('NoSuchKey', 'The source object changed or disappeared during the copy; try again.'),
    },
  ];
  const rest: BatchItem<'sqlite'>[] = [
    // copy the references first: the source may be the object this copy replaces
    db.insert(chunkRefs).select(
      db
        .select({
          owner: sql<string>`${row.id}`.as('owner'),
          idx: chunkRefs.idx,
          offset: chunkRefs.offset,
          size: chunkRefs.size,
          hash: chunkRefs.hash,
        })
        .from(chunkRefs)
        .where(eq(chunkRefs.owner, source.id)),
    ),
    // and the part boundaries (a copy of a multipart object keeps its parts, as its ETag does)
    db.insert(objectParts).select(
      db
        .select({
          objectId: sql<string>`${row.id}`.as('object_id'),
          partNumber: objectParts.partNumber,
          offset: objectParts.offset,
          size: objectParts.size,
          etag: objectParts.etag,
          checksumValue: objectParts.checksumValue,
        })
        .from(objectParts)
        .where(eq(objectParts.objectId, source.id)),
    ),
    ...removeCurrent(db, dest.bucketId, dest.key),
    db.insert(objects).values(row),
    ...q.settles,
  ];
  await runGuarded(
    db,
    guarded,
    rest,
    guarded.map((g) => g.stmt),
  );
  return row;
}

/** Deletes the object at (bucket, key); true if there was one. */
export async function deleteObject(db: Db, bucketId: string, key: string): Promise<boolean> {
  const [, removed] = await db.batch([
    removeCurrent(db, bucketId, key)[0]!,
    db
      .delete(objects)
      .where(and(eq(objects.bucketId, bucketId), eq(objects.key, key)))
      .returning({ id: objects.id }),
  ]);
  return removed.length > 0;
}
