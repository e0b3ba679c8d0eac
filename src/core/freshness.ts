/**
 * Whether the settings caches are still exact. The database holds one number, the settings generation
 * (table settings_generation), that triggers move with every change to a row those caches hold:
 * buckets' settings, accounts, credentials, access keys, signing keys, quotas, domains, certificates.
 * Every request reads it once before it reads a cache (`check`); an entry loaded under an older
 * generation is no longer served (cache.ts). So a change committed by any process or node (public →
 * private, a revoked key, a deleted bucket) is seen by the next request everywhere, and the caches may
 * keep entries for minutes.
 *
 * Why a row and not SQLite's `PRAGMA data_version`: that pragma only tells a connection about commits
 * of other connections to the same file, and a libSQL server (sqld) has no such thing; the row works
 * the same on a local file, a server and its replicas.
 *
 * Invariants: the generation this process knows never goes back (a slow read that answers an older
 * number is ignored); an entry is tagged with the generation known *before* its load began, so a load
 * that raced with a change is dropped at the next check that sees the change.
 */
import { sql } from 'drizzle-orm';
import type { Db } from './db/index.ts';
import { prepared } from './db/index.ts';
import { settingsGeneration } from './db/tables/access.ts';

/** What a cache reads: the newest generation this process has seen. */
export interface Generation {
  readonly current: number;
}

export class Freshness implements Generation {
  private seen = -1;

  constructor(private readonly read: () => Promise<number>) {}

  get current(): number {
    return this.seen;
  }

  /** Reads the generation; caches drop what was loaded under an older one. */
  async check(): Promise<void> {
    const gen = await this.read();
    if (gen > this.seen) this.seen = gen;
  }
}

/** The generation as the database has it (one row, by its primary key). */
export function readGeneration(db: Db): () => Promise<number> {
  const stmt = prepared(db, 'settingsGeneration', (d) =>
    d
      .select({ gen: settingsGeneration.gen })
      .from(settingsGeneration)
      .where(sql`${settingsGeneration.id} = 1`)
      .prepare(),
  );
  return async () => (await stmt.get())?.gen ?? 0;
}

/** How long a cache checked by the generation keeps an entry nobody changed (memory, not exactness). */
export const CHECKED_CACHE_MS = 5 * 60_000;
