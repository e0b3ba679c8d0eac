/**
 * Data lost or damaged through the provider's fault: scrub's corrupt and missing chunks name the objects
 * that read through them; each (object, chunk) becomes an incident of the account that owns the bucket.
 * The customer sees it and may claim compensation; the operator approves or refuses the claim. An
 * approved claim credits 50% of the charges (after the trial) of the billing period (calendar month)
 * the damage was found in, once per period however many incidents it had, on the next invoice: the
 * invoice of the month the claim was approved in, or of the month after the period if that is later.
 * The invoice caps all its credits at its own charges (never paid out).
 */
import { and, desc, eq } from 'drizzle-orm';
import { monthOf, nextMonth } from '../billing/prices.ts';
import type { Db } from '../db/index.ts';
import { buckets, dataIncidents } from '../db/schema.ts';
import { randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';
import type { ScrubReport } from './scrub.ts';

export type Incident = typeof dataIncidents.$inferSelect;
/** Share of the period's charges an approved claim credits, in basis points. */
export const COMPENSATION_BP = 5_000;

/** Records the objects scrub found damaged as incidents of their accounts; returns how many are new. */
export async function recordIncidents(db: Db, report: ScrubReport, now = Date.now()): Promise<number> {
  let added = 0;
  const hits = [
    ...report.corrupt.map((c) => ({ ...c, damage: 'corrupt' as const })),
    ...report.missing.map((c) => ({ ...c, damage: 'missing' as const })),
  ];
  for (const hit of hits) {
    for (const name of hit.objects) {
      const slash = name.indexOf('/');
      const bucket = name.slice(0, slash);
      const key = name.slice(slash + 1);
      const [b] = await db
        .select({ accountId: buckets.accountId })
        .from(buckets)
        .where(eq(buckets.name, bucket));
      if (!b) continue;
      const res = await db
        .insert(dataIncidents)
        .values({
          id: `inc_${randomBase32(16)}`,
          accountId: b.accountId,
          bucket,
          key,
          chunkHash: hit.hash,
          damage: hit.damage,
          detectedAt: now,
          claim: 'none',
        })
        .onConflictDoNothing();
      added += res.rowsAffected;
    }
  }
  return added;
}

export interface IncidentView extends Omit<Incident, 'detectedAt' | 'claimedAt' | 'decidedAt'> {
  detectedAt: string;
  claimedAt: string | null;
  decidedAt: string | null;
  /** The billing period whose charges an approved claim compensates, and the invoice it lands on. */
  period: string;
  creditOn: string | null;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const creditMonth = (i: Incident) => {
  if (i.claim !== 'approved' || i.decidedAt === null) return null;
  const after = nextMonth(monthOf(i.detectedAt));
  const decided = monthOf(i.decidedAt);
  return decided > after ? decided : after;
};
const view = (i: Incident): IncidentView => ({
  ...i,
  detectedAt: iso(i.detectedAt)!,
  claimedAt: iso(i.claimedAt),
  decidedAt: iso(i.decidedAt),
  period: monthOf(i.detectedAt),
  creditOn: creditMonth(i),
});

export async function listIncidents(db: Db, accountId?: string): Promise<IncidentView[]> {
  const q = db.select().from(dataIncidents);
  const rows = await (accountId ? q.where(eq(dataIncidents.accountId, accountId)) : q).orderBy(
    desc(dataIncidents.detectedAt),
  );
  return rows.map(view);
}

/** The customer claims compensation for one of their incidents. */
export async function claimIncident(
  db: Db,
  accountId: string,
  id: string,
  text: string,
  now = Date.now(),
): Promise<IncidentView> {
  const [row] = await db
    .update(dataIncidents)
    .set({ claim: 'claimed', claimedAt: now, claimText: text })
    .where(
      and(eq(dataIncidents.id, id), eq(dataIncidents.accountId, accountId), eq(dataIncidents.claim, 'none')),
    )
    .returning();
  if (!row) throw new S3Error('InvalidArgument', `No incident ${id} of yours without a claim.`);
  return view(row);
}

/** Operator: approve or refuse a claim. */
export async function decideClaim(
  db: Db,
  id: string,
  status: 'approved' | 'refused',
  note: string | undefined,
  now = Date.now(),
): Promise<IncidentView> {
  const [row] = await db
    .update(dataIncidents)
    .set({ claim: status, decidedAt: now, note: note ?? null })
    .where(and(eq(dataIncidents.id, id), eq(dataIncidents.claim, 'claimed')))
    .returning();
  if (!row)
    throw new S3Error('InvalidArgument', `No claimed incident ${id} (claim it first, decide it once).`);
  return view(row);
}

/** The periods whose compensation lands on the account's invoice for `month`, with their incidents. */
export async function compensatedPeriods(
  db: Db,
  accountId: string,
  month: string,
): Promise<{ period: string; incidents: string[] }[]> {
  const rows = await db
    .select()
    .from(dataIncidents)
    .where(and(eq(dataIncidents.accountId, accountId), eq(dataIncidents.claim, 'approved')));
  // once per period: on the invoice its first approved claim lands on
  const periods = new Map<string, { on: string; incidents: string[] }>();
  for (const r of rows) {
    const p = monthOf(r.detectedAt);
    const on = creditMonth(r)!;
    const seen = periods.get(p);
    periods.set(p, {
      on: seen && seen.on < on ? seen.on : on,
      incidents: [...(seen?.incidents ?? []), r.id],
    });
  }
  return [...periods]
    .filter(([, v]) => v.on === month)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([period, v]) => ({ period, incidents: v.incidents }));
}
