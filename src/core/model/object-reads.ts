/**
 * Reading object rows and their chunk lists. An object's row and its chunk_refs are written in one batch
 * (objects.ts) and never changed afterwards, only replaced: a reader that finds the chunk list no longer
 * covering the row it read knows the object was replaced in between, and reads again.
 */
import { and, asc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { ChunkSpan } from '../block/reader.ts';
import { type ChangeStamp, type Db, prepared } from '../db/index.ts';
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

/**
 * A map bounded by the summed size of its values (`sizeOf`); the longest kept go first, and a value
 * larger than the bound is not kept at all. Under InlineBodies, ChunkLists and ObjectRows.
 */
class SizedMap<K, V> {
  private readonly entries = new Map<K, V>();
  private total = 0;

  constructor(
    private readonly max: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): void {
    this.delete(key);
    const size = this.sizeOf(value);
    if (size > this.max) return;
    this.entries.set(key, value);
    this.total += size;
    for (const [oldest] of this.entries) {
      if (this.total <= this.max) break;
      this.delete(oldest);
    }
  }

  delete(key: K): void {
    const kept = this.entries.get(key);
    if (kept === undefined) return;
    this.entries.delete(key);
    this.total -= this.sizeOf(kept);
  }

  /** The summed size of what is kept. */
  get size(): number {
    return this.total;
  }
}

/**
 * Small objects' bytes (kept in their row: QOIMA_INLINE_MAX), remembered by object id. A row of objects
 * is never updated, only replaced by a row with a new id (objects.ts), so bytes kept for an id are that
 * object's for good. The lookup still runs on every read and says which id is current; only when that is
 * the remembered one does it leave the bytes out (no overflow pages read, no blob copied out of SQLite:
 * 8-9 µs of CPU an anonymous 4 KiB GET). At most `maxBytes` are kept; the longest kept go first.
 */
export class InlineBodies {
  private readonly byKey: SizedMap<string, { id: string; bytes: Uint8Array }>;

  constructor(maxBytes = 16 * 1024 * 1024) {
    this.byKey = new SizedMap(maxBytes, (entry) => entry.bytes.byteLength);
  }

  /** What is remembered for the object at `key`: its id and bytes, if any. */
  hint(bucketId: string, key: string): { id: string; bytes: Uint8Array } | undefined {
    return this.byKey.get(`${bucketId}/${key}`);
  }

  /** Remembers `bytes` as the object `id`'s, now at `key` (null: no inline object is there now). */
  note(bucketId: string, key: string, id: string, bytes: Uint8Array | null): void {
    const at = `${bucketId}/${key}`;
    if (bytes) this.byKey.set(at, { id, bytes });
    else this.byKey.delete(at);
  }

  get bytes(): number {
    return this.byKey.size;
  }
}

/** A lookup's answer: the object (null: none at that key) and the settings generation read with it. */
export interface FoundObject {
  obj: StoredObject | null;
  gen: number;
}

/**
 * Object lookups remembered under the database's change stamp (db/index.ts): while the stamp has not
 * moved nothing was committed by anyone, so what a lookup read (the row or its absence, and the
 * settings generation) is still exactly what the database holds, and a GET makes no query at all. Any
 * commit anywhere (a PUT, a settings change, the request log's next batch) moves the stamp; the next
 * lookup reads again. The stamp is taken before the query it tags: a commit in between only makes the
 * entry look older than it is. Callers get shallow copies (the inline bytes are shared and never
 * written). At most `maxBytes` are kept, estimated from the entry's strings and bytes.
 */
export class ObjectRows {
  private readonly byKey: SizedMap<string, { stamp: string; found: FoundObject; size: number }>;

  constructor(
    readonly stamp: ChangeStamp,
    maxBytes = 32 * 1024 * 1024,
  ) {
    this.byKey = new SizedMap(maxBytes, (entry) => entry.size);
  }

  /** The answer kept for `at` while nothing is committed; else `load`'s, kept under the stamp read first. */
  async answer(at: string, load: () => Promise<FoundObject>): Promise<FoundObject> {
    const stamp = this.stamp();
    const kept = this.get(at, stamp);
    if (kept) return kept;
    const found = await load();
    this.set(at, stamp, found);
    return found;
  }

  /** What a lookup at `at` read under `stamp`, if anything. */
  get(at: string, stamp: string): FoundObject | undefined {
    const kept = this.byKey.get(at);
    if (kept?.stamp !== stamp) return undefined;
    return { obj: kept.found.obj && { ...kept.found.obj }, gen: kept.found.gen };
  }

  set(at: string, stamp: string, found: FoundObject): void {
    let size = 256 + 2 * (at.length + stamp.length); // (strings counted at two bytes a character)
    for (const value of Object.values(found.obj ?? {}))
      size +=
        typeof value === 'string' ? 2 * value.length : value instanceof Uint8Array ? value.byteLength : 16;
    this.byKey.set(at, { stamp, found: { obj: found.obj && { ...found.obj }, gen: found.gen }, size });
  }
}

/**
 * The generation's row joined with the object's (none: its columns are NULL), as plain SQL; the first
 * parameter is the id whose inline bytes the reader already has (they are then left out).
 */
const OBJECT_AND_GENERATION =
  `SELECT g.gen, ${OBJECT_COLUMNS.map(([, c]) =>
    c.name === 'inline_data' ? `CASE WHEN o.id = ? THEN NULL ELSE o."inline_data" END` : `o."${c.name}"`,
  ).join(', ')} ` +
  'FROM settings_generation g LEFT JOIN objects o ON o.bucket_id = ? AND o."key" = ? WHERE g.id = 1 LIMIT ?';

/**
 * The object at `key`, if any, and the settings generation (core/freshness.ts) in the same query: a
 * GET proves its cached settings with the lookup it makes anyway. Every GET and HEAD runs it, so it
 * goes to the client as plain SQL and its row is read by position (drizzle's generic row mapping was
 * a tenth of the instructions of an anonymous GET); each column is still decoded by its drizzle type.
 * With `bodies`, a small object's bytes come from there when its id is the one remembered; with `rows`,
 * the whole answer while nothing has been committed since it was read.
 */
export async function findObjectAndGeneration(
  db: Db,
  bucketId: string,
  key: string,
  bodies?: InlineBodies,
  rows?: ObjectRows,
): Promise<FoundObject> {
  const load = () => lookUp(db, bucketId, key, bodies);
  return rows ? rows.answer(`${bucketId}/${key}`, load) : load();
}

async function lookUp(db: Db, bucketId: string, key: string, bodies?: InlineBodies): Promise<FoundObject> {
  const hint = bodies?.hint(bucketId, key);
  const args = [hint?.id ?? '', bucketId, key, 1];
  const rs = await db.$client.execute({ sql: OBJECT_AND_GENERATION, args });
  const row = rs.rows[0];
  if (!row) return { obj: null, gen: 0 };
  const gen = Number(row[0] ?? 0);
  if (row[1] === null || row[1] === undefined) {
    if (hint) bodies!.note(bucketId, key, '', null);
    return { obj: null, gen };
  }
  const obj: Record<string, unknown> = {};
  for (let i = 0; i < OBJECT_COLUMNS.length; i++) {
    const [prop, column] = OBJECT_COLUMNS[i]!;
    const value = row[i + 1];
    obj[prop] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  if (hint && obj.id === hint.id) obj.inlineData = hint.bytes;
  else if (bodies && (hint || obj.inlineData))
    bodies.note(bucketId, key, obj.id as string, obj.inlineData as Uint8Array | null);
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
 * Chunk lists read lately, by object id: an object's references are written with its row and never
 * change while it exists (the top of this file), so a list that covered the object once is its list for
 * good (a second statement less for every GET of a chunked object). At most `maxSpans` spans in all;
 * the longest kept go first. (An object deleted between its row's read and its chunks' read is still
 * served whole: its chunks outlive it by the GC delay, QOIMA_GC_DELAY_SECONDS.)
 */
export class ChunkLists {
  private readonly byId: SizedMap<string, ChunkSpan[]>;

  constructor(maxSpans = 65_536) {
    this.byId = new SizedMap(maxSpans, (list) => list.length);
  }

  get(objectId: string): ChunkSpan[] | undefined {
    return this.byId.get(objectId);
  }

  keep(objectId: string, spans: ChunkSpan[]): void {
    this.byId.set(objectId, spans);
  }

  get spans(): number {
    return this.byId.size;
  }
}

/**
 * The chunk list of a chunked object, or null when it no longer covers the object: the object was
 * overwritten or deleted between reading its row and its references (they go in the same batch).
 * With `lists`, a list kept for the object's id is answered without a statement.
 */
export async function spansOf(
  db: Db,
  obj: Pick<StoredObject, 'id' | 'size'>,
  lists?: ChunkLists,
): Promise<ChunkSpan[] | null> {
  const known = lists?.get(obj.id);
  if (known) return known;
  const spans = await chunkSpans(db, obj.id);
  let at = 0;
  for (const s of spans) {
    if (s.offset !== at) return null;
    at += s.size;
  }
  if (at !== obj.size) return null;
  lists?.keep(obj.id, spans);
  return spans;
}
