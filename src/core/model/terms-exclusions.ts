/**
 * What does not count against an account's availability, with its reason: planned maintenance and
 * force majeure (for every account, or only the named ones), downtime the customer caused (one account,
 * marked by the operator, in the past as well), and the time the account was suspended for breaking
 * the terms. Each shows in that account's SLA report.
 */
import { and, eq, gt, isNull, lt, or } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { accountSuspensions, slaExclusions } from '../db/schema.ts';
import { randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';

/** How far ahead planned maintenance must be announced: an outage under way is not "planned". */
export const MAINTENANCE_NOTICE_MS = 24 * 3_600_000;

export type ExclusionKind = 'maintenance' | 'force-majeure' | 'customer-caused';

export interface Excluded {
  startsAt: number;
  endsAt: number;
  kind: ExclusionKind | 'suspended';
  reason: string;
}

/** The account's exclusions overlapping [from, to): its own, everyone's, and its suspensions. */
export async function exclusionsOf(db: Db, accountId: string, from: number, to: number): Promise<Excluded[]> {
  const rows = await db
    .select()
    .from(slaExclusions)
    .where(
      and(
        lt(slaExclusions.startsAt, to),
        gt(slaExclusions.endsAt, from),
        or(isNull(slaExclusions.accountId), eq(slaExclusions.accountId, accountId)),
      ),
    );
  const suspended = await db
    .select()
    .from(accountSuspensions)
    .where(
      and(
        eq(accountSuspensions.accountId, accountId),
        lt(accountSuspensions.startsAt, to),
        or(isNull(accountSuspensions.endsAt), gt(accountSuspensions.endsAt, from)),
      ),
    );
  return [
    ...rows.map((r) => ({ startsAt: r.startsAt, endsAt: r.endsAt, kind: r.kind, reason: r.reason })),
    ...suspended.map((s) => ({
      startsAt: s.startsAt,
      endsAt: s.endsAt ?? to,
      kind: 'suspended' as const,
      reason: `suspended for breaking the terms: ${s.reason}`,
    })),
  ];
}

/** An exclusion of an account as the API and the CLI show it: times in ISO 8601. */
export const excludedView = (x: Excluded) => ({
  ...x,
  startsAt: new Date(x.startsAt).toISOString(),
  endsAt: new Date(x.endsAt).toISOString(),
});

/**
 * Operator: record maintenance (at least 24 hours ahead) or force majeure, for every account or only
 * `accounts`; or mark an interval of one account's downtime as caused by that customer.
 */
export async function addExclusions(
  db: Db,
  x: { kind: ExclusionKind; startsAt: number; endsAt: number; reason: string; accounts?: string[] },
  now = Date.now(),
) {
  if (!(x.endsAt > x.startsAt)) throw new S3Error('InvalidArgument', 'The end must come after the start.');
  if (x.kind === 'maintenance' && x.startsAt < now + MAINTENANCE_NOTICE_MS)
    throw new S3Error(
      'InvalidArgument',
      'Planned maintenance is announced at least 24 hours in advance; ' +
        'for anything sooner or past, record force majeure (or let it count).',
    );
  const accounts = x.accounts?.length ? x.accounts : [null];
  if (
    (x.kind === 'customer-caused' && accounts.length !== 1) ||
    (x.kind === 'customer-caused' && !accounts[0])
  )
    throw new S3Error('InvalidArgument', 'Downtime the customer caused names exactly one account.');
  const rows = accounts.map((accountId) => ({
    id: `exc_${randomBase32(16)}`,
    kind: x.kind,
    accountId,
    startsAt: x.startsAt,
    endsAt: x.endsAt,
    reason: x.reason,
    createdAt: now,
  }));
  for (const r of rows) await db.insert(slaExclusions).values(r);
  return rows;
}
