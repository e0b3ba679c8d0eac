/**
 * Reading object rows and their chunk lists. An object's row and its chunk_refs are written in one batch
 * (objects.ts) and never changed afterwards, only replaced: a reader that finds the chunk list no longer
 * covering the row it read knows the object was replaced in between, and reads again.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { ChunkSpan } from '../block/reader.ts';
import { type Db, prepared } from '../db/index.ts';
import { chunkRefs, chunks, objects, settingsGeneration } from '../db/schema.ts';
import type { StoredObject } from './objects.ts';

export async function findObject(db: Db, bucketId: string, key: string): Promise<StoredObject | null> {
  const stmt = prepared(db, 'findObject', (d) =>
    d
      .select()
      .from(objects)
      .where(and(eq(objects.bucketId, sql.placeholder('bucketId')), eq(objects.key, sql.placeholder('key'))))
      .limit(1)
      .prepare(),
  );
  return (await stmt.get({ bucketId, key })) ?? null;
}

/**
 * The object at `key`, if any, and the settings generation (core/freshness.ts) in the same query: a
 * GET proves its cached settings with the lookup it makes anyway.
 */
export async function findObjectAndGeneration(
  db: Db,
  bucketId: string,
  key: string,
): Promise<{ obj: StoredObject | null; gen: number }> {
  const stmt = prepared(db, 'findObjectAndGeneration', (d) =>
    d
      .select({ gen: settingsGeneration.gen, obj: objects })
      .from(settingsGeneration)
      .leftJoin(
        objects,
        and(eq(objects.bucketId, sql.placeholder('bucketId')), eq(objects.key, sql.placeholder('key'))),
      )
      .where(eq(settingsGeneration.id, 1))
      .limit(1)
      .prepare(),
  );
  const row = await stmt.get({ bucketId, key });
  return { obj: row?.obj ?? null, gen: row?.gen ?? 0 };
}

async function chunkSpans(db: Db, objectId: string): Promise<ChunkSpan[]> {
  const stmt = prepared(db, 'chunkSpans', (d) =>
    d
      .select({ hash: chunkRefs.hash, offset: chunkRefs.offset, size: chunkRefs.size, xxh64: chunks.xxh64 })
      .from(chunkRefs)
      .leftJoin(chunks, eq(chunks.hash, chunkRefs.hash))
      .where(eq(chunkRefs.owner, sql.placeholder('owner')))
      .orderBy(asc(chunkRefs.idx))
      .prepare(),
  );
  return stmt.all({ owner: objectId });
}

/**
 * The chunk list of a chunked object, or null when it no longer covers the object: the object was
 * overwritten or deleted between reading its row and its references (they go in the same batch).
 */
export async function spansOf(db: Db, obj: Pick<StoredObject, 'id' | 'size'>): Promise<ChunkSpan[] | null> {
  const spans = await chunkSpans(db, obj.id);
  let at = 0;
  for (const s of spans) {
    if (s.offset !== at) return null;
    at += s.size;
  }
  return at === obj.size ? spans : null;
}
