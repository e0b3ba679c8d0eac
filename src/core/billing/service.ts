/** One entry point for the figures an account and the operator ask about: usage, invoices, SLA. */
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { buckets, requestLog } from '../db/schema.ts';
import { type Compensation, type Invoice, invoice, monthCharges } from './invoice.ts';
import { COMPENSATION_BP, compensatedPeriods } from '../model/terms-incidents.ts';
import { invoicedFor, issue, issueClosedMonths, issuedInvoice, monthRolledUp } from './issued.ts';
import { type PriceList, charge, previousMonth } from './prices.ts';
import { type RollupOptions, rollupAll } from './rollup.ts';
import { type SlaReport, slaReport } from './sla.ts';

export interface UsageReport {
  accountId: string;
  from: string;
  to: string;
  requests: { operation: string; status: number; count: number }[];
  bytesIn: number;
  bytesOut: number;
  storedBytes: { STANDARD: number; COLD: number };
}

export class Billing {
  constructor(
    private readonly db: Db,
    readonly prices: PriceList,
    readonly trialDays: number,
  ) {}

  /**
   * The month's SLA report. Its credit is a share of the month's charges as issued (the prices then),
   * never re-priced; while the month is not issued, of the same estimate its invoice shows.
   */
  async sla(accountId: string, month: string): Promise<SlaReport> {
    const issued = await issuedInvoice(this.db, accountId, month);
    const c = issued ?? (await monthCharges(this.db, accountId, month, this.prices));
    const from = issued ? 'issued' : 'estimate';
    return slaReport(this.db, accountId, month, this.prices, { amount: c.subtotal - c.trialDiscount, from });
  }

  /**
   * The metering job (every node runs it every minute): rolls up the finished hours, then issues the
   * invoices of every month now wholly rolled up. Returns what it did.
   */
  async rollup(opts: RollupOptions): Promise<{ hoursRolledUp: number; invoicesIssued: number }> {
    const hoursRolledUp = await rollupAll(this.db, opts);
    const invoicesIssued = await issueClosedMonths(this.db, (account, month) => this.invoice(account, month));
    return { hoursRolledUp, invoicesIssued };
  }

  /**
   * The month's invoice: as issued once the month is rolled up (by the metering job, or by the first
   * reader to get there before it), else a running estimate.
   */
  async invoice(accountId: string, month: string): Promise<Invoice> {
    const issued = await issuedInvoice(this.db, accountId, month);
    if (issued) return issued;
    const closed = await monthRolledUp(this.db, month);
    // months are issued in order: a month's SLA credit is a share of the month before as issued
    const before = previousMonth(month);
    if (closed && (await invoicedFor(this.db, accountId, before))) await this.invoice(accountId, before);
    const estimate = await invoice(
      this.db,
      accountId,
      month,
      this.prices,
      (m) => this.sla(accountId, m),
      (m) => this.compensation(accountId, m),
    );
    return closed ? issue(this.db, estimate) : estimate;
  }

  /**
   * Compensation for lost data landing on the month's invoice: 50% of each compensated period's
   * charges as issued (or its estimate while not issued), as the SLA credit is taken.
   */
  async compensation(accountId: string, month: string): Promise<Compensation> {
    const periods: Compensation['periods'] = [];
    for (const p of await compensatedPeriods(this.db, accountId, month)) {
      const issued = await issuedInvoice(this.db, accountId, p.period);
      const c = issued ?? (await monthCharges(this.db, accountId, p.period, this.prices));
      const charges = c.subtotal - c.trialDiscount;
      const amount = charge(charges, COMPENSATION_BP, 10_000n);
      periods.push({
        month: p.period,
        charges,
        chargesFrom: issued ? 'issued' : 'estimate',
        amount,
        incidents: p.incidents,
      });
    }
    return { amount: periods.reduce((n, p) => n + p.amount, 0), periods };
  }

  /** From the request log (within its retention) and the metadata now. */
  async usage(accountId: string, from: number, to: number): Promise<UsageReport> {
    const inRange = and(
      eq(requestLog.accountId, accountId),
      gte(requestLog.time, from),
      lt(requestLog.time, to),
    );
    const requests = await this.db
      .select({ operation: requestLog.operation, status: requestLog.status, count: sql<number>`count(*)` })
      .from(requestLog)
      .where(inRange)
      .groupBy(requestLog.operation, requestLog.status)
      .orderBy(requestLog.operation, requestLog.status);
    const [bytes] = await this.db
      .select({
        in: sql<number>`coalesce(sum(${requestLog.bytesIn}), 0)`,
        out: sql<number>`coalesce(sum(${requestLog.bytesOut}), 0)`,
      })
      .from(requestLog)
      .where(inRange);
    const stored = await this.db
      .select({ cls: buckets.storageClass, bytes: sql<number>`coalesce(sum(${buckets.byteCount}), 0)` })
      .from(buckets)
      .where(eq(buckets.accountId, accountId))
      .groupBy(buckets.storageClass);
    const byClass = { STANDARD: 0, COLD: 0 };
    for (const s of stored) byClass[s.cls] = Number(s.bytes);
    return {
      accountId,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      requests: requests.map((r) => ({ ...r, count: Number(r.count) })),
      bytesIn: Number(bytes?.in ?? 0),
      bytesOut: Number(bytes?.out ?? 0),
      storedBytes: byClass,
    };
  }
}
