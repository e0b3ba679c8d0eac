/**
 * Issuing invoices: a month's invoice is an estimate until every hour of the month is rolled up
 * (traffic and prober), then it is stored as issued and shown as stored from then on. Two nodes
 * issuing at once store one: the first insert wins, and both show the stored one.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { issuedInvoices, jobMarks } from '../db/schema.ts';
import type { Invoice } from './invoice.ts';
import { monthRange } from './prices.ts';
import { HOUR } from './rollup.ts';

export async function issuedInvoice(db: Db, accountId: string, month: string): Promise<Invoice | null> {
  const [row] = await db.select({ body: issuedInvoices.body }).from(issuedInvoices)
    .where(and(eq(issuedInvoices.accountId, accountId), eq(issuedInvoices.month, month))).limit(1);
  return row ? (JSON.parse(row.body) as Invoice) : null;
}

/** Whether the month's last hour has been rolled up by both jobs (so nothing more will come in). */
export async function monthRolledUp(db: Db, month: string): Promise<boolean> {
  const lastHour = monthRange(month).end - HOUR;
  const marks = await db.select({ job: jobMarks.job }).from(jobMarks).where(eq(jobMarks.slot, lastHour));
  const jobs = new Set(marks.map((m) => m.job));
  return jobs.has('traffic') && jobs.has('probe');
}

/** Stores `estimate` as the month's issued invoice unless one is there already; returns the issued one. */
export async function issue(db: Db, estimate: Invoice, now = Date.now()): Promise<Invoice> {
  const final: Invoice = { ...estimate, status: 'final', issuedAt: new Date(now).toISOString() };
  await db.insert(issuedInvoices).values({ accountId: final.accountId, month: final.month, issuedAt: now, body: JSON.stringify(final) }).onConflictDoNothing();
  return (await issuedInvoice(db, final.accountId, final.month)) ?? final;
}
