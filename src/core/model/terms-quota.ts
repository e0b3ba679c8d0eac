/**
 * Quota changes at the customer's request: the customer asks (which limits, to what, and why), the
 * operator approves with the values granted (which may differ from those asked for) or refuses; the
 * customer sees the outcome. Approving sets the quota; the caller tells the fair-use cache.
 */
import { desc, eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { quotaRequests } from '../db/schema.ts';
import { randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';
import { type QuotaLimits, setQuota } from './quotas.ts';

export interface QuotaRequestView {
  id: string;
  accountId: string;
  requested: Partial<QuotaLimits>;
  reason: string;
  status: 'pending' | 'approved' | 'refused';
  granted: Partial<QuotaLimits> | null;
  note: string | null;
  createdAt: string;
  decidedAt: string | null;
}

type Row = typeof quotaRequests.$inferSelect;
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const view = (r: Row): QuotaRequestView => ({
  id: r.id,
  accountId: r.accountId,
  requested: JSON.parse(r.requested) as Partial<QuotaLimits>,
  reason: r.reason,
  status: r.status,
  granted: r.granted ? (JSON.parse(r.granted) as Partial<QuotaLimits>) : null,
  note: r.note,
  createdAt: iso(r.createdAt)!,
  decidedAt: iso(r.decidedAt),
});

export async function askQuota(
  db: Db,
  accountId: string,
  requested: Partial<QuotaLimits>,
  reason: string,
  now = Date.now(),
): Promise<QuotaRequestView> {
  if (Object.keys(requested).length === 0)
    throw new S3Error('InvalidArgument', 'Name at least one limit to raise.');
  const row: Row = {
    id: `qrq_${randomBase32(16)}`,
    accountId,
    requested: JSON.stringify(requested),
    reason,
    status: 'pending',
    granted: null,
    note: null,
    createdAt: now,
    decidedAt: null,
  };
  await db.insert(quotaRequests).values(row);
  return view(row);
}

export async function listQuotaRequests(db: Db, accountId?: string): Promise<QuotaRequestView[]> {
  const q = db.select().from(quotaRequests);
  const rows = await (accountId ? q.where(eq(quotaRequests.accountId, accountId)) : q).orderBy(
    desc(quotaRequests.createdAt),
  );
  return rows.map(view);
}

/** Operator: approve with the limits granted (merged into the current ones), or refuse. */
export async function decideQuota(
  db: Db,
  id: string,
  decision:
    | { status: 'approved'; granted: Partial<QuotaLimits>; note?: string }
    | { status: 'refused'; note?: string },
  current: (accountId: string) => Promise<QuotaLimits>,
  now = Date.now(),
): Promise<QuotaRequestView> {
  const [row] = await db.select().from(quotaRequests).where(eq(quotaRequests.id, id));
  if (!row) throw new S3Error('InvalidArgument', `No quota request ${id}.`);
  if (row.status !== 'pending')
    throw new S3Error('InvalidArgument', `The request was already ${row.status}.`);
  if (decision.status === 'approved') {
    if (Object.keys(decision.granted).length === 0)
      throw new S3Error('InvalidArgument', 'Approving needs the limits granted.');
    await setQuota(db, row.accountId, { ...(await current(row.accountId)), ...decision.granted });
  }
  const [updated] = await db
    .update(quotaRequests)
    .set({
      status: decision.status,
      granted: decision.status === 'approved' ? JSON.stringify(decision.granted) : null,
      note: decision.note ?? null,
      decidedAt: now,
    })
    .where(eq(quotaRequests.id, id))
    .returning();
  return view(updated!);
}
