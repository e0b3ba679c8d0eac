/**
 * An account's (or one of its buckets') month day by day, for the console's charts: stored bytes (the day's
 * average, as billed; today: what is stored now), bytes in and out, and requests. Requests and traffic come
 * from the request log for the month in progress (every request, free ones too); for earlier months, from the
 * hourly rollups (billable requests only: `source` says which).
 */
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { buckets, requestLog, usageHourly } from '../db/schema.ts';
import { monthRange } from './prices.ts';

const DAY = 86_400_000;

export interface DayUsage {
  day: string;
  storedBytes: number;
  bytesIn: number;
  bytesOut: number;
  requests: number;
}

export interface MonthSeries {
  month: string;
  source: 'log' | 'rollup';
  days: DayUsage[];
}

const dayIndex = (column: unknown, start: number) =>
  sql<number>`CAST((${column} - ${sql.raw(String(start))}) / ${sql.raw(String(DAY))} AS INTEGER)`;

export async function monthSeries(
  db: Db,
  accountId: string,
  month: string,
  now = Date.now(),
  /** One bucket's share only (null: the whole account). */
  bucket: string | null = null,
): Promise<MonthSeries> {
  const { start, end } = monthRange(month);
  const until = Math.min(end, Math.max(start, now));
  const count = Math.max(1, Math.ceil((until - start) / DAY));
  const days: DayUsage[] = Array.from({ length: count }, (_, i) => ({
    day: new Date(start + i * DAY).toISOString().slice(0, 10),
    storedBytes: 0,
    bytesIn: 0,
    bytesOut: 0,
    requests: 0,
  }));
  const at = (i: number) => days[Math.min(Math.max(0, Number(i)), days.length - 1)]!;

  const hourly = and(
    eq(usageHourly.accountId, accountId),
    bucket !== null ? eq(usageHourly.bucket, bucket) : undefined,
    gte(usageHourly.hour, start),
    lt(usageHourly.hour, end),
  );
  const stored = await db
    .select({
      i: dayIndex(usageHourly.hour, start),
      byteSeconds: sql<number>`total(${usageHourly.byteSeconds})`,
    })
    .from(usageHourly)
    .where(hourly)
    .groupBy(sql`1`);
  for (const r of stored) at(r.i).storedBytes = Math.round(Number(r.byteSeconds) / (DAY / 1000));
  if (now >= start && now < end) {
    const [live] = await db
      .select({ bytes: sql<number>`coalesce(sum(${buckets.byteCount}), 0)` })
      .from(buckets)
      .where(and(eq(buckets.accountId, accountId), bucket !== null ? eq(buckets.name, bucket) : undefined));
    days[days.length - 1]!.storedBytes = Number(live?.bytes ?? 0);
  }

  // the log is kept longer than a month (QOIMA_LOG_RETENTION_DAYS), so it covers the month in progress
  const source = now < end ? 'log' : 'rollup';
  if (source === 'log') {
    const rows = await db
      .select({
        i: dayIndex(requestLog.time, start),
        requests: sql<number>`count(*)`,
        bytesIn: sql<number>`total(${requestLog.bytesIn})`,
        bytesOut: sql<number>`total(${requestLog.bytesOut})`,
      })
      .from(requestLog)
      .where(
        and(
          eq(requestLog.accountId, accountId),
          bucket !== null ? eq(requestLog.bucket, bucket) : undefined,
          gte(requestLog.time, start),
          lt(requestLog.time, end),
        ),
      )
      .groupBy(sql`1`);
    for (const r of rows)
      Object.assign(at(r.i), {
        requests: Number(r.requests),
        bytesIn: Number(r.bytesIn),
        bytesOut: Number(r.bytesOut),
      });
  } else {
    const rows = await db
      .select({
        i: dayIndex(usageHourly.hour, start),
        requests: sql<number>`sum(${usageHourly.classA} + ${usageHourly.classB})`,
        bytesIn: sql<number>`total(${usageHourly.bytesIn})`,
        bytesOut: sql<number>`total(${usageHourly.bytesOut})`,
      })
      .from(usageHourly)
      .where(hourly)
      .groupBy(sql`1`);
    for (const r of rows)
      Object.assign(at(r.i), {
        requests: Number(r.requests),
        bytesIn: Number(r.bytesIn),
        bytesOut: Number(r.bytesOut),
      });
  }
  return { month, source, days };
}
