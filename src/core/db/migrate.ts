/**
 * Applies drizzle-kit migrations at start-up. Each runtime reads migrations/ its own way (files on
 * Node and Deno, bundled text on Workers) and hands them over as plain data. The bookkeeping table is
 * drizzle's own `__drizzle_migrations`, so drizzle-kit sees the same history.
 *
 * The check and the apply happen in one write transaction, so two processes starting together (the
 * server and the admin CLI, or two nodes) never apply a migration twice.
 */
import type { Client } from '@libsql/client';
import { toHex } from '../digests.ts';

export interface Migration {
  tag: string;
  /** The journal's `when`: drizzle orders and recognises migrations by it. */
  when: number;
  sql: string;
}

/** The journal (meta/_journal.json) plus a reader for each tag's SQL file. */
export interface Journal {
  entries: { tag: string; when: number }[];
}

export async function loadMigrations(
  journal: Journal,
  readSql: (tag: string) => Promise<string>,
): Promise<Migration[]> {
  return Promise.all(
    journal.entries.map(async (e) => ({ tag: e.tag, when: e.when, sql: await readSql(e.tag) })),
  );
}

/** Applies what is new; returns the tags applied. */
export async function migrate(client: Client, migrations: Migration[]): Promise<string[]> {
  const applied: string[] = [];
  const tx = await client.transaction('write');
  try {
    await tx.execute(
      'CREATE TABLE IF NOT EXISTS __drizzle_migrations (id INTEGER PRIMARY KEY, hash TEXT NOT NULL, created_at NUMERIC)',
    );
    const last = await tx.execute(
      'SELECT created_at FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 1',
    );
    const lastWhen = last.rows.length ? Number(last.rows[0]!.created_at) : -1;
    for (const m of [...migrations].sort((a, b) => a.when - b.when)) {
      if (m.when <= lastWhen) continue;
      for (const stmt of m.sql.split('--> statement-breakpoint')) {
        if (stmt.trim()) await tx.execute(stmt);
      }
      const hash = toHex(
        new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(m.sql))),
      );
      await tx.execute({
        sql: 'INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, ?)',
        args: [hash, m.when],
      });
      applied.push(m.tag);
    }
    await tx.commit();
  } finally {
    tx.close();
  }
  return applied;
}
