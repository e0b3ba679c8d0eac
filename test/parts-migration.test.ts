/**
 * The object_parts migrations on a database with multipart objects completed before them: their part
 * boundaries are recovered from the chunk references, and part rows go with their object.
 */
import { createClient } from '@libsql/client';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { migrate } from '../src/core/db/migrate.ts';
import { allMigrations } from './helpers/db.ts';
import { removeDir, tempDir } from './helpers/server.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeDir(d);
});

it('recovers the parts of objects completed before, numbered by position, and drops them with the object', async () => {
  const dir = await tempDir('qoima-migration-');
  dirs.push(dir);
  const client = createClient({ url: `file:${join(dir, 'test.db')}` });
  const all = await allMigrations();
  const first = all.findIndex((m) => m.tag.includes('object_parts'));
  await migrate(client, all.slice(0, first));

  const obj = (id: string, size: number, parts: number | null) =>
    client.execute({
      sql: "INSERT INTO objects (id, bucket_id, key, size, etag, last_modified, parts_count) VALUES (?, 'b', ?, ?, 'e', 0, ?)",
      args: [id, id, size, parts],
    });
  const ref = (owner: string, idx: number, offset: number, size: number) =>
    client.execute({
      sql: 'INSERT INTO chunk_refs (owner, idx, offset, size, hash) VALUES (?, ?, ?, ?, ?)',
      args: [owner, idx, offset, size, `h${owner}${idx}`],
    });
  const P = 1 << 24;
  // a three-part object: parts of two chunks, one chunk, one chunk, 2^24 indexes apart
  await obj('mp', 70, 3);
  await ref('mp', 0, 0, 20);
  await ref('mp', 1, 20, 10);
  await ref('mp', P, 30, 30);
  await ref('mp', 2 * P, 60, 10);
  await obj('plain', 5, null);
  await ref('plain', 0, 0, 5);

  await migrate(client, all);
  const rows = await client.execute(
    'SELECT object_id, part_number, offset, size FROM object_parts ORDER BY object_id, part_number',
  );
  expect(rows.rows.map((r) => [r.object_id, r.part_number, r.offset, r.size])).toEqual([
    ['mp', 1, 0, 30],
    ['mp', 2, 30, 30],
    ['mp', 3, 60, 10],
  ]);
  await client.execute("DELETE FROM objects WHERE id = 'mp'");
  expect((await client.execute('SELECT count(*) AS n FROM object_parts')).rows[0]!.n).toBe(0);
  client.close();
});
