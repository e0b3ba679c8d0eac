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
 *
 * A read request (GET, HEAD) may instead read the caches first and prove them afterwards (`mark`,
 * `provenSince`): proven when a read of the generation sent after the request arrived has answered
 * and the generation has not moved since it arrived. Such a read may be piggy-backed on a query the
 * request makes anyway (`noting`: the object's row comes with the generation), so a GET of an object
 * costs no query of its own for this. A request not proven is checked, and answered again from the
 * start if the generation had moved; its first answer is never sent.
 */
import type { Client } from '@libsql/client';

export interface Mark {
  sent: number;
  gen: number;
}

/** What a cache reads: the newest generation this process has seen. */
export interface Generation {
  readonly current: number;
}

export class Freshness implements Generation {
  private seen = -1;
  /** A read not yet sent, and the one on its way (settled, whatever its outcome). */
  private queued: Promise<void> | null = null;
  private inFlight: Promise<void> | null = null;
  /** Reads of the generation sent so far, and the latest of them that has answered. */
  private sent = 0;
  private confirmed = 0;

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

  /** Where a request stands when it arrives, for `provenSince`. */
  mark(): Mark {
    return { sent: this.sent, gen: this.seen };
  }

  /** Whether the caches read since `mark` were exact (see the top of this file). */
  provenSince(mark: Mark): boolean {
    return this.confirmed > mark.sent && this.seen === mark.gen;
  }

  /** Runs a query that also reads the generation (its `gen`), and takes note of it. */
  async noting<T extends { gen: number }>(query: () => Promise<T>): Promise<T> {
    const seq = ++this.sent;
    const result = await query();
    this.saw(result.gen, seq);
    return result;
  }

  private saw(gen: number, seq: number): void {
    if (gen > this.seen) this.seen = gen;
    if (seq > this.confirmed) this.confirmed = seq;
  }

  private send(): Promise<void> {
    const seq = ++this.sent;
    const done = this.read().then((gen) => this.saw(gen, seq));
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
