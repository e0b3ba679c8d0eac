/**
 * The statement-caching libSQL client of the Node entry (src/local/libsql-client.ts) answers exactly as
 * @libsql/client does, also on its one-row path (a statement ending in `limit ?` bound to 1); its change
 * stamp moves with every commit, whoever makes it, in WAL mode (wal-stamp.ts) and out of it.
 */
import { createClient } from '@libsql/client';
import { execFileSync } from 'node:child_process';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalClient } from '../src/local/libsql-client.ts';
import { WalStamp } from '../src/local/wal-stamp.ts';
import { ROOT, removeDir, tempDir } from './helpers/server.ts';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('qoima-client-');
  const c = new LocalClient(join(dir, 'db'));
  await c.executeMultiple(
    "CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB); INSERT INTO t VALUES ('a', x'01'), ('b', x'0203'), ('c', NULL);",
  );
  c.close();
});
afterAll(() => removeDir(dir));

describe('LocalClient', () => {
  const queries: [string, (string | number)[]][] = [
    ['SELECT k, v FROM t WHERE k = ? LIMIT ?', ['b', 1]],
    ['SELECT k, v FROM t WHERE k = ? LIMIT ?', ['zz', 1]],
    ['SELECT k, v FROM t ORDER BY k LIMIT ?', [2]],
    ['SELECT k, v FROM t ORDER BY k LIMIT ?', [1]],
    ['SELECT k, v FROM t ORDER BY k', []],
  ];
  it.each(queries)('%s with %j answers the rows @libsql/client answers', async (sql, args) => {
    const ours = new LocalClient(join(dir, 'db'));
    const theirs = createClient({ url: `file:${join(dir, 'db')}` });
    const [a, b] = [await ours.execute({ sql, args }), await theirs.execute({ sql, args } as never)];
    // (a blob comes back as a Buffer here and as an ArrayBuffer there: the same bytes, which drizzle maps
    // alike)
    const hex = (v: unknown) => (v === null ? null : Buffer.from(v as ArrayBuffer).toString('hex'));
    const shape = (rs: typeof a) => rs.rows.map((r) => ({ k: r.k, v: hex(r.v), byIndex: [r[0], hex(r[1])] }));
    expect(shape(a)).toEqual(shape(b));
    expect(a.columns).toEqual(b.columns);
    ours.close();
    theirs.close();
  });

  it.each(['wal', 'delete'])(
    "changes its stamp with every commit to the file, its own and any other connection's (%s)",
    async (mode) => {
      const file = join(dir, `stamp-${mode}`);
      const setUp = new LocalClient(file);
      await setUp.executeMultiple(
        `PRAGMA journal_mode = ${mode}; CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB);`,
      );
      const ours = new LocalClient(file);
      const theirs = new LocalClient(file);
      const stamps = new Set([ours.changeStamp()]);
      const moved = () => {
        const s = ours.changeStamp();
        const fresh = !stamps.has(s);
        stamps.add(s);
        return fresh;
      };
      await ours.execute({ sql: 'SELECT k FROM t WHERE k = ? LIMIT ?', args: ['a', 1] });
      expect(moved()).toBe(false);
      await theirs.execute({ sql: 'INSERT INTO t VALUES (?, NULL)', args: ['d'] });
      expect(moved()).toBe(true);
      await ours.execute({ sql: 'DELETE FROM t WHERE k = ?', args: ['d'] });
      expect(moved()).toBe(true);
      await ours.batch([{ sql: 'INSERT INTO t VALUES (?, NULL)', args: ['e'] }], 'write');
      expect(moved()).toBe(true);
      const tx = await ours.transaction('write');
      await tx.execute({ sql: 'DELETE FROM t WHERE k = ?', args: ['e'] });
      await tx.commit();
      expect(moved()).toBe(true);
      await ours.executeMultiple("INSERT INTO t VALUES ('f', NULL); DELETE FROM t WHERE k = 'f';");
      expect(moved()).toBe(true);
      expect(moved()).toBe(false);
      ours.close();
      theirs.close();
      setUp.close();
    },
  );

  it(
    'takes a WAL-index header whose two copies differ for a commit under way, equal ' + 'to no stamp',
    async () => {
      const header = Buffer.alloc(96, 7);
      await writeFile(join(dir, 'fake-shm'), header);
      const settled = WalStamp.open(join(dir, 'fake'))!;
      expect(settled.read()).toBe(settled.read());
      header[60] = 8; // the second copy rewritten, the first not yet
      await writeFile(join(dir, 'fake-shm'), header);
      const stamps = new Set([settled.read(), settled.read()]);
      expect(stamps.size).toBe(2);
      expect(WalStamp.open(join(dir, 'none'))).toBeNull();
    },
  );

  it("keeps SQLite's locks when a client that read the stamp closes", async () => {
    const file = join(dir, 'locks');
    const owner = new LocalClient(file);
    await owner.executeMultiple('PRAGMA journal_mode = WAL; CREATE TABLE t (k);');
    const tx = await owner.transaction('write');
    await tx.execute({ sql: 'INSERT INTO t VALUES (1)', args: [] });
    const reader = new LocalClient(file);
    reader.changeStamp();
    reader.close();
    // another process must still find the file locked for writing
    const script =
      `const D = require('libsql'); const d = new D(${JSON.stringify(file)}, { timeout: 50 });` +
      "try { d.exec('BEGIN IMMEDIATE'); console.log('wrote'); } catch (e) { console.log(e.code); }";
    const other = execFileSync(process.execPath, ['-e', script], { cwd: ROOT }).toString().trim();
    expect(other).toBe('SQLITE_BUSY');
    await tx.commit();
    owner.close();
  });

  it('reads the stamp of the file SQLite opened, through a symbolic link too', async () => {
    const file = join(dir, 'linked-real');
    await symlink(file, join(dir, 'linked'));
    await writeFile(join(dir, 'linked-shm'), Buffer.alloc(96, 1)); // nobody's, beside the link
    const setUp = new LocalClient(file);
    await setUp.executeMultiple('PRAGMA journal_mode = WAL; CREATE TABLE t (k);');
    const ours = new LocalClient(join(dir, 'linked'));
    const before = ours.changeStamp();
    await setUp.execute({ sql: 'INSERT INTO t VALUES (1)', args: [] });
    expect(ours.changeStamp()).not.toBe(before);
    ours.close();
    setUp.close();
  });

  it("names a row's columns as @libsql/client does: the first of a name, never over `length`", async () => {
    const sql = "SELECT k, 'v' AS v, 'x' AS k, 'y' AS length, 'z' AS w FROM t WHERE k = ? LIMIT ?";
    const ours = new LocalClient(join(dir, 'db'));
    const theirs = createClient({ url: `file:${join(dir, 'db')}` });
    const [a, b] = [
      await ours.execute({ sql, args: ['a', 1] }),
      await theirs.execute({ sql, args: ['a', 1] }),
    ];
    const named = (r: (typeof a.rows)[number]) => ({
      k: r.k,
      length: r.length,
      w: r.w,
      all: Array.from({ length: r.length }, (_, i) => r[i]),
    });
    expect(named(a.rows[0]!)).toEqual(named(b.rows[0]!));
    const names: string[] = [];
    for (const name in a.rows[0]) names.push(name);
    expect(names).toEqual(expect.arrayContaining(['k', 'v', 'w']));
    ours.close();
    theirs.close();
  });
});
