/**
 * The parts of completed multipart objects (object_parts rows, written in the batch that completes the
 * upload and dropped with their object by a trigger): part-wise reads, GetObjectAttributes, and
 * recognising a retried CompleteMultipartUpload.
 */
import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { objectParts, objects } from '../db/schema.ts';
import type { StoredObject } from './objects.ts';

export type ObjectPart = typeof objectParts.$inferSelect;

/** The object that upload `uploadId` made, while it is still the object at its key. */
export async function completedBy(
  db: Db,
  bucketId: string,
  key: string,
  uploadId: string,
): Promise<StoredObject | null> {
  const [row] = await db
    .select()
    .from(objects)
    .where(and(eq(objects.bucketId, bucketId), eq(objects.key, key), eq(objects.uploadId, uploadId)))
    .limit(1);
  return row ?? null;
}

/** Part `partNumber` of an object, or null when it has none of that number. */
export async function objectPart(db: Db, objectId: string, partNumber: number): Promise<ObjectPart | null> {
  const [row] = await db
    .select()
    .from(objectParts)
    .where(and(eq(objectParts.objectId, objectId), eq(objectParts.partNumber, partNumber)))
    .limit(1);
  return row ?? null;
}

/** An object's parts numbered above `after`, in order, at most `limit`. */
export async function objectPartList(
  db: Db,
  objectId: string,
  after: number,
  limit: number,
): Promise<ObjectPart[]> {
  return db
    .select()
    .from(objectParts)
    .where(and(eq(objectParts.objectId, objectId), gt(objectParts.partNumber, after)))
    .orderBy(asc(objectParts.partNumber))
    .limit(limit);
}
