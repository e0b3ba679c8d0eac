/**
 * Issuing invoices: a month's invoice is an estimate until every hour of the month is rolled up
 * (traffic and prober), then it is stored as issued and shown as stored from then on. The metering job
 * issues every account's invoice as soon as its month is rolled up, whether anyone reads it or not, so a
 * later price change cannot reach a closed month. Two nodes issuing at once store one: the first insert
 * wins, and both show the stored one.
 */
import { and, eq, gte, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { accounts, issuedInvoices, jobMarks } from '../db/schema.ts';
import type { Invoice } from './invoice.ts';
import { monthOf, monthRange, nextMonth } from './prices.ts';
import { HOUR, firstActivity } from './rollup.ts';

export async function issuedInvoice(db: Db, accountId: string, month: string): Promise<Invoice | null> {
  const [row] = await db
    .select({ body: issuedInvoices.body })
    .from(issuedInvoices)
    .where(and(eq(issuedInvoices.accountId, accountId), eq(issuedInvoices.month, month)))
    .limit(1);
  return row ? (JSON.parse(row.body) as Invoice) : null;
}

/** Whether the month's last hour has been rolled up by both jobs (so nothing more will come in). */
export async function monthRolledUp(db: Db, month: string): Promise<boolean> {
  const lastHour = monthRange(month).end - HOUR;
  const marks = await db.select({ job: jobMarks.job }).from(jobMarks).where(eq(jobMarks.slot, lastHour));
  const jobs = new Set(marks.map((m) => m.job));
  return jobs.has('traffic') && jobs.has('probe');
}

/** Accounts that existed during the month: each gets an invoice for it. */
function aliveIn(month: string) {
  const { start, end } = monthRange(month);
  return and(lt(accounts.createdAt, end), or(isNull(accounts.deletedAt), gte(accounts.deletedAt, start)));
}

/** Whether the account gets an invoice for the month (it existed during it). */
export async function invoicedFor(db: Db, accountId: string, month: string): Promise<boolean> {
  const [row] = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.id, accountId), aliveIn(month)));
  return row !== undefined;
}

/** Stores `estimate` as the month's issued invoice unless one is there already; returns the issued one. */
export async function issue(db: Db, estimate: Invoice, now = Date.now()): Promise<Invoice> {
  const final: Invoice = { ...estimate, status: 'final', issuedAt: new Date(now).toISOString() };
  await db
    .insert(issuedInvoices)
    .values({ accountId: final.accountId, month: final.month, issuedAt: now, body: JSON.stringify(final) })
    .onConflictDoNothing();
  return (await issuedInvoice(db, final.accountId, final.month)) ?? final;
}

/**
 * Issues, with `issueOne`, the invoice of every account alive in each month that is rolled up and not
 * yet issued for everyone, oldest month first (a month's SLA credit is taken from the one before, as
 * issued); returns how many it issued. A month is marked done once all its invoices are stored, so a
 * node that stops halfway leaves the rest to the next run.
 */
export async function issueClosedMonths(
  db: Db,
  issueOne: (accountId: string, month: string) => Promise<unknown>,
): Promise<number> {
  const [mark] = await db
    .select({ slot: sql<number | null>`max(${jobMarks.slot})` })
    .from(jobMarks)
    .where(eq(jobMarks.job, 'invoices'));
  // the month after the last one done (its mark is the month's start), or the first account's
  let month = mark?.slot != null ? nextMonth(monthOf(Number(mark.slot))) : monthOf(await firstActivity(db));
  let issued = 0;
  while (await monthRolledUp(db, month)) {
    const alive = await db.select({ id: accounts.id }).from(accounts).where(aliveIn(month));
    for (const { id } of alive) {
      if (await issuedInvoice(db, id, month)) continue;
      await issueOne(id, month);
      issued++;
    }
    await db
      .insert(jobMarks)
      .values({ job: 'invoices', slot: monthRange(month).start })
      .onConflictDoNothing();
    month = nextMonth(month);
  }
  return issued;
}
