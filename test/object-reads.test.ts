/**
 * The object lookup every GET and HEAD makes (findObjectAndGeneration: plain SQL, read by position)
 * answers exactly what drizzle's mapping of the same row answers (findObject), on @libsql/client and
 * on the Node entry's own client, for an object with every column set and for one with none; and with
 * the small objects' bytes it remembers (InlineBodies) and the lookups it keeps under the database's
 * change stamp (ObjectRows), what is at the key now, never what was there.
 */
import { createClient } from '@libsql/client';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../src/core/db/index.ts';
import { accounts, buckets, objects } from '../src/core/db/schema.ts';
import { eq } from 'drizzle-orm';
import {
  ChunkLists,
  InlineBodies,
  ObjectRows,
  findObject,
  findObjectAndGeneration,
} from '../src/core/model/object-reads.ts';
import type { StoredObject } from '../src/core/model/objects.ts';
import { LocalClient } from '../src/local/libsql-client.ts';
import { migratedDb } from './helpers/db.ts';
import { removeDir, tempDir } from './helpers/server.ts';

let dir: string;
const full: StoredObject = {
  id: 'obj-full',
  bucketId: 'bkt',
  key: 'dir/ключ ✓.bin',
  size: 5,
  etag: '"5d41402abc4b2a76b9719d911017c592"',
  lastModified: 1_764_000_000_123,
  contentType: 'text/plain; charset=utf-8',
  cacheControl: 'max-age=60',
  contentDisposition: 'attachment; filename="a.txt"',
  contentEncoding: 'gzip',
  contentLanguage: 'kk',
  expires: 'Wed, 02 Dec 2026 10:00:00 GMT',
  userMeta: '{"owner":"Ә"}',
  checksumAlgorithm: 'CRC32',
  checksumValue: 'NhCmhg==',
  checksumType: 'COMPOSITE',
  partsCount: 2,
  uploadId: 'up-1',
  inlineData: new Uint8Array([104, 101, 108, 108, 111]),
};
const bare = { id: 'obj-bare', bucketId: 'bkt', key: 'bare', size: 0, etag: '"e"', lastModified: 1 };

beforeAll(async () => {
  dir = await tempDir('qoima-reads-');
  const { client, db } = await migratedDb(dir);
  await db.insert(accounts).values({ id: 'acc', name: 'a', createdAt: 0 } as typeof accounts.$inferInsert);
  await db.insert(buckets).values({
    id: 'bkt',
    name: 'b',
    accountId: 'acc',
    storageClass: 'STANDARD',
    createdAt: 0,
  } as typeof buckets.$inferInsert);
  await db.insert(objects).values([full, bare]);
  client.close();
});
afterAll(() => removeDir(dir));

/** The inline bytes as a plain array: a Buffer and a Uint8Array of the same bytes answer alike. */
const bytesAsArray = (o: StoredObject | null) =>
  o && { ...o, inlineData: o.inlineData && Array.from(o.inlineData) };

const clients = {
  '@libsql/client': () => createClient({ url: `file:${join(dir, 'test.db')}` }),
  'the Node entry client': () => new LocalClient(join(dir, 'test.db')),
};

describe.each(Object.entries(clients))('findObjectAndGeneration on %s', (_, open) => {
  it('answers the rows drizzle maps, and the generation, also when there is no object', async () => {
    const client = open();
    const db = openDb(client);
    const gen = Number(
      (await client.execute('SELECT gen FROM settings_generation WHERE id = 1')).rows[0]![0],
    );
    for (const key of [full.key, bare.key]) {
      const found = await findObjectAndGeneration(db, 'bkt', key);
      expect(found.gen).toBe(gen);
      expect(bytesAsArray(found.obj)).toEqual(bytesAsArray(await findObject(db, 'bkt', key)));
      expect(found.obj?.id).toBe(key === full.key ? full.id : bare.id);
    }
    const withData = (await findObjectAndGeneration(db, 'bkt', full.key)).obj!;
    expect(bytesAsArray(withData)).toEqual(bytesAsArray(full));
    expect(withData.inlineData).toBeInstanceOf(Uint8Array);
    expect(await findObjectAndGeneration(db, 'bkt', 'absent')).toEqual({ obj: null, gen });
    client.close();
  });
});

describe('findObjectAndGeneration with the bytes it remembers', () => {
  it('answers what is at the key now: replaced, deleted, turned into a chunked object', async () => {
    const client = new LocalClient(join(dir, 'test.db'));
    const db = openDb(client);
    const bodies = new InlineBodies(64);
    const read = async () => (await findObjectAndGeneration(db, 'bkt', 'swap', bodies)).obj;
    const put = async (id: string, bytes: number[] | null) => {
      await db.delete(objects).where(eq(objects.key, 'swap'));
      const size = bytes?.length ?? 10;
      const inlineData = bytes && new Uint8Array(bytes);
      await db.insert(objects).values({ ...bare, id, key: 'swap', size, inlineData });
    };
    await put('obj-1', [1, 2, 3]);
    for (let i = 0; i < 3; i++) expect(Array.from((await read())!.inlineData!)).toEqual([1, 2, 3]);
    expect(bodies.bytes).toBe(3);
    await put('obj-2', [4, 5]); // replaced, as every write does: a new row with a new id
    expect(Array.from((await read())!.inlineData!)).toEqual([4, 5]);
    expect(Array.from((await read())!.inlineData!)).toEqual([4, 5]);
    await put('obj-3', null); // now chunked: no inline bytes
    expect((await read())!.inlineData).toBeNull();
    expect(bodies.bytes).toBe(0);
    await put('obj-4', [6]);
    await read();
    await db.delete(objects).where(eq(objects.key, 'swap'));
    expect(await read()).toBeNull();
    expect(bodies.bytes).toBe(0);
    client.close();
  });

  it('keeps at most its bound, the longest kept going first', () => {
    const bodies = new InlineBodies(10);
    for (let i = 0; i < 5; i++) bodies.note('bkt', `k${i}`, `id${i}`, new Uint8Array(4));
    expect(bodies.bytes).toBe(8);
    expect(bodies.hint('bkt', 'k0')).toBeUndefined();
    expect(bodies.hint('bkt', 'k4')?.id).toBe('id4');
    bodies.note('bkt', 'big', 'id-big', new Uint8Array(11)); // larger than the bound: not kept
    expect(bodies.hint('bkt', 'big')).toBeUndefined();
    expect(bodies.bytes).toBe(8);
  });
});

describe('findObjectAndGeneration with the lookups it keeps', () => {
  it('answers what is at the key now, whoever committed the change, and the generation with it', async () => {
    const client = new LocalClient(join(dir, 'test.db'));
    const db = openDb(client);
    const other = openDb(new LocalClient(join(dir, 'test.db'))); // another process, as far as SQLite knows
    const rows = new ObjectRows(() => client.changeStamp());
    const read = () => findObjectAndGeneration(db, 'bkt', 'kept', new InlineBodies(), rows);
    const put = async (d: typeof db, id: string) => {
      await d.delete(objects).where(eq(objects.key, 'kept'));
      await d.insert(objects).values({ ...bare, id, key: 'kept' });
    };
    expect((await read()).obj).toBeNull();
    expect((await read()).obj).toBeNull();
    await put(other, 'obj-a'); // created elsewhere after its absence was read
    expect((await read()).obj?.id).toBe('obj-a');
    expect((await read()).obj?.id).toBe('obj-a');
    await put(db, 'obj-b'); // replaced through the reader's own connection
    expect((await read()).obj?.id).toBe('obj-b');
    const tx = await client.transaction('write'); // a connection of its own
    await tx.execute({ sql: "UPDATE objects SET id = 'obj-c' WHERE key = 'kept'", args: [] });
    expect((await read()).obj?.id).toBe('obj-b'); // not committed yet
    await tx.commit();
    expect((await read()).obj?.id).toBe('obj-c');
    const gen = (await read()).gen;
    await other.$client.execute('UPDATE settings_generation SET gen = gen + 1 WHERE id = 1');
    expect((await read()).gen).toBe(gen + 1);
    const mine = (await read()).obj!;
    mine.etag = 'changed by a caller';
    expect((await read()).obj?.etag).toBe(bare.etag);
    await other.delete(objects).where(eq(objects.key, 'kept'));
    expect((await read()).obj).toBeNull();
    other.$client.close();
    client.close();
  });
});

describe('ObjectRows', () => {
  it('counts what an entry holds against its bound, long metadata too', () => {
    const rows = new ObjectRows(() => 's', 64 * 1024);
    const heavy = { ...bare, userMeta: JSON.stringify({ note: 'x'.repeat(40_000) }) } as StoredObject;
    rows.set('bkt/heavy', 's', { obj: heavy, gen: 1 }); // ~80 KB counted: more than the bound
    expect(rows.get('bkt/heavy', 's')).toBeUndefined();
    rows.set('bkt/light', 's', { obj: bare as StoredObject, gen: 1 });
    expect(rows.get('bkt/light', 's')?.obj?.id).toBe(bare.id);
    expect(rows.get('bkt/light', 'other stamp')).toBeUndefined();
  });
});

describe('ChunkLists', () => {
  it('keeps at most its bound of spans, the longest kept going first', () => {
    const span = (offset: number) => ({ hash: 'h', offset, size: 1 });
    const lists = new ChunkLists(5);
    lists.keep('a', [span(0), span(1)]);
    lists.keep('b', [span(0), span(1)]);
    lists.keep('c', [span(0), span(1)]);
    expect(lists.spans).toBe(4);
    expect(lists.get('a')).toBeUndefined();
    expect(lists.get('c')).toHaveLength(2);
    lists.keep(
      'huge',
      Array.from({ length: 6 }, (_, i) => span(i)),
    ); // more than the bound: not kept
    expect(lists.get('huge')).toBeUndefined();
  });
});
