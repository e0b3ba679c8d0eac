/**
 * A bucket of a million keys: one page of a listing reads about one page of rows, with or without a
 * delimiter, wherever it starts. Measured in rows the database hands back and in SQLite's query plan,
 * on a real libSQL file.
 */
import { type Client, type InStatement, createClient } from '@libsql/client';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../src/core/db/index.ts';
import { type Journal, loadMigrations, migrate } from '../src/core/db/migrate.ts';
import { listObjects } from '../src/core/model/listing.ts';
import { ROOT, removeDir, tempDir } from './helpers/server.ts';

const N = 1_000_000;
let dir: string;
let raw: Client;
let counted: Client;
let rowsRead = 0;
const statements: InStatement[] = [];

beforeAll(async () => {
  dir = await tempDir();
  raw = createClient({ url: `file:${join(dir, 'big.db')}` });
  await raw.execute('PRAGMA journal_mode = WAL');
  const mdir = join(ROOT, 'migrations');
  const journal = JSON.parse(await readFile(join(mdir, 'meta/_journal.json'), 'utf8')) as Journal;
  await migrate(raw, await loadMigrations(journal, (tag) => readFile(join(mdir, `${tag}.sql`), 'utf8')));
  await raw.execute("INSERT INTO accounts (id, name, created_at) VALUES ('acc', 'big', 0)");
  await raw.execute(
    "INSERT INTO buckets (id, name, account_id, storage_class, created_at) VALUES ('bkt', 'big', 'acc', 'STANDARD', 0)",
  );
  // 1000 "folders" of 1000 keys each: d000/k0000000 ... d999/k0999999
  await raw.execute(`
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${N - 1})
    INSERT INTO objects (id, bucket_id, key, size, etag, last_modified)
    SELECT 'o' || i, 'bkt', printf('d%03d/k%07d', i % 1000, i), 1, 'e', 0 FROM n`);
  counted = new Proxy(raw, {
    get(target, prop) {
      if (prop === 'execute') {
        return async (stmt: InStatement) => {
          statements.push(stmt);
          const r = await target.execute(stmt);
          rowsRead += r.rows.length;
          return r;
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}, 180_000);

afterAll(async () => {
  raw.close();
  await removeDir(dir);
});

async function measure(fn: () => Promise<unknown>) {
  rowsRead = 0;
  statements.length = 0;
  const result = await fn();
  return { result, rowsRead, queries: statements.length };
}

describe(`listing a bucket of ${N.toLocaleString('en')} keys`, () => {
  it('a page of 1000 keys reads about 1000 rows, from the start or from the middle', async () => {
    const db = openDb(counted);
    for (const after of ['', 'd500/k0500000']) {
      const m = await measure(() =>
        listObjects(db, {
          bucketId: 'bkt',
          prefix: '',
          delimiter: '',
          after,
          afterIsResumePoint: false,
          maxKeys: 1000,
        }),
      );
      const r = m.result as Awaited<ReturnType<typeof listObjects>>;
      expect(r.contents.length).toBe(1000);
      expect(r.isTruncated).toBe(true);
      expect(m.rowsRead).toBeLessThanOrEqual(1001);
    }
  });

  it('a page of 1000 folders with a delimiter reads one row per folder, not the million keys under them', async () => {
    const db = openDb(counted);
    const m = await measure(() =>
      listObjects(db, {
        bucketId: 'bkt',
        prefix: '',
        delimiter: '/',
        after: '',
        afterIsResumePoint: false,
        maxKeys: 1000,
      }),
    );
    const r = m.result as Awaited<ReturnType<typeof listObjects>>;
    expect(r.commonPrefixes.length).toBe(1000);
    expect(r.commonPrefixes[999]).toBe('d999/');
    expect(m.rowsRead).toBeLessThan((1000 * 1002) / 100); // each folder: one seek, at most a batch of rows
    expect(m.queries).toBeLessThanOrEqual(1001);
  });

  it('uses the (bucket_id, key) index for the range, never a table scan', async () => {
    const db = openDb(counted);
    await measure(() =>
      listObjects(db, {
        bucketId: 'bkt',
        prefix: 'd123/',
        delimiter: '/',
        after: 'd123/k0',
        afterIsResumePoint: false,
        maxKeys: 10,
      }),
    );
    const select = statements.find((s) => typeof s === 'object' && /from "objects"/i.test(s.sql));
    expect(select).toBeDefined();
    const s = select as { sql: string; args: unknown[] };
    const plan = await raw.execute({ sql: `EXPLAIN QUERY PLAN ${s.sql}`, args: s.args as never });
    const detail = plan.rows.map((r) => String(r.detail)).join('\n');
    expect(detail).toMatch(
      /SEARCH objects USING INDEX objects_bucket_key \(bucket_id=\? AND key>\? AND key<\?\)/,
    );
    expect(detail).not.toMatch(/SCAN objects/);
  });
});
