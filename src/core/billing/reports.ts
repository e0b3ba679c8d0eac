/**
 * Outages customers report. The operator confirms (with the time service was restored) or rejects
 * each; a confirmed report counts as downtime from the report to the restoration (sla.ts).
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { outageReports } from '../db/schema.ts';
import { randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';

export type OutageReport = typeof outageReports.$inferSelect;

/** A report as the API and the CLI show it: times in ISO 8601, as everywhere else. */
export interface OutageReportView extends Omit<OutageReport, 'reportedAt' | 'restoredAt' | 'decidedAt'> {
  reportedAt: string;
  restoredAt: string | null;
  decidedAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function reportView(r: OutageReport): OutageReportView {
  return { ...r, reportedAt: iso(r.reportedAt)!, restoredAt: iso(r.restoredAt), decidedAt: iso(r.decidedAt) };
}

export async function reportOutage(
  db: Db,
  accountId: string,
  description: string,
  now = Date.now(),
): Promise<OutageReport> {
  const row: OutageReport = {
    id: `out_${randomBase32(16)}`,
    accountId,
    reportedAt: now,
    description,
    status: 'pending',
    restoredAt: null,
    decidedAt: null,
    note: null,
  };
  await db.insert(outageReports).values(row);
  return row;
}

export async function listReports(db: Db, accountId?: string): Promise<OutageReport[]> {
  const q = db.select().from(outageReports);
  return (accountId ? q.where(eq(outageReports.accountId, accountId)) : q).orderBy(
    desc(outageReports.reportedAt),
  );
}

export async function decideReport(
  db: Db,
  id: string,
  decision:
    | { status: 'confirmed'; restoredAt: number; note?: string }
    | { status: 'rejected'; note?: string },
  now = Date.now(),
): Promise<OutageReport> {
  const [current] = await db.select().from(outageReports).where(eq(outageReports.id, id));
  if (!current) throw new S3Error('InvalidArgument', `No outage report ${id}.`);
  if (decision.status === 'confirmed' && decision.restoredAt < current.reportedAt) {
    throw new S3Error('InvalidArgument', 'Service cannot have been restored before the outage was reported.');
  }
  const [row] = await db
    .update(outageReports)
    .set({
      status: decision.status,
      restoredAt: decision.status === 'confirmed' ? decision.restoredAt : null,
      decidedAt: now,
      note: decision.note ?? null,
    })
    .where(and(eq(outageReports.id, id)))
    .returning();
  return row!;
}
