/**
 * Acceptable use: the operator suspends an account that broke the terms (its writes are refused, its
 * reads too unless kept) and lifts the suspension. The S3 pipeline and the JSON API ask `Suspensions` on
 * every request; its answers are cached under the settings generation (freshness.ts: triggers move it
 * with every change to account_suspensions), so a suspension or its lifting is seen by the very next
 * request on every process and node. Suspended time does not count as downtime (terms-exclusions.ts).
 */
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { accountSuspensions } from '../db/schema.ts';
import { TtlCache, type TtlCacheOptions } from '../cache.ts';
import { randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';

export type Suspension = typeof accountSuspensions.$inferSelect;
export async function activeSuspension(db: Db, accountId: string): Promise<Suspension | null> {
  const [row] = await db
    .select()
    .from(accountSuspensions)
    .where(and(eq(accountSuspensions.accountId, accountId), isNull(accountSuspensions.endsAt)))
    .limit(1);
  return row ?? null;
}

/** A suspension as the API and the CLI show it: times in ISO 8601. */
export const suspensionView = (s: Suspension) => ({
  id: s.id,
  accountId: s.accountId,
  startsAt: new Date(s.startsAt).toISOString(),
  endsAt: s.endsAt === null ? null : new Date(s.endsAt).toISOString(),
  reason: s.reason,
  keepReads: s.keepReads === 1,
});

export async function suspendAccount(
  db: Db,
  accountId: string,
  reason: string,
  keepReads: boolean,
  now = Date.now(),
): Promise<Suspension> {
  if (await activeSuspension(db, accountId))
    throw new S3Error('InvalidArgument', `Account ${accountId} is suspended already; lift it first.`);
  const row: Suspension = {
    id: `sus_${randomBase32(16)}`,
    accountId,
    startsAt: now,
    endsAt: null,
    reason,
    keepReads: keepReads ? 1 : 0,
  };
  await db.insert(accountSuspensions).values(row);
  return row;
}

export async function liftSuspension(db: Db, accountId: string, now = Date.now()): Promise<Suspension> {
  const [row] = await db
    .update(accountSuspensions)
    .set({ endsAt: now })
    .where(and(eq(accountSuspensions.accountId, accountId), isNull(accountSuspensions.endsAt)))
    .returning();
  if (!row) throw new S3Error('InvalidArgument', `Account ${accountId} is not suspended.`);
  return row;
}

export async function listSuspensions(db: Db, accountId?: string): Promise<Suspension[]> {
  const q = db.select().from(accountSuspensions);
  return (accountId ? q.where(eq(accountSuspensions.accountId, accountId)) : q).orderBy(
    desc(accountSuspensions.startsAt),
  );
}

/** Operations that only read: a suspension that keeps reads lets these through. */
const READS = /^(Get|Head|List|CorsPreflight)/;

/** What a suspended account may not do, refused with AccessDenied; one per service. */
export class Suspensions {
  private readonly cache: TtlCache<string, Suspension | null>;

  constructor(
    private readonly db: Db,
    cache: TtlCacheOptions,
  ) {
    this.cache = new TtlCache(cache);
  }

  /** Refuses `operation` (an S3 operation's name) when the account's suspension forbids it. */
  readonly gate = async (accountId: string, operation: string): Promise<void> => {
    const s = await this.cache.getOrLoad(accountId, (id) => activeSuspension(this.db, id));
    if (!s || (s.keepReads && READS.test(operation))) return;
    throw new S3Error(
      'AccessDenied',
      `The account is suspended for breaking the terms of service (${s.reason}); ${
        s.keepReads ? 'it can still read, but not write' : 'it can neither read nor write'
      } until the suspension is lifted.`,
    );
  };

  /**
   * The JSON API's side of a suspension: a suspended account cannot change its buckets, keys or
   * certificates there either (support requests, claims and its billing stay open to it).
   */
  readonly apiCall = async (accountId: string, method: string, path: string): Promise<void> => {
    if (method === 'GET' || method === 'HEAD' || !API_WRITES.test(path) || path.endsWith('/presigned-url'))
      return;
    await this.gate(accountId, `API ${method}`);
  };
}

/** JSON API calls that change data (buckets, their settings, keys, certificates); not links to read. */
const API_WRITES = /^\/admin\/(buckets|keys|certificates)(\/|$)/;
