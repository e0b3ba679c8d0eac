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
 * that raced with a change is dropped at the next check that sees the change. A check may share a read
 * with other requests only if that read is sent after the check was asked for (through a libSQL
 * server, requests that arrive while one read is on its way share the next one).
 */
import type { Client } from '@libsql/client';

/** What a cache reads: the newest generation this process has seen. */
export interface Generation {
  readonly current: number;
}

export class Freshness implements Generation {
  private seen = -1;
  /** A read not yet sent, and the one on its way (settled, whatever its outcome). */
  private queued: Promise<void> | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(private readonly read: () => Promise<number>) {}

  get current(): number {
    return this.seen;
  }

  /** Reads the generation; caches drop what was loaded under an older one. */
  check(): Promise<void> {
    if (this.queued) return this.queued; // a read not sent yet: this check may share it
    if (!this.inFlight) return this.send();
    const queued = this.inFlight.then(() => {
      this.queued = null;
      return this.send();
    });
    this.queued = queued;
    return queued;
  }

  private send(): Promise<void> {
    const done = this.read().then((gen) => {
      if (gen > this.seen) this.seen = gen;
    });
    const settled = done.then(
      () => {},
      () => {},
    );
    this.inFlight = settled;
    void settled.then(() => {
      if (this.inFlight === settled) this.inFlight = null;
    });
    return done;
  }
}

/** The generation as the database has it: one row by its primary key, as plain SQL (no query builder). */
export function readGeneration(client: Client): () => Promise<number> {
  return async () => {
    const rs = await client.execute('SELECT gen FROM settings_generation WHERE id = 1');
    return Number(rs.rows[0]?.[0] ?? 0);
  };
}

/** How long a cache checked by the generation keeps an entry nobody changed (memory, not exactness). */
export const CHECKED_CACHE_MS = 5 * 60_000;
