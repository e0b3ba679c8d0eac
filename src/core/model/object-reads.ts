/**
 * Reading object rows and their chunk lists. An object's row and its chunk_refs are written in one batch
 * (objects.ts) and never changed afterwards, only replaced: a reader that finds the chunk list no longer
 * covering the row it read knows the object was replaced in between, and reads again.
 */
import { and, asc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { ChunkSpan } from '../block/reader.ts';
import { type Db, prepared } from '../db/index.ts';
import { chunkRefs, chunks, objects } from '../db/schema.ts';
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

/** objects' columns in table order, with the property each one fills in a StoredObject. */
const OBJECT_COLUMNS = Object.entries(getTableColumns(objects));

/** The generation's row joined with the object's (none: its columns are NULL), as plain SQL. */
const OBJECT_AND_GENERATION =
  `SELECT g.gen, ${OBJECT_COLUMNS.map(([, c]) => `o."${c.name}"`).join(', ')} ` +
  'FROM settings_generation g LEFT JOIN objects o ON o.bucket_id = ? AND o."key" = ? WHERE g.id = 1 LIMIT ?';

/**
 * The object at `key`, if any, and the settings generation (core/freshness.ts) in the same query: a
 * GET proves its cached settings with the lookup it makes anyway. Every GET and HEAD runs it, so it
 * goes to the client as plain SQL and its row is read by position (drizzle's generic row mapping was
 * a tenth of the instructions of an anonymous GET); each column is still decoded by its drizzle type.
 */
export async function findObjectAndGeneration(
  db: Db,
  bucketId: string,
  key: string,
): Promise<{ obj: StoredObject | null; gen: number }> {
  const rs = await db.$client.execute({ sql: OBJECT_AND_GENERATION, args: [bucketId, key, 1] });
  const row = rs.rows[0];
  if (!row) return { obj: null, gen: 0 };
  const gen = Number(row[0] ?? 0);
  if (row[1] === null || row[1] === undefined) return { obj: null, gen };
  const obj: Record<string, unknown> = {};
  for (let i = 0; i < OBJECT_COLUMNS.length; i++) {
    const [prop, column] = OBJECT_COLUMNS[i]!;
    const value = row[i + 1];
    obj[prop] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return { obj: obj as StoredObject, gen };
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
