/**
 * A real libSQL file with every migration applied, for tests of the core without a server; a server's request
 * log.
 */
import { type Client, createClient } from '@libsql/client';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Db, openDb } from '../../src/core/db/index.ts';
import { type Journal, type Migration, loadMigrations, migrate } from '../../src/core/db/migrate.ts';
import { ROOT } from './server.ts';

/** The migrations in migrations/, in the journal's order. */
export async function allMigrations(): Promise<Migration[]> {
  const mdir = join(ROOT, 'migrations');
  const journal = JSON.parse(await readFile(join(mdir, 'meta/_journal.json'), 'utf8')) as Journal;
  return loadMigrations(journal, (tag) => readFile(join(mdir, `${tag}.sql`), 'utf8'));
}

/** `only`: a database as it was before later migrations (to test what a migration repairs). */
export async function migratedDb(dir: string, only?: Migration[]): Promise<{ client: Client; db: Db }> {
  const client = createClient({ url: `file:${join(dir, 'test.db')}` });
  await client.execute('PRAGMA journal_mode = WAL');
  await migrate(client, only ?? (await allMigrations()));
  return { client, db: openDb(client) };
}

/** Rows of a running server's request log (in its data directory), oldest first. */
export async function logRows(dataDir: string, where = '1 = 1'): Promise<Record<string, unknown>[]> {
  const c = createClient({ url: `file:${join(dataDir, 'qoima.db')}` });
  try {
    return (await c.execute(`SELECT * FROM request_log WHERE ${where} ORDER BY id`))
      .rows as unknown as Record<string, unknown>[];
  } finally {
    c.close();
  }
}
