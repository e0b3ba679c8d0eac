/**
 * Account quotas: stored bytes, buckets, objects, the largest object, and the fair-use rates. Each
 * account gets the operator's defaults when it is created; the operator may change them per account.
 *
 * Byte quota: an upload first reserves its declared size in one atomic statement that checks
 * used + reserved + new ≤ quota, so concurrent uploads cannot overshoot together; the commit that makes
 * the object visible deletes the reservation in the same batch (the object's bytes now count instead).
 */
import { eq, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { type Db, guardIndex } from '../db/index.ts';
import { buckets, guards, multipartParts, multipartUploads, nodes, quotas, reservations } from '../db/schema.ts';
import { randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';

export type QuotaLimits = Omit<typeof quotas.$inferSelect, 'accountId'>;

export interface Usage {
  bytes: number;
  /** Parts of multipart uploads not completed yet (they take space too). */
  uploadBytes: number;
  reservedBytes: number;
  buckets: number;
  objects: number;
}

const usedBytes = (accountId: string) => sql<number>`(
  (SELECT coalesce(sum(${buckets.byteCount}), 0) FROM ${buckets} WHERE ${buckets.accountId} = ${accountId})
  + (SELECT coalesce(sum(${multipartParts.size}), 0) FROM ${multipartParts}
       JOIN ${multipartUploads} ON ${multipartUploads.id} = ${multipartParts.uploadId}
       JOIN ${buckets} ON ${buckets.id} = ${multipartUploads.bucketId} WHERE ${buckets.accountId} = ${accountId})
  + (SELECT coalesce(sum(${reservations.bytes}), 0) FROM ${reservations} WHERE ${reservations.accountId} = ${accountId}))`;

const guardIf = (db: Db, condition: ReturnType<typeof sql>) =>
  db.insert(guards).select(db.select({ reason: sql<string>`'QuotaExceeded'`.as('reason') }).from(sql`(SELECT 1)`).where(condition));

export async function setQuota(db: Db, accountId: string, limits: QuotaLimits): Promise<void> {
  await db.insert(quotas).values({ accountId, ...limits }).onConflictDoUpdate({ target: quotas.accountId, set: limits });
}

export async function quotaOf(db: Db, accountId: string, defaults: QuotaLimits): Promise<QuotaLimits> {
  const [row] = await db.select().from(quotas).where(eq(quotas.accountId, accountId));
  if (!row) return defaults;
  const { accountId: _a, ...limits } = row;
  return limits;
}

export async function usageOf(db: Db, accountId: string): Promise<Usage> {
  const [b] = await db
    .select({ bytes: sql<number>`coalesce(sum(${buckets.byteCount}), 0)`, objects: sql<number>`coalesce(sum(${buckets.objectCount}), 0)`, buckets: sql<number>`count(*)` })
    .from(buckets).where(eq(buckets.accountId, accountId));
  const [p] = await db.select({ bytes: sql<number>`coalesce(sum(${multipartParts.size}), 0)` }).from(multipartParts)
    .innerJoin(multipartUploads, eq(multipartUploads.id, multipartParts.uploadId))
    .innerJoin(buckets, eq(buckets.id, multipartUploads.bucketId))
    .where(eq(buckets.accountId, accountId));
  const [r] = await db.select({ bytes: sql<number>`coalesce(sum(${reservations.bytes}), 0)` }).from(reservations).where(eq(reservations.accountId, accountId));
  return { bytes: Number(b?.bytes ?? 0), objects: Number(b?.objects ?? 0), buckets: Number(b?.buckets ?? 0), uploadBytes: Number(p?.bytes ?? 0), reservedBytes: Number(r?.bytes ?? 0) };
}

function quotaError(what: string, limit: number): S3Error {
  return new S3Error('QuotaExceeded', `This would exceed your account's quota of ${limit} ${what}. Delete something, or ask for a larger quota.`);
}

/** Reserves `bytes` for an upload, atomically against the byte quota; returns the reservation id. */
export async function reserveBytes(db: Db, opts: { accountId: string; bytes: number; nodeId: string; limits: QuotaLimits }): Promise<string> {
  if (opts.bytes > opts.limits.maxObjectSize) {
    throw new S3Error('QuotaExceeded', `An object of ${opts.bytes} bytes is larger than the largest your account may store (${opts.limits.maxObjectSize} bytes).`);
  }
  const id = `rsv_${randomBase32(20)}`;
  try {
    await db.batch([
      guardIf(db, sql`${usedBytes(opts.accountId)} + ${opts.bytes} > ${opts.limits.maxBytes}`),
      db.insert(reservations).values({ id, accountId: opts.accountId, bytes: opts.bytes, nodeId: opts.nodeId, createdAt: Date.now() }),
    ]);
  } catch (e) {
    if (guardIndex(e) !== null) throw quotaError('stored bytes', opts.limits.maxBytes);
    throw e;
  }
  return id;
}

/** The statement that settles a reservation, to run in the batch that commits what it was for. */
export function settle(db: Db, reservationId: string): BatchItem<'sqlite'> {
  return db.delete(reservations).where(eq(reservations.id, reservationId));
}

export async function release(db: Db, reservationId: string): Promise<void> {
  await db.delete(reservations).where(eq(reservations.id, reservationId));
}

/** A batch statement failing with QuotaExceeded when one more object would pass the object quota. */
export function objectCountGuard(db: Db, accountId: string, maxObjects: number, bucketId: string, key: string): { stmt: BatchItem<'sqlite'>; error: () => S3Error } {
  return {
    stmt: guardIf(db, sql`NOT EXISTS (SELECT 1 FROM objects WHERE bucket_id = ${bucketId} AND key = ${key})
      AND (SELECT coalesce(sum(${buckets.objectCount}), 0) FROM ${buckets} WHERE ${buckets.accountId} = ${accountId}) >= ${maxObjects}`),
    error: () => quotaError('objects', maxObjects),
  };
}

/** A batch statement failing with QuotaExceeded when one more bucket would pass the bucket quota. */
export function bucketCountGuard(db: Db, accountId: string, maxBuckets: number): { stmt: BatchItem<'sqlite'>; error: () => S3Error } {
  return {
    stmt: guardIf(db, sql`(SELECT count(*) FROM ${buckets} WHERE ${buckets.accountId} = ${accountId}) >= ${maxBuckets}`),
    error: () => quotaError('buckets', maxBuckets),
  };
}

/** Reservations of processes that died mid-upload. */
export async function sweepAbandonedReservations(db: Db, nodeTimeoutMs: number): Promise<number> {
  const staleBefore = Date.now() - nodeTimeoutMs;
  const gone = await db.delete(reservations)
    .where(sql`${reservations.nodeId} NOT IN (SELECT ${nodes.id} FROM ${nodes} WHERE ${nodes.heartbeatAt} >= ${staleBefore})`)
    .returning({ id: reservations.id });
  return gone.length;
}
