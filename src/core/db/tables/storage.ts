/** Buckets, objects and the chunks that hold their bytes. */
import {
  check,
  customType,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';
import { sql } from 'drizzle-orm';
import { accounts } from './access.ts';

/** BLOB as a Web-standard Uint8Array (drizzle's own blob mode would type it as a Node Buffer). */
const bytes = customType<{ data: Uint8Array; driverData: ArrayBuffer | Uint8Array }>({
  dataType: () => 'blob',
  fromDriver: (v) => (v instanceof Uint8Array ? v : new Uint8Array(v)),
  toDriver: (v) => v,
});

export const buckets = sqliteTable(
  'buckets',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    storageClass: text('storage_class', { enum: ['STANDARD', 'COLD'] }).notNull(),
    accessType: text('access_type', { enum: ['private', 'public-read'] })
      .notNull()
      .default('private'),
    /** Anonymous listing, only when explicitly enabled (a policy granting s3:ListBucket to everyone). */
    publicList: integer('public_list', { mode: 'boolean' }).notNull().default(false),
    /** Cache-Control for objects stored without one, on every response (CDN friendliness). */
    defaultCacheControl: text('default_cache_control'),
    /** CORS rules as JSON (s3/cors.ts), null when none. */
    cors: text('cors'),
    /** Website configuration as JSON (s3/website.ts), null when not a website. */
    website: text('website'),
    createdAt: integer('created_at').notNull(),
    objectCount: integer('object_count').notNull().default(0),
    byteCount: integer('byte_count').notNull().default(0),
  },
  (t) => [uniqueIndex('buckets_name').on(t.name), index('buckets_account').on(t.accountId)],
);

export const objects = sqliteTable(
  'objects',
  {
    id: text('id').primaryKey(),
    bucketId: text('bucket_id').notNull(),
    key: text('key').notNull(),
    size: integer('size').notNull(),
    etag: text('etag').notNull(),
    lastModified: integer('last_modified').notNull(),
    contentType: text('content_type'),
    cacheControl: text('cache_control'),
    contentDisposition: text('content_disposition'),
    contentEncoding: text('content_encoding'),
    contentLanguage: text('content_language'),
    expires: text('expires'),
    userMeta: text('user_meta').notNull().default('{}'),
    checksumAlgorithm: text('checksum_algorithm'),
    checksumValue: text('checksum_value'),
    checksumType: text('checksum_type', { enum: ['FULL_OBJECT', 'COMPOSITE'] }),
    partsCount: integer('parts_count'),
    /** The multipart upload that made this object (a retried CompleteMultipartUpload is recognised). */
    uploadId: text('upload_id'),
    inlineData: bytes('inline_data'),
  },
  (t) => [uniqueIndex('objects_bucket_key').on(t.bucketId, t.key)],
);

export const chunkRefs = sqliteTable(
  'chunk_refs',
  {
    owner: text('owner').notNull(),
    idx: integer('idx').notNull(),
    offset: integer('offset').notNull(),
    size: integer('size').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.owner, t.idx] }), index('chunk_refs_hash').on(t.hash)],
);

export const chunks = sqliteTable(
  'chunks',
  {
    hash: text('hash').primaryKey(),
    size: integer('size').notNull(),
    refcount: integer('refcount').notNull().default(0),
    zeroSince: integer('zero_since'),
    gcLease: integer('gc_lease'),
    /** xxHash64 of the bytes (hex), when the writer's runtime could compute it: reads check it. */
    xxh64: text('xxh64'),
  },
  (t) => [index('chunks_zero').on(t.zeroSince).where(sql`refcount = 0`)],
);

export const stagings = sqliteTable('stagings', {
  id: text('id').primaryKey(),
  nodeId: text('node_id').notNull(),
  startedAt: integer('started_at').notNull(),
});

export const nodes = sqliteTable('nodes', {
  id: text('id').primaryKey(),
  startedAt: integer('started_at').notNull(),
  heartbeatAt: integer('heartbeat_at').notNull(),
});

export const guards = sqliteTable('guards', { reason: text('reason') }, (t) => [
  check('guards_never_hold_a_row', sql`${t.reason} IS NULL`),
]);

export const multipartUploads = sqliteTable(
  'multipart_uploads',
  {
    id: text('id').primaryKey(),
    bucketId: text('bucket_id').notNull(),
    key: text('key').notNull(),
    initiatedAt: integer('initiated_at').notNull(),
    /** ObjectHeaders as JSON. */
    headers: text('headers').notNull(),
    checksumAlgorithm: text('checksum_algorithm'),
    checksumType: text('checksum_type', { enum: ['FULL_OBJECT', 'COMPOSITE'] }),
  },
  (t) => [
    index('multipart_uploads_listing').on(t.bucketId, t.key, t.id),
    index('multipart_uploads_age').on(t.initiatedAt),
  ],
);

export const multipartParts = sqliteTable(
  'multipart_parts',
  {
    uploadId: text('upload_id').notNull(),
    partNumber: integer('part_number').notNull(),
    owner: text('owner').notNull(),
    size: integer('size').notNull(),
    etag: text('etag').notNull(),
    checksumValue: text('checksum_value'),
    lastModified: integer('last_modified').notNull(),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.partNumber] })],
);

/**
 * The parts of an object made by a multipart upload, as completed: part-wise GETs, GetObjectAttributes
 * and retried completions read them. Rows go with their object (trigger `objects_drop_parts`).
 * Objects completed before this table existed have rows numbered 1..N by position, without ETag or
 * checksum (filled from their chunk references by the migration).
 */
export const objectParts = sqliteTable(
  'object_parts',
  {
    objectId: text('object_id').notNull(),
    partNumber: integer('part_number').notNull(),
    /** Byte offset of the part within the object. */
    offset: integer('offset').notNull(),
    size: integer('size').notNull(),
    etag: text('etag'),
    checksumValue: text('checksum_value'),
  },
  (t) => [primaryKey({ columns: [t.objectId, t.partNumber] })],
);
