/** Buckets: global names (as in S3), owned by one account, with a fixed storage class. */
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import { type Db, guardIndex, prepared } from '../db/index.ts';
import {
  buckets,
  certificates,
  chunkRefs,
  domains,
  guards,
  multipartParts,
  multipartUploads,
  objects,
} from '../db/schema.ts';
import { randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';
import { bucketCountGuard } from './quotas.ts';

export const STORAGE_CLASSES = ['STANDARD', 'COLD'] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];
export type AccessType = 'private' | 'public-read';
export type Bucket = typeof buckets.$inferSelect;

/** Names the HTTP API keeps for itself at the top of the path. */
const RESERVED = new Set(['admin', 'console']);

/** S3's general-purpose bucket naming rules; returns why a name is refused, or null. */
export function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'Bucket names must be between 3 and 63 characters long.';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) {
    return 'Bucket names can consist only of lowercase letters, numbers, dots and hyphens, and must begin and end with a letter or number.';
  }
  if (name.includes('..')) return 'Bucket names must not contain two adjacent periods.';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'Bucket names must not be formatted as an IP address.';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name) || /(-s3alias|--ol-s3|--x-s3|\.mrap)$/.test(name)) {
    return 'Bucket names must not use a prefix or suffix reserved by S3.';
  }
  if (RESERVED.has(name)) return `The bucket name "${name}" is reserved by this service.`;
  return null;
}

export function parseStorageClass(value: string | null | undefined): StorageClass {
  if (value === null || value === undefined || value === '') return 'STANDARD';
  const v = value.toUpperCase();
  if ((STORAGE_CLASSES as readonly string[]).includes(v)) return v as StorageClass;
  throw new S3Error(
    'InvalidStorageClass',
    `The storage class "${value}" is not offered here; choose STANDARD or COLD.`,
    {
      fields: { StorageClassRequested: value },
    },
  );
}

export function parseAccessType(value: string | null | undefined): AccessType | null {
  if (value === null || value === undefined || value === '') return null;
  if (value === 'private' || value === 'public-read') return value;
  throw new S3Error(
    'InvalidArgument',
    `The access type "${value}" is not valid; choose private or public-read.`,
    { fields: { ArgumentName: 'x-qoima-access-type' } },
  );
}

export async function findBucket(db: Db, name: string): Promise<Bucket | null> {
  const stmt = prepared(db, 'findBucket', (d) =>
    d
      .select()
      .from(buckets)
      .where(eq(buckets.name, sql.placeholder('name')))
      .limit(1)
      .prepare(),
  );
  return (await stmt.get({ name })) ?? null;
}

export async function createBucket(
  db: Db,
  opts: {
    accountId: string;
    name: string;
    storageClass: StorageClass;
    accessType?: AccessType;
    maxBuckets?: number;
  },
): Promise<Bucket> {
  const problem = bucketNameProblem(opts.name);
  if (problem) throw new S3Error('InvalidBucketName', problem, { fields: { BucketName: opts.name } });
  const row: Bucket = {
    id: `bkt${randomBase32(13)}`,
    name: opts.name,
    accountId: opts.accountId,
    storageClass: opts.storageClass,
    accessType: opts.accessType ?? 'private',
    publicList: false,
    defaultCacheControl: null,
    cors: null,
    website: null,
    createdAt: Date.now(),
    objectCount: 0,
    byteCount: 0,
  };
  const guard = opts.maxBuckets !== undefined ? bucketCountGuard(db, opts.accountId, opts.maxBuckets) : null;
  let inserted: { id: string }[];
  try {
    const insert = db.insert(buckets).values(row).onConflictDoNothing().returning({ id: buckets.id });
    inserted = guard ? (await db.batch([guard.stmt, insert]))[1] : await insert;
  } catch (e) {
    if (guard && guardIndex(e) !== null) {
      // an existing name is the clearer answer; otherwise the quota
      const existing = await findBucket(db, opts.name);
      if (!existing) throw guard.error();
      inserted = [];
    } else throw e;
  }
  if (inserted.length) return row;
  const existing = await findBucket(db, opts.name);
  if (existing && existing.accountId === opts.accountId) {
    const msg =
      existing.storageClass !== opts.storageClass
        ? `You already own this bucket, with storage class ${existing.storageClass}; a bucket's storage class is chosen at creation and cannot be changed.`
        : undefined;
    throw new S3Error('BucketAlreadyOwnedByYou', msg, { fields: { BucketName: opts.name } });
  }
  throw new S3Error('BucketAlreadyExists', undefined, { fields: { BucketName: opts.name } });
}

export async function listBuckets(
  db: Db,
  accountId: string,
  opts: { prefix?: string; after?: string; limit: number },
): Promise<Bucket[]> {
  const conds = [eq(buckets.accountId, accountId)];
  if (opts.prefix) conds.push(sql`substr(${buckets.name}, 1, ${opts.prefix.length}) = ${opts.prefix}`);
  if (opts.after) conds.push(gt(buckets.name, opts.after));
  return db
    .select()
    .from(buckets)
    .where(and(...conds))
    .orderBy(asc(buckets.name))
    .limit(opts.limit);
}

/**
 * The last statements of a batch that deletes a bucket: its custom domains are released (anyone may
 * attach the names again) and their certificates, private keys included, deleted along with the row.
 * The batch's last result lists the hostnames released (releasedBy), for the host router to forget.
 */
export function bucketRowAndDomains(db: Db, bucketId: string) {
  const hostnames = db
    .select({ hostname: domains.hostname })
    .from(domains)
    .where(eq(domains.bucketId, bucketId));
  return [
    db.delete(certificates).where(inArray(certificates.hostname, hostnames)),
    db.delete(buckets).where(eq(buckets.id, bucketId)),
    db.delete(domains).where(eq(domains.bucketId, bucketId)).returning({ hostname: domains.hostname }),
  ] as const;
}

/** The hostnames a batch that ends with bucketRowAndDomains released. */
export function releasedBy(results: readonly unknown[]): string[] {
  return (results[results.length - 1] as { hostname: string }[]).map((d) => d.hostname);
}

/**
 * Deletes an empty bucket; refuses (atomically) when an object is in it. Its unfinished multipart
 * uploads go with it (as in S3), their parts' chunk references in the same batch, and its domains
 * and certificates. Returns the hostnames released.
 */
export async function deleteBucket(db: Db, bucket: Bucket): Promise<string[]> {
  const uploadsHere = sql`(SELECT ${multipartUploads.id} FROM ${multipartUploads} WHERE ${multipartUploads.bucketId} = ${bucket.id})`;
  try {
    const done = await db.batch([
      db.insert(guards).select(
        db
          .select({ reason: sql<string>`'BucketNotEmpty'`.as('reason') })
          .from(objects)
          .where(eq(objects.bucketId, bucket.id))
          .limit(1),
      ),
      db
        .delete(chunkRefs)
        .where(
          sql`${chunkRefs.owner} IN (SELECT ${multipartParts.owner} FROM ${multipartParts} WHERE ${multipartParts.uploadId} IN ${uploadsHere})`,
        ),
      db.delete(multipartParts).where(sql`${multipartParts.uploadId} IN ${uploadsHere}`),
      db.delete(multipartUploads).where(eq(multipartUploads.bucketId, bucket.id)),
      ...bucketRowAndDomains(db, bucket.id),
    ]);
    return releasedBy(done);
  } catch (e) {
    if (guardIndex(e) !== null)
      throw new S3Error('BucketNotEmpty', undefined, { fields: { BucketName: bucket.name } });
    throw e;
  }
}

/** The settings a bucket's owner may change at any time (never its name or storage class). */
export type BucketSettings = Partial<
  Pick<Bucket, 'accessType' | 'publicList' | 'defaultCacheControl' | 'cors' | 'website'>
>;

export async function updateBucket(db: Db, bucketId: string, settings: BucketSettings): Promise<void> {
  if (Object.keys(settings).length === 0) return;
  await db.update(buckets).set(settings).where(eq(buckets.id, bucketId));
}
