/**
 * The price list and money arithmetic. Money is integer minor units (tiyn: 1/100 of a tenge), never
 * floats; every amount is computed with BigInt and rounded half up once, at the end of its line.
 */
import { z } from 'zod';
import { type Ratio, ratio } from './exact.ts';

const perClass = z.object({ STANDARD: z.number().int().min(0), COLD: z.number().int().min(0) });

export const PriceList = z.object({
  currency: z.string().default('KZT'),
  /** Per GiB-month of storage (a month being the calendar month's length). */
  storagePerGiBMonth: perClass.default({ STANDARD: 800, COLD: 300 }),
  /** Per million class A requests (writes, lists). */
  classAPerMillion: perClass.default({ STANDARD: 225_000, COLD: 450_000 }),
  /** Per million class B requests (reads). */
  classBPerMillion: perClass.default({ STANDARD: 18_000, COLD: 36_000 }),
  /** Per GiB read out of a bucket: COLD is cheaper to keep, costlier to read. */
  retrievalPerGiB: perClass.default({ STANDARD: 0, COLD: 500 }),
  /** Per GiB sent to clients, whatever the class. */
  egressPerGiB: z.number().int().min(0).default(0),
  /** SLA credit tiers, checked from the first: availability (percent) at least `min` → `creditPercent`. */
  slaTiers: z
    .array(z.object({ min: z.number().min(0).max(100), creditPercent: z.number().min(0).max(100) }))
    .default([
      { min: 99.9, creditPercent: 0 },
      { min: 99.0, creditPercent: 5 },
      { min: 95.0, creditPercent: 10 },
      { min: 0, creditPercent: 15 },
    ]),
});
export type PriceList = z.infer<typeof PriceList>;

export const DEFAULT_PRICES: PriceList = PriceList.parse({});

/** `num / den` rounded half up, for non-negative BigInts. */
export function divRound(num: bigint, den: bigint): bigint {
  return (num * 2n + den) / (den * 2n);
}

export const GIB = 1n << 30n;

/** `quantity × price / per` in minor units, exactly: for summing charges before their one rounding. */
export function exactCharge(quantity: number | bigint, price: number, per: bigint): Ratio {
  // sums of very large quantities come back as REALs (SQL total()): whole, but maybe past 2^53
  return ratio(BigInt(typeof quantity === 'number' ? Math.round(quantity) : quantity) * BigInt(price), per);
}

/** An exact amount rounded (half up) to whole minor units: once per line of an invoice. */
export function rounded(amount: Ratio): number {
  return Number(divRound(amount.num, amount.den));
}

/** `quantity × price / per`, in minor units, rounded once. */
export function charge(quantity: number | bigint, price: number, per: bigint): number {
  return rounded(exactCharge(quantity, price, per));
}

/** The calendar month `YYYY-MM` as [start, end) epoch ms in UTC. */
export function monthRange(month: string): { start: number; end: number } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new Error(`a month is YYYY-MM, not "${month}"`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return { start: Date.UTC(y, mo, 1), end: Date.UTC(y, mo + 1, 1) };
}

export function previousMonth(month: string): string {
  const { start } = monthRange(month);
  const d = new Date(start - 1);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function nextMonth(month: string): string {
  return monthOf(monthRange(month).end);
}

export function monthOf(time: number): string {
  const d = new Date(time);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}
