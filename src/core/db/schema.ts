/**
 * The metadata schema (libSQL). Changes go through drizzle-kit: edit this file, `npm run db:generate`,
 * commit the new file under migrations/. Triggers that keep reference counts and bucket totals live in
 * hand-written migrations (drizzle-kit does not model triggers); they are described next to the tables.
 */
import { check, customType, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { sql } from 'drizzle-orm';

/** BLOB as a Web-standard Uint8Array (drizzle's own blob mode would type it as a Node Buffer). */
const bytes = customType<{ data: Uint8Array; driverData: ArrayBuffer | Uint8Array }>({
  dataType: () => 'blob',
  fromDriver: (v) => (v instanceof Uint8Array ? v : new Uint8Array(v)),
  toDriver: (v) => v,
});

export const accounts = sqliteTable('accounts', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** S3 credentials. The secret is sealed with the server key (see core/secretbox.ts). */
export const credentials = sqliteTable(
  'credentials',
  {
    accessKeyId: text('access_key_id').primaryKey(),
    accountId: text('account_id').notNull().references(() => accounts.id),
    secretSealed: text('secret_sealed').notNull(),
    kind: text('kind', { enum: ['root'] }).notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('credentials_account').on(t.accountId)],
);

/** Bucket names are global, as in S3. object_count/byte_count are kept by triggers on objects. */
export const buckets = sqliteTable(
  'buckets',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    accountId: text('account_id').notNull().references(() => accounts.id),
    storageClass: text('storage_class', { enum: ['STANDARD', 'COLD'] }).notNull(),
    accessType: text('access_type', { enum: ['private', 'public-read'] }).notNull().default('private'),
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

/**
 * One row per live object. Bytes are either inline (small objects) or a list of chunk_refs owned by
 * the object id. (bucket_id, key) is unique and its index serves keyset listing.
 */
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
    inlineData: bytes('inline_data'),
  },
  (t) => [uniqueIndex('objects_bucket_key').on(t.bucketId, t.key)],
);

/**
 * References from an owner (an object id, or a staging id while a body is being written) to chunks,
 * in byte order. Triggers: inserting a row adds one to chunks.refcount (creating the chunk row),
 * deleting a row takes one away and stamps zero_since when it reaches zero. Moving a reference to
 * another owner is an UPDATE of owner and leaves counts alone; hash never changes.
 */
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

/**
 * Every chunk the store holds or is about to hold. refcount = 0 means "deletable once zero_since is
 * older than the GC delay"; gc_lease is set while the collector deletes the bytes (see block/gc.ts).
 * The SHA-256 names the bytes (deduplication, scrub); xxh64 is a fast check of them on every read.
 */
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

/** A body being written: its chunk_refs are owned by the staging id until the object commits. */
export const stagings = sqliteTable('stagings', {
  id: text('id').primaryKey(),
  nodeId: text('node_id').notNull(),
  startedAt: integer('started_at').notNull(),
});

/** Live server processes; a staging whose node stopped heart-beating is abandoned. */
export const nodes = sqliteTable('nodes', {
  id: text('id').primaryKey(),
  startedAt: integer('started_at').notNull(),
  heartbeatAt: integer('heartbeat_at').notNull(),
});

/**
 * Never holds a row: `INSERT INTO guards SELECT 'why' WHERE <condition>` aborts a batch (CHECK fails)
 * when the condition holds, which lets a single atomic batch carry a precondition.
 */
export const guards = sqliteTable('guards', { reason: text('reason') }, (t) => [
  check('guards_never_hold_a_row', sql`${t.reason} IS NULL`),
]);

/** A multipart upload in progress. Object headers given at creation wait here until completion. */
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
  (t) => [index('multipart_uploads_listing').on(t.bucketId, t.key, t.id), index('multipart_uploads_age').on(t.initiatedAt)],
);

/** An uploaded part: its bytes are the chunk_refs owned by `owner` (a fresh id per upload of a part). */
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

/** Hostnames attached to buckets. Served only once the ownership check (a DNS TXT record) passed. */
export const domains = sqliteTable(
  'domains',
  {
    hostname: text('hostname').primaryKey(),
    bucketId: text('bucket_id').notNull(),
    /** What the customer publishes as TXT at _qoima-challenge.<hostname>. */
    token: text('token').notNull(),
    status: text('status', { enum: ['pending', 'verified'] }).notNull(),
    createdAt: integer('created_at').notNull(),
    verifiedAt: integer('verified_at'),
  },
  (t) => [index('domains_bucket').on(t.bucketId)],
);

/** TLS certificate and key (sealed with the server key) for a domain, picked by SNI. */
export const certificates = sqliteTable('certificates', {
  hostname: text('hostname').primaryKey(),
  certificatePem: text('certificate_pem').notNull(),
  keySealed: text('key_sealed').notNull(),
  notBefore: integer('not_before').notNull(),
  notAfter: integer('not_after').notNull(),
  subject: text('subject').notNull(),
  fingerprint: text('fingerprint').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * Access keys an account hands out. Each is a JWT (returned once, at creation) and an S3 access key
 * id + secret (sealed) with the same scopes. Revoked keys keep their row (revoked_at) until they expire.
 */
export const accessKeys = sqliteTable(
  'access_keys',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    name: text('name').notNull(),
    /** Scope[] as JSON (core/auth/scopes.ts). */
    scopes: text('scopes').notNull(),
    secretSealed: text('secret_sealed').notNull(),
    createdAt: integer('created_at').notNull(),
    notBefore: integer('not_before').notNull(),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at'),
    createdBy: text('created_by').notNull(),
    /** The signing key its JWT was signed with (it stays in the JWKS until this key expires). */
    signingKid: text('signing_kid').notNull(),
  },
  (t) => [index('access_keys_account').on(t.accountId), index('access_keys_revoked').on(t.revokedAt)],
);

/** The service's JWT signing keys. One is current; retired ones verify until their last token expires. */
export const signingKeys = sqliteTable('signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg').notNull(),
  publicJwk: text('public_jwk').notNull(),
  privateJwkSealed: text('private_jwk_sealed').notNull(),
  createdAt: integer('created_at').notNull(),
  retiredAt: integer('retired_at'),
  /** After this, no token it signed is valid any more: it leaves the JWKS. */
  dropAfter: integer('drop_after'),
});

/** Limits of an account, set from the operator's defaults at creation, changeable by the operator. */
export const quotas = sqliteTable('quotas', {
  accountId: text('account_id').primaryKey(),
  maxBytes: integer('max_bytes').notNull(),
  maxBuckets: integer('max_buckets').notNull(),
  maxObjects: integer('max_objects').notNull(),
  maxObjectSize: integer('max_object_size').notNull(),
  requestsPerSecond: integer('requests_per_second').notNull(),
  bytesPerSecond: integer('bytes_per_second').notNull(),
});

/** Bytes promised to uploads in flight, so concurrent uploads cannot overshoot the byte quota together. */
export const reservations = sqliteTable(
  'reservations',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    bytes: integer('bytes').notNull(),
    nodeId: text('node_id').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('reservations_account').on(t.accountId)],
);
