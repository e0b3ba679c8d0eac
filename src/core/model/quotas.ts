/**
 * Account quotas: stored bytes, buckets, objects, the largest object, and the fair-use rates. Each
 * account gets the operator's defaults when it is created; the operator may change them per account.
 *
 * Byte quota: an upload may only keep bytes it has reserved. It reserves its declared size (0 when it
 * declared none) in one atomic statement that checks used + reserved + new ≤ quota, and a body that
 * arrives past its reservation grows it, atomically against the same check, before the bytes are kept;
 * so concurrent uploads cannot overshoot together, whatever they declared. The commit that makes the
 * object visible deletes the reservation in the same batch (the object's bytes now count instead).
 */
import { and, eq, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { type Db, guardIndex } from '../db/index.ts';
import {
  buckets,
  guards,
  multipartParts,
  multipartUploads,
  nodes,
  quotas,
  reservations,
} from '../db/schema.ts';
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
  db.insert(guards).select(
    db
      .select({ reason: sql<string>`'QuotaExceeded'`.as('reason') })
      .from(sql`(SELECT 1)`)
      .where(condition),
  );

export async function setQuota(db: Db, accountId: string, limits: QuotaLimits): Promise<void> {
  await db
    .insert(quotas)
    .values({ accountId, ...limits })
    .onConflictDoUpdate({ target: quotas.accountId, set: limits });
}

export async function quotaOf(db: Db, accountId: string, defaults: QuotaLimits): Promise<QuotaLimits> {
  const [row] = await db.select().from(quotas).where(eq(quotas.accountId, accountId));
  if (!row) return defaults;
  const { accountId: _a, ...limits } = row;
  return limits;
}

export async function usageOf(db: Db, accountId: string): Promise<Usage> {
  const [b] = await db
    .select({
      bytes: sql<number>`coalesce(sum(${buckets.byteCount}), 0)`,
      objects: sql<number>`coalesce(sum(${buckets.objectCount}), 0)`,
      buckets: sql<number>`count(*)`,
    })
    .from(buckets)
    .where(eq(buckets.accountId, accountId));
  const [p] = await db
    .select({ bytes: sql<number>`coalesce(sum(${multipartParts.size}), 0)` })
    .from(multipartParts)
    .innerJoin(multipartUploads, eq(multipartUploads.id, multipartParts.uploadId))
    .innerJoin(buckets, eq(buckets.id, multipartUploads.bucketId))
    .where(eq(buckets.accountId, accountId));
  const [r] = await db
    .select({ bytes: sql<number>`coalesce(sum(${reservations.bytes}), 0)` })
    .from(reservations)
    .where(eq(reservations.accountId, accountId));
  return {
    bytes: Number(b?.bytes ?? 0),
    objects: Number(b?.objects ?? 0),
    buckets: Number(b?.buckets ?? 0),
    uploadBytes: Number(p?.bytes ?? 0),
    reservedBytes: Number(r?.bytes ?? 0),
  };
}

function quotaError(what: string, limit: number): S3Error {
  return new S3Error(
    'QuotaExceeded',
    `This would exceed your account's quota of ${limit} ${what}. Delete something, or ask for a larger quota.`,
  );
}

/** An upload past the account's largest object: `bytes` as declared, or unknown (still arriving). */
function tooLarge(limits: QuotaLimits, bytes?: number): S3Error {
  const what = bytes === undefined ? 'This upload' : `An object of ${bytes} bytes`;
  const message = `${what} is larger than the largest your account may store (${limits.maxObjectSize} bytes).`;
  return new S3Error('QuotaExceeded', message);
}

/** Reserves `bytes` for an upload, atomically against the byte quota; returns the reservation id. */
export async function reserveBytes(
  db: Db,
  opts: { accountId: string; bytes: number; nodeId: string; limits: QuotaLimits },
): Promise<string> {
  if (opts.bytes > opts.limits.maxObjectSize) throw tooLarge(opts.limits, opts.bytes);
  const id = `rsv_${randomBase32(20)}`;
  try {
    await db.batch([
      guardIf(db, sql`${usedBytes(opts.accountId)} + ${opts.bytes} > ${opts.limits.maxBytes}`),
      db.insert(reservations).values({
        id,
        accountId: opts.accountId,
        bytes: opts.bytes,
        nodeId: opts.nodeId,
        createdAt: Date.now(),
      }),
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

/**
 * The bytes an upload holds against its account's byte quota until its commit settles them. It grows
 * as the body arrives past it (doubling, so a long body of unknown length costs a few dozen statements,
 * not one per piece), up to `cap`, and takes less than it asked for — but never less than it needs —
 * when the account is close to its quota, so uploads racing near the quota still fit where they can.
 */
export class Reservation {
  private constructor(
    private readonly db: Db,
    readonly id: string,
    private readonly accountId: string,
    private readonly limits: QuotaLimits,
    private readonly cap: number,
    private held: number,
  ) {}

  /** Reserves `bytes` now; it may grow up to `cap` (and never past the account's largest object). */
  static async open(
    db: Db,
    opts: { accountId: string; nodeId: string; limits: QuotaLimits; bytes: number; cap: number },
  ): Promise<Reservation> {
    const id = await reserveBytes(db, opts);
    const cap = Math.min(opts.cap, opts.limits.maxObjectSize);
    return new Reservation(db, id, opts.accountId, opts.limits, cap, opts.bytes);
  }

  /** Bytes held now: an upload may keep this many without asking again. */
  get bytes(): number {
    return this.held;
  }

  /** Makes sure `size` bytes are held; refuses (QuotaExceeded) past the largest object or the byte quota. */
  async cover(size: number): Promise<void> {
    if (size <= this.held) return;
    if (size > this.limits.maxObjectSize) throw tooLarge(this.limits);
    const need = size - this.held;
    const want = Math.max(need, Math.min(this.cap, 2 * size) - this.held);
    const used = usedBytes(this.accountId);
    const [row] = await this.db
      .update(reservations)
      .set({ bytes: sql`${reservations.bytes} + min(${want}, ${this.limits.maxBytes} - ${used})` })
      .where(and(eq(reservations.id, this.id), sql`${used} + ${need} <= ${this.limits.maxBytes}`))
      .returning({ bytes: reservations.bytes });
    if (row) {
      this.held = row.bytes;
      return;
    }
    const [still] = await this.db
      .select({ id: reservations.id })
      .from(reservations)
      .where(eq(reservations.id, this.id));
    // swept as abandoned (this node was taken for dead): its staging went too, and so does the upload
    if (!still)
      throw new S3Error('RequestTimeout', 'The upload took so long that it was given up; send it again.');
    throw quotaError('stored bytes', this.limits.maxBytes);
  }

  release(): Promise<void> {
    return release(this.db, this.id);
  }
}

/** A batch statement failing with QuotaExceeded when one more object would pass the object quota. */
export function objectCountGuard(
  db: Db,
  accountId: string,
  maxObjects: number,
  bucketId: string,
  key: string,
): { stmt: BatchItem<'sqlite'>; error: () => S3Error } {
  return {
    stmt: guardIf(
      db,
      sql`NOT EXISTS (SELECT 1 FROM objects WHERE bucket_id = ${bucketId} AND key = ${key})
      AND (SELECT coalesce(sum(${buckets.objectCount}), 0) FROM ${buckets} WHERE ${buckets.accountId} = ${accountId}) >= ${maxObjects}`,
    ),
    error: () => quotaError('objects', maxObjects),
  };
}

/** A batch statement failing with QuotaExceeded when one more bucket would pass the bucket quota. */
export function bucketCountGuard(
  db: Db,
  accountId: string,
  maxBuckets: number,
): { stmt: BatchItem<'sqlite'>; error: () => S3Error } {
  return {
    stmt: guardIf(
      db,
      sql`(SELECT count(*) FROM ${buckets} WHERE ${buckets.accountId} = ${accountId}) >= ${maxBuckets}`,
    ),
    error: () => quotaError('buckets', maxBuckets),
  };
}

/** Reservations of processes that died mid-upload. */
export async function sweepAbandonedReservations(db: Db, nodeTimeoutMs: number): Promise<number> {
  const staleBefore = Date.now() - nodeTimeoutMs;
  const gone = await db
    .delete(reservations)
    .where(
      sql`${reservations.nodeId} NOT IN (SELECT ${nodes.id} FROM ${nodes} WHERE ${nodes.heartbeatAt} >= ${staleBefore})`,
    )
    .returning({ id: reservations.id });
  return gone.length;
}
