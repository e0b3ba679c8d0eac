/**
 * An account's invoice for a calendar month, from the hourly rollups: line items per storage class
 * (storage, class A and class B requests, retrieval) and egress, the free trial (what was used during the
 * trial window costs nothing), and the SLA credit earned in the previous month (a discount on this
 * invoice, never paid out). All money in integer minor units.
 */
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { usageHourly } from '../db/schema.ts';
import { type Ratio, ZERO, add } from './exact.ts';
import {
  GIB,
  type PriceList,
  exactCharge,
  monthOf,
  monthRange,
  nextMonth,
  previousMonth,
  rounded,
} from './prices.ts';
import type { ChargesFrom, SlaReport } from './sla.ts';
import { trialOf } from './trials.ts';

export interface Line {
  item: string;
  storageClass: 'STANDARD' | 'COLD' | null;
  quantity: string;
  unit: string;
  unitPrice: number;
  amount: number;
}

export interface Invoice {
  accountId: string;
  month: string;
  currency: string;
  /** 'tiyn' for KZT: every amount is in these. */
  minorUnit: string;
  lines: Line[];
  subtotal: number;
  trialDiscount: number;
  /**
   * The previous month's SLA credit: a share of that month's charges as issued (`chargesFrom: 'issued'`),
   * or of its estimate while it is not issued yet (only an estimate can show that; absent on invoices
   * issued before this was recorded).
   */
  slaCredit: {
    fromMonth: string;
    availability: number;
    percent: number;
    amount: number;
    chargesFrom?: ChargesFrom;
  };
  /**
   * Compensation for lost or damaged data (approved claims): 50% of each compensated period's charges
   * (after the trial), capped with the SLA credit at this invoice's charges (absent on invoices issued
   * before it existed).
   */
  compensation?: Compensation;
  total: number;
  /** 'estimate' while the month is open (or not yet rolled up); 'final' once issued, never to change. */
  status: 'estimate' | 'final';
  issuedAt: string | null;
}

export interface Compensation {
  amount: number;
  periods: {
    month: string;
    charges: number;
    chargesFrom: ChargesFrom;
    amount: number;
    incidents: string[];
  }[];
}

interface Totals {
  byteSeconds: number;
  bytesOut: number;
  /** COLD bytes copied out (from rows of the destination's class). */
  retrievalBytes: number;
  classA: number;
  classB: number;
}

/** The month's usage per class; `trialOnly`: only what was used within the trial window. */
async function totals(db: Db, accountId: string, month: string, trialOnly: boolean) {
  const { start, end } = monthRange(month);
  const { accountId: account, hour } = usageHourly;
  const inMonth = and(eq(account, accountId), gte(hour, start), lt(hour, end));
  const rows = await db
    .select({
      storageClass: usageHourly.storageClass,
      // total(): a REAL that cannot overflow; an integer sum passes 2^53 (what a libSQL server will
      // hand to JavaScript) at about 3 GiB kept for a month
      byteSeconds: sql<number>`total(${usageHourly.byteSeconds})`,
      bytesOut: sql<number>`total(${usageHourly.bytesOut})`,
      classA: sql<number>`coalesce(sum(${usageHourly.classA}), 0)`,
      classB: sql<number>`coalesce(sum(${usageHourly.classB}), 0)`,
      retrievalBytes: sql<number>`total(${usageHourly.retrievalBytes})`,
    })
    .from(usageHourly)
    .where(trialOnly ? and(inMonth, eq(usageHourly.inTrial, 1)) : inMonth)
    .groupBy(usageHourly.storageClass);
  return new Map(
    rows.map((r) => [
      r.storageClass,
      {
        byteSeconds: Number(r.byteSeconds),
        bytesOut: Number(r.bytesOut),
        retrievalBytes: Number(r.retrievalBytes),
        classA: Number(r.classA),
        classB: Number(r.classB),
      },
    ]),
  );
}

const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(3);

type Priced = { lines: Line[]; exact: Ratio };

/** Line items per class (each rounded once) and their exact sum, for a discount rounded once as a whole. */
function linesFor(t: Map<string, Totals>, prices: PriceList, secondsInMonth: number): Priced {
  const lines: Line[] = [];
  let exact = ZERO;
  /** A line charging `quantity × unitPrice / per`, showing the quantity as `shown`. */
  const push = (
    item: string,
    storageClass: Line['storageClass'],
    unit: string,
    unitPrice: number,
    quantity: number,
    per: bigint,
    shown: string,
  ) => {
    const amount = exactCharge(quantity, unitPrice, per);
    exact = add(exact, amount);
    lines.push({ item, storageClass, quantity: shown, unit, unitPrice, amount: rounded(amount) });
  };
  const MILLION = 1_000_000n;
  const storagePer = GIB * BigInt(secondsInMonth);
  let egress = 0;
  const copiedOutOfCold = [...t.values()].reduce((n, u) => n + u.retrievalBytes, 0);
  for (const cls of ['STANDARD', 'COLD'] as const) {
    const u = t.get(cls) ?? { byteSeconds: 0, bytesOut: 0, retrievalBytes: 0, classA: 0, classB: 0 };
    const retrieved = u.bytesOut + (cls === 'COLD' ? copiedOutOfCold : 0);
    egress += u.bytesOut;
    const months = (u.byteSeconds / 2 ** 30 / secondsInMonth).toFixed(6);
    push('Storage', cls, 'GiB-month', prices.storagePerGiBMonth[cls], u.byteSeconds, storagePer, months);
    push('Class A requests', cls, 'requests', prices.classAPerMillion[cls], u.classA, MILLION, `${u.classA}`);
    push('Class B requests', cls, 'requests', prices.classBPerMillion[cls], u.classB, MILLION, `${u.classB}`);
    const retrieval = prices.retrievalPerGiB[cls];
    if (retrieval > 0) push('Retrieval', cls, 'GiB', retrieval, retrieved, GIB, gib(retrieved));
  }
  if (prices.egressPerGiB > 0) push('Egress', null, 'GiB', prices.egressPerGiB, egress, GIB, gib(egress));
  return { lines, exact };
}

const sum = (lines: Line[]) => lines.reduce((n, l) => n + l.amount, 0);

/**
 * What a month costs before any SLA credit: line items and the trial's share of them. The discount is
 * one line of the invoice, so it is rounded once, from the exact charges of what the trial covered.
 */
export async function monthCharges(
  db: Db,
  accountId: string,
  month: string,
  prices: PriceList,
): Promise<{ lines: Line[]; subtotal: number; trialDiscount: number }> {
  const { start, end } = monthRange(month);
  const seconds = (end - start) / 1000;
  const { lines } = linesFor(await totals(db, accountId, month, false), prices, seconds);
  const subtotal = sum(lines);
  // what was used within the trial's window (metered apart, to the millisecond), while it stays granted
  const trial = await trialOf(db, accountId);
  if (trial?.status !== 'granted') return { lines, subtotal, trialDiscount: 0 };
  const free = rounded(linesFor(await totals(db, accountId, month, true), prices, seconds).exact);
  // the trial's volume: what earlier months of the trial made free comes off it first
  let left = trial.freeUpTo ?? Infinity;
  for (let m = monthOf(trial.startsAt); trial.freeUpTo !== null && left > 0 && m < month; m = nextMonth(m))
    left -= (await monthCharges(db, accountId, m, prices)).trialDiscount;
  return { lines, subtotal, trialDiscount: Math.max(0, Math.min(free, subtotal, left)) };
}

export async function invoice(
  db: Db,
  accountId: string,
  month: string,
  prices: PriceList,
  slaOf: (month: string) => Promise<SlaReport>,
  compensationOf: (month: string) => Promise<Compensation> = async () => ({ amount: 0, periods: [] }),
): Promise<Invoice> {
  const { lines, subtotal, trialDiscount } = await monthCharges(db, accountId, month, prices);
  const prev = await slaOf(previousMonth(month));
  const afterTrial = subtotal - trialDiscount;
  const credit = Math.min(prev.credit, afterTrial);
  // credits never take an invoice below zero (never paid out): compensation gets what the SLA left
  const comp = await compensationOf(month);
  const compensated = Math.min(comp.amount, afterTrial - credit);
  return {
    accountId,
    month,
    currency: prices.currency,
    minorUnit: prices.currency === 'KZT' ? 'tiyn' : 'minor unit',
    lines,
    subtotal,
    trialDiscount,
    slaCredit: {
      fromMonth: prev.month,
      availability: prev.availability,
      percent: prev.tier.creditPercent,
      amount: credit,
      chargesFrom: prev.chargesFrom,
    },
    ...(comp.periods.length ? { compensation: { ...comp, amount: compensated } } : {}),
    total: afterTrial - credit - compensated,
    status: 'estimate',
    issuedAt: null,
  };
}

export function invoiceCsv(inv: Invoice): string {
  const esc = (v: string | number | null) =>
    typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v ?? '');
  const rows: (string | number | null)[][] = [
    ['item', 'storage_class', 'quantity', 'unit', `unit_price_${inv.minorUnit}`, `amount_${inv.minorUnit}`],
  ];
  for (const l of inv.lines) rows.push([l.item, l.storageClass, l.quantity, l.unit, l.unitPrice, l.amount]);
  rows.push(['Subtotal', null, null, null, null, inv.subtotal]);
  rows.push(['Free trial', null, null, null, null, -inv.trialDiscount]);
  const { fromMonth, availability, percent, amount, chargesFrom } = inv.slaCredit;
  const of = chargesFrom === 'estimate' ? `, of its estimate: ${fromMonth} is not issued yet` : '';
  rows.push([
    `SLA credit (${fromMonth}: ${availability}% → ${percent}%${of})`,
    null,
    null,
    null,
    null,
    -amount,
  ]);
  if (inv.compensation) {
    const periods = inv.compensation.periods.map((p) => p.month).join(' ');
    rows.push([
      `Compensation for lost or damaged data (${periods})`,
      null,
      null,
      null,
      null,
      -inv.compensation.amount,
    ]);
  }
  rows.push(['Total', null, null, null, null, inv.total]);
  rows.push([
    inv.status === 'final' ? `Issued ${inv.issuedAt}` : 'Estimate: the month is not closed yet',
    null,
    null,
    null,
    null,
    null,
  ]);
  return rows.map((r) => r.map(esc).join(',')).join('\n') + '\n';
}
