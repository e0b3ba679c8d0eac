/**
 * From the request log and the metadata to the numbers invoices and SLA reports use:
 *  - storage: every sample interval, each bucket's stored bytes × interval seconds go into its hour
 *    (sampled from the metadata, not from the log);
 *  - traffic: once an hour is over, its log rows are summed per account, bucket, class and trial share
 *    (bytes in, bytes out, class A and class B requests) and per account and five minutes (requests,
 *    server errors);
 *  - availability: gaps in the prober's heart-beats become stretches of downtime.
 * Usage within an account's trial window is kept apart from the rest, to the millisecond, so that the
 * hour in which a trial starts or ends is billed for exactly its paid part.
 * Each job marks its slot in the same batch that writes its sums, so with several nodes each slot is
 * counted exactly once. Log rows older than the retention are pruned once their hour is rolled up.
 */
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { type Db, guardIndex } from '../db/index.ts';
import {
  accounts,
  buckets,
  guards,
  jobMarks,
  probeBeats,
  probeGaps,
  requestLog,
  slaIntervals,
  trials,
  usageHourly,
} from '../db/schema.ts';

export const HOUR = 3_600_000;
export const SLOT = 300_000;

/** Class A: writes and lists. Class B: reads. Deletes, aborts and preflights are free. */
export const CLASS_A = [
  'PutObject',
  'CopyObject',
  'PostObject',
  'CreateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'CompleteMultipartUpload',
  'ListObjects',
  'ListObjectsV2',
  'ListMultipartUploads',
  'ListParts',
  'ListBuckets',
  'CreateBucket',
  'PutBucketPolicy',
  'PutBucketAcl',
  'PutBucketCors',
  'PutBucketWebsite',
  'PutObjectAcl',
];
export const CLASS_B = [
  'GetObject',
  'HeadObject',
  'GetObjectAttributes',
  'HeadBucket',
  'GetBucketLocation',
  'GetBucketVersioning',
  'GetBucketPolicy',
  'GetBucketPolicyStatus',
  'GetBucketAcl',
  'GetBucketCors',
  'GetBucketWebsite',
  'GetObjectAcl',
  'WebsiteGET',
  'WebsiteHEAD',
];

/**
 * A server error that counts against availability. Not: a customer's own SlowDown (fair use), nor
 * NotImplemented (a feature asked for that we do not offer: the answer is right, nothing is down).
 */
const SERVER_ERROR = sql`(${requestLog.status} >= 500 AND coalesce(${requestLog.errorCode}, '') NOT IN ('SlowDown', 'NotImplemented'))`;
/**
 * What is billed, wholly (the request, its bytes in and out, COLD retrieval): not server errors (5xx,
 * even when a download was cut off after sending bytes), nor refused requests (403): strangers knocking
 * on a bucket cost its owner nothing.
 */
const BILLABLE = sql`(${requestLog.status} < 500 AND ${requestLog.status} <> 403)`;
const inList = (col: typeof requestLog.operation, list: string[]) =>
  sql`(${col} IN (${sql.join(
    list.map((o) => sql`${o}`),
    sql`, `,
  )}))`;

/** Runs `stmts` unless `job` already ran for `slot`; true when it ran now. */
async function once(
  db: Db,
  job: string,
  slot: number,
  stmts: Parameters<Db['batch']>[0][number][],
): Promise<boolean> {
  try {
    await db.batch([
      db.insert(guards).select(
        db
          .select({ reason: sql<string>`'done'`.as('reason') })
          .from(jobMarks)
          .where(and(eq(jobMarks.job, job), eq(jobMarks.slot, slot))),
      ),
      db.insert(jobMarks).values({ job, slot }),
      ...stmts,
    ]);
    return true;
  } catch (e) {
    if (guardIndex(e) !== null) return false;
    throw e;
  }
}

/** Our whole numbers, inlined: a bound JS number is a REAL to SQLite, and REAL division would not floor. */
const int = (n: number) => {
  if (!Number.isSafeInteger(n)) throw new Error(`not a whole number: ${n}`);
  return sql.raw(String(n));
};

/** The key of usage_hourly, for upserts. */
const USAGE_KEY = [
  usageHourly.hour,
  usageHourly.accountId,
  usageHourly.bucket,
  usageHourly.storageClass,
  usageHourly.inTrial,
];

/** Joined after `accounts`: the account's granted trial (as trialOf() finds it), else nulls. */
const grantedTrial = and(
  eq(trials.customerId, accounts.customerId),
  eq(trials.accountId, accounts.id),
  eq(trials.status, 'granted'),
);

/**
 * Adds one storage sample (stored bytes × interval) for every bucket; once per `intervalMs` slot. The
 * part of the interval inside its account's trial window goes to the trial's row, to the millisecond.
 */
export async function sampleStorage(db: Db, now: number, intervalMs: number): Promise<boolean> {
  const slot = Math.floor(now / intervalMs) * intervalMs;
  const hour = Math.floor(slot / HOUR) * HOUR;
  const seconds = Math.round(intervalMs / 1000);
  // parts of unfinished multipart uploads take space too (they count against the byte quota)
  const bytes = sql`(${buckets.byteCount} + (SELECT coalesce(sum(p.size), 0) FROM multipart_parts p
    JOIN multipart_uploads u ON u.id = p.upload_id WHERE u.bucket_id = ${buckets.id}))`;
  // how much of [slot, slot + interval) the trial covers
  const trialMs = sql`coalesce(max(0,
    min(${int(slot + intervalMs)}, ${trials.endsAt}) - max(${int(slot)}, ${trials.startsAt})), 0)`;
  // bytes × ms / 1000 without passing 2^63 (bytes × whole seconds, then the rest of a second)
  const trialPart = sql`(${bytes} * (${trialMs} / 1000) + ${bytes} * (${trialMs} % 1000) / 1000)`;
  const part = (inTrial: 0 | 1) =>
    db
      .insert(usageHourly)
      .select(
        db
          .select({
            hour: sql<number>`${int(hour)}`.as('hour'),
            accountId: buckets.accountId,
            bucket: buckets.name,
            storageClass: buckets.storageClass,
            inTrial: sql<number>`${int(inTrial)}`.as('in_trial'),
            byteSeconds: (inTrial ? trialPart : sql`${bytes} * ${int(seconds)} - ${trialPart}`).as(
              'byte_seconds',
            ),
            bytesIn: sql<number>`0`.as('bytes_in'),
            bytesOut: sql<number>`0`.as('bytes_out'),
            classA: sql<number>`0`.as('class_a'),
            classB: sql<number>`0`.as('class_b'),
            retrievalBytes: sql<number>`0`.as('retrieval_bytes'),
          })
          .from(buckets)
          .leftJoin(accounts, eq(accounts.id, buckets.accountId))
          .leftJoin(trials, grantedTrial)
          // a WHERE is needed anyway: without one, SQLite would read ON CONFLICT as a join
          .where(inTrial ? sql`${trialMs} > 0` : sql`${trialMs} < ${int(intervalMs)}`),
      )
      .onConflictDoUpdate({
        target: USAGE_KEY,
        set: { byteSeconds: sql`${usageHourly.byteSeconds} + excluded.byte_seconds` },
      });
  return once(db, 'storage', slot, [part(0), part(1)]);
}

/**
 * Sums the log rows of the hour starting at `hour` into usage_hourly and sla_intervals: per bucket
 * name, class and trial share (a request is in the trial if it ended within the window).
 */
export async function rollupHour(db: Db, hour: number): Promise<boolean> {
  const inHour = and(
    gte(requestLog.time, hour),
    lt(requestLog.time, hour + HOUR),
    sql`${requestLog.accountId} IS NOT NULL`,
  );
  const bucket = sql<string>`coalesce(${requestLog.bucket}, '')`;
  const storageClass = sql<string>`coalesce(${requestLog.storageClass}, 'STANDARD')`;
  const { time } = requestLog;
  const inTrial = sql<number>`(CASE WHEN ${time} >= ${trials.startsAt} AND ${time} < ${trials.endsAt} THEN 1 ELSE 0 END)`;
  return once(db, 'traffic', hour, [
    db
      .insert(usageHourly)
      .select(
        db
          .select({
            hour: sql<number>`${int(hour)}`.as('hour'),
            accountId: sql<string>`${requestLog.accountId}`.as('account_id'),
            bucket: bucket.as('bucket'),
            storageClass: storageClass.as('storage_class'),
            inTrial: inTrial.as('in_trial'),
            byteSeconds: sql<number>`0`.as('byte_seconds'),
            bytesIn: sql<number>`sum(${requestLog.bytesIn})`.as('bytes_in'),
            bytesOut: sql<number>`sum(${requestLog.bytesOut})`.as('bytes_out'),
            classA: sql<number>`sum(CASE WHEN ${inList(requestLog.operation, CLASS_A)} THEN 1 ELSE 0 END)`.as(
              'class_a',
            ),
            classB: sql<number>`sum(CASE WHEN ${inList(requestLog.operation, CLASS_B)} THEN 1 ELSE 0 END)`.as(
              'class_b',
            ),
            retrievalBytes: sql<number>`sum(${requestLog.retrievalBytes})`.as('retrieval_bytes'),
          })
          .from(requestLog)
          .leftJoin(accounts, eq(accounts.id, requestLog.accountId))
          .leftJoin(trials, grantedTrial)
          .where(and(inHour, BILLABLE))
          .groupBy(requestLog.accountId, bucket, storageClass, inTrial),
      )
      .onConflictDoUpdate({
        target: USAGE_KEY,
        set: {
          bytesIn: sql`${usageHourly.bytesIn} + excluded.bytes_in`,
          bytesOut: sql`${usageHourly.bytesOut} + excluded.bytes_out`,
          classA: sql`${usageHourly.classA} + excluded.class_a`,
          classB: sql`${usageHourly.classB} + excluded.class_b`,
          retrievalBytes: sql`${usageHourly.retrievalBytes} + excluded.retrieval_bytes`,
        },
      }),
    db
      .insert(slaIntervals)
      .select(
        db
          .select({
            // constants inlined: a bound JS number is a REAL to SQLite, and REAL division would not floor
            slot: sql<number>`(${requestLog.time} / ${sql.raw(String(SLOT))}) * ${sql.raw(String(SLOT))}`.as(
              'slot',
            ),
            accountId: sql<string>`${requestLog.accountId}`.as('account_id'),
            requests: sql<number>`count(*)`.as('requests'),
            errors: sql<number>`sum(CASE WHEN ${SERVER_ERROR} THEN 1 ELSE 0 END)`.as('errors'),
          })
          .from(requestLog)
          .where(inHour)
          .groupBy(sql`(${requestLog.time} / ${sql.raw(String(SLOT))})`, requestLog.accountId),
      )
      .onConflictDoUpdate({
        target: [slaIntervals.slot, slaIntervals.accountId],
        set: {
          requests: sql`${slaIntervals.requests} + excluded.requests`,
          errors: sql`${slaIntervals.errors} + excluded.errors`,
        },
      }),
  ]);
}

/**
 * Turns the heart-beats around the hour starting at `hour` into the stretches of it in which the
 * service did not answer: any stretch longer than `gapMs` without a beat from any node.
 */
export async function rollupProbe(db: Db, hour: number, gapMs: number): Promise<boolean> {
  const beats = await db
    .select({ time: probeBeats.time })
    .from(probeBeats)
    .where(and(gte(probeBeats.time, hour - gapMs), lt(probeBeats.time, hour + HOUR + gapMs)))
    .orderBy(probeBeats.time);
  const gaps: { from: number; to: number }[] = [];
  // no beat at all around the hour means no node was up: all of it is down
  const times = [hour - gapMs, ...beats.map((b) => b.time), hour + HOUR + gapMs];
  for (let i = 1; i < times.length; i++) {
    const from = Math.max(times[i - 1]!, hour);
    const to = Math.min(times[i]!, hour + HOUR);
    if (times[i]! - times[i - 1]! > gapMs && to > from) gaps.push({ from, to });
  }
  const write = () => [db.insert(probeGaps).values(gaps).onConflictDoNothing()];
  return once(db, 'probe', hour, gaps.length ? write() : []);
}

export interface RollupOptions {
  now: number;
  /** How long after an hour ends its log rows are surely written. */
  settleMs: number;
  /** A longer silence of the prober is downtime. */
  gapMs: number;
  /** Log rows older than this are pruned (once rolled up). */
  retentionMs: number;
}

/**
 * Rolls up every finished hour after the last one done (or from the first account), then prunes old log rows.
 */
export async function rollupAll(db: Db, opts: RollupOptions): Promise<number> {
  let done = 0;
  const last = Math.floor((opts.now - opts.settleMs) / HOUR) * HOUR - HOUR;
  // each job resumes after its own last hour: an hour whose probe rollup failed is redone even if
  // its traffic rollup went through (once() skips whichever part is already done)
  const first = Math.floor((await firstActivity(db)) / HOUR) * HOUR;
  const nextOf = async (job: string) => {
    const [mark] = await db
      .select({ slot: sql<number | null>`max(${jobMarks.slot})` })
      .from(jobMarks)
      .where(eq(jobMarks.job, job));
    return mark?.slot != null ? Number(mark.slot) + HOUR : first;
  };
  const from = Math.min(await nextOf('traffic'), await nextOf('probe'));
  for (let hour = from; hour <= last; hour += HOUR) {
    if (await rollupHour(db, hour)) done++;
    await rollupProbe(db, hour, opts.gapMs);
  }
  const cutoff = Math.min(opts.now - opts.retentionMs, last + HOUR);
  await db.delete(requestLog).where(lt(requestLog.time, cutoff));
  await db.delete(probeBeats).where(lt(probeBeats.time, cutoff - opts.gapMs));
  return done;
}

/** The first moment anything could need rolling up: the oldest account. */
export async function firstActivity(db: Db): Promise<number> {
  const [row] = await db.select({ at: sql<number>`min(${accounts.createdAt})` }).from(accounts);
  return Number(row?.at ?? Date.now());
}
