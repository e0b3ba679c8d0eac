/**
 * Availability of an account's service for a calendar month, as S3 computes it: 100% minus the average
 * of the five-minute error rates, where an interval's error rate is the higher of its share of server
 * errors (5xx, not the customer's own SlowDown) and the share of its time that was down: the union of
 * the stretches the service did not answer (gaps in the prober's heart-beats) and of confirmed outage
 * reports, so the same minutes reported twice, or reported and also silent, count once. Intervals in
 * planned maintenance, force majeure, or outside the account's life do not count. The tier gives a credit
 * (a share of that month's charges as issued, capped at them), applied to the next month's invoice. For
 * the month in progress, the intervals so far.
 */
import { and, eq, gt, gte, lt } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { accounts, outageReports, probeGaps, slaExclusions, slaIntervals } from '../db/schema.ts';
import { type Ratio, ZERO, add, compare, floorDecimal, fromDecimal, ratio } from './exact.ts';
import { type PriceList, charge, monthRange } from './prices.ts';
import { SLOT } from './rollup.ts';
import { MAINTENANCE_NOTICE_MS, exclusionsOf } from '../model/terms-exclusions.ts';

export type DowntimeCause = 'server-errors' | 'no-response' | 'reported-outage';

export interface SlaReport {
  accountId: string;
  month: string;
  /**
   * Percent, shown to 9 decimals rounded down (so it never reaches a tier the exact value does not);
   * the tier is chosen from the exact value.
   */
  availability: number;
  intervalsCounted: number;
  intervalsExcluded: number;
  downtime: { from: string; to: string; causes: DowntimeCause[]; averageErrorRate: number }[];
  exclusions: { from: string; to: string; kind: string; reason: string }[];
  tier: { min: number; creditPercent: number };
  /** The month's charges after the trial: from its issued invoice, or its estimate while not issued. */
  monthCharges: number;
  chargesFrom: ChargesFrom;
  credit: number;
}

/** Where a month's charges come from: its issued invoice, or (not issued yet) its running estimate. */
export type ChargesFrom = 'issued' | 'estimate';

const iso = (t: number) => new Date(t).toISOString();

interface Span {
  from: number;
  to: number;
  cause: 'no-response' | 'reported-outage';
}

/** The spans within [start, end), cut at five-minute boundaries, by slot. */
function bySlot(spans: Span[], start: number, end: number): Map<number, Span[]> {
  const out = new Map<number, Span[]>();
  for (const s of spans) {
    for (let t = Math.max(s.from, start); t < Math.min(s.to, end); ) {
      const slot = Math.floor(t / SLOT) * SLOT;
      const to = Math.min(slot + SLOT, s.to, end);
      out.set(slot, [...(out.get(slot) ?? []), { from: t, to, cause: s.cause }]);
      t = to;
    }
  }
  return out;
}

/** How long the spans cover, overlaps counted once. */
function unionMs(spans: Span[]): number {
  let total = 0;
  let reach = -Infinity;
  for (const s of [...spans].sort((a, b) => a.from - b.from)) {
    const from = Math.max(s.from, reach);
    if (s.to > from) {
      total += s.to - from;
      reach = s.to;
    }
  }
  return total;
}

export async function slaReport(
  db: Db,
  accountId: string,
  month: string,
  prices: PriceList,
  charges: { amount: number; from: ChargesFrom },
  now = Date.now(),
): Promise<SlaReport> {
  const monthCharges = charges.amount;
  const { start, end } = monthRange(month);
  // a month in progress: the intervals so far
  const until = Math.min(end, Math.ceil((now + 1) / SLOT) * SLOT);
  const [acc] = await db
    .select({ createdAt: accounts.createdAt, deletedAt: accounts.deletedAt })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  const lifeFrom = acc?.createdAt ?? end;
  const lifeTo = acc?.deletedAt ?? Infinity;

  const traffic = new Map(
    (
      await db
        .select()
        .from(slaIntervals)
        .where(
          and(
            eq(slaIntervals.accountId, accountId),
            gte(slaIntervals.slot, start),
            lt(slaIntervals.slot, end),
          ),
        )
    ).map((r) => [r.slot, r]),
  );
  const gaps = await db
    .select()
    .from(probeGaps)
    .where(and(lt(probeGaps.from, end), gt(probeGaps.to, start)));
  const reports = await db
    .select()
    .from(outageReports)
    .where(
      and(
        eq(outageReports.accountId, accountId),
        eq(outageReports.status, 'confirmed'),
        lt(outageReports.reportedAt, end),
      ),
    );
  const down = bySlot(
    [
      ...gaps.map((g): Span => ({ from: g.from, to: g.to, cause: 'no-response' })),
      ...reports.map(
        (r): Span => ({ from: r.reportedAt, to: r.restoredAt ?? end, cause: 'reported-outage' }),
      ),
    ],
    start,
    end,
  );
  // everyone's, the account's own, its suspensions (terms-exclusions.ts)
  const exclusions = await exclusionsOf(db, accountId, start, end);

  const outside: SlaReport['exclusions'] = exclusions.map((x) => ({
    from: iso(Math.max(x.startsAt, start)),
    to: iso(Math.min(x.endsAt, end)),
    kind: x.kind,
    reason: x.reason,
  }));
  if (lifeFrom > start)
    outside.push({
      from: iso(start),
      to: iso(Math.min(lifeFrom, end)),
      kind: 'not-in-service',
      reason: 'the service did not exist yet',
    });
  if (lifeTo < end)
    outside.push({
      from: iso(Math.max(lifeTo, start)),
      to: iso(end),
      kind: 'not-in-service',
      reason: 'the service was deleted',
    });

  let counted = 0;
  let excluded = 0;
  // exact: the tier is chosen from this sum, and a rounded figure can cross a tier's boundary
  let rateSum = ZERO;
  const downtime: SlaReport['downtime'] = [];
  let open: { from: number; to: number; causes: Set<DowntimeCause>; rates: number[] } | null = null;
  const close = () => {
    if (open)
      downtime.push({
        from: iso(open.from),
        to: iso(open.to),
        causes: [...open.causes],
        averageErrorRate: open.rates.reduce((a, b) => a + b, 0) / open.rates.length,
      });
    open = null;
  };
  for (let slot = start; slot < until; slot += SLOT) {
    const slotEnd = slot + SLOT;
    if (
      slotEnd <= lifeFrom ||
      slot >= lifeTo ||
      exclusions.some((x) => x.startsAt < slotEnd && x.endsAt > slot)
    ) {
      excluded++;
      close();
      continue;
    }
    counted++;
    const t = traffic.get(slot);
    const errorRate = t && t.requests > 0 ? ratio(t.errors, t.requests) : ZERO;
    const spans = down.get(slot) ?? [];
    // errors and down time are two measures of the same failure: the worse one counts, not their sum
    const downShare = ratio(unionMs(spans), SLOT);
    const rate = compare(errorRate, downShare) >= 0 ? errorRate : downShare;
    rateSum = add(rateSum, rate);
    if (rate.num > 0n) {
      const causes: DowntimeCause[] = [];
      if (errorRate.num > 0n) causes.push('server-errors');
      if (spans.some((x) => x.cause === 'no-response')) causes.push('no-response');
      if (spans.some((x) => x.cause === 'reported-outage')) causes.push('reported-outage');
      if (!open) open = { from: slot, to: slotEnd, causes: new Set(), rates: [] };
      open.to = slotEnd;
      for (const c of causes) open.causes.add(c);
      open.rates.push(Number(rate.num) / Number(rate.den));
    } else close();
  }
  close();

  // availability = 100 − 100 × (sum of rates) / counted, exactly
  const n = BigInt(counted);
  const exact: Ratio = counted
    ? { num: 100n * (n * rateSum.den - rateSum.num), den: n * rateSum.den }
    : ratio(100, 1);
  const tier =
    prices.slaTiers.find((t) => compare(exact, fromDecimal(t.min)) >= 0) ??
    prices.slaTiers[prices.slaTiers.length - 1]!;
  const credit = Math.min(monthCharges, charge(monthCharges, Math.round(tier.creditPercent * 100), 10_000n));
  return {
    accountId,
    month,
    availability: floorDecimal(exact, 9),
    intervalsCounted: counted,
    intervalsExcluded: excluded,
    downtime,
    exclusions: outside,
    tier,
    monthCharges,
    chargesFrom: charges.from,
    credit,
  };
}

export function slaCsv(r: SlaReport): string {
  const lines = [
    'field,value',
    `account,${r.accountId}`,
    `month,${r.month}`,
    `availability_percent,${r.availability}`,
    `intervals_counted,${r.intervalsCounted}`,
    `intervals_excluded,${r.intervalsExcluded}`,
    `tier_min_percent,${r.tier.min}`,
    `credit_percent,${r.tier.creditPercent}`,
    `month_charges,${r.monthCharges}`,
    `charges_from,${r.chargesFrom}`,
    `credit,${r.credit}`,
    '',
    'downtime_from,downtime_to,causes,average_error_rate',
    ...r.downtime.map((d) => `${d.from},${d.to},${d.causes.join(' ')},${d.averageErrorRate}`),
    '',
    'excluded_from,excluded_to,kind,reason',
    ...r.exclusions.map((x) => `${x.from},${x.to},${x.kind},"${x.reason.replace(/"/g, '""')}"`),
  ];
  return lines.join('\n') + '\n';
}

/** Operator: record planned maintenance (at least a day in advance) or force majeure. */
export async function addExclusion(
  db: Db,
  x: { kind: 'maintenance' | 'force-majeure'; startsAt: number; endsAt: number; reason: string },
  now = Date.now(),
) {
  if (!(x.endsAt > x.startsAt)) throw new Error('the end must come after the start');
  if (x.kind === 'maintenance' && x.startsAt < now + MAINTENANCE_NOTICE_MS) {
    throw new Error(
      'planned maintenance is announced at least 24 hours in advance; for anything sooner or past, record force majeure (or let it count)',
    );
  }
  const row = {
    id: `exc_${now.toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    createdAt: now,
    ...x,
  };
  await db.insert(slaExclusions).values(row);
  return row;
}

/** An exclusion as the API and the CLI show it: times in ISO 8601. */
export function exclusionView<X extends { startsAt: number; endsAt: number; createdAt: number }>(x: X) {
  const iso = (ms: number) => new Date(ms).toISOString();
  return { ...x, startsAt: iso(x.startsAt), endsAt: iso(x.endsAt), createdAt: iso(x.createdAt) };
}

export async function listExclusions(db: Db, from: number, to: number) {
  return db
    .select()
    .from(slaExclusions)
    .where(and(lt(slaExclusions.startsAt, to), gt(slaExclusions.endsAt, from)));
}
