/** Accounts, credentials, access keys, quotas, domains and certificates. */
import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const accounts = sqliteTable('accounts', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: integer('created_at').notNull(),
  /** The customer behind the service (BIN/IIN or e-mail): trials are once per customer. */
  customerId: text('customer_id'),
  /** The service was deleted: it no longer serves, its usage up to then is still billed. */
  deletedAt: integer('deleted_at'),
});

export const credentials = sqliteTable(
  'credentials',
  {
    accessKeyId: text('access_key_id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    secretSealed: text('secret_sealed').notNull(),
    kind: text('kind', { enum: ['root'] }).notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('credentials_account').on(t.accountId)],
);

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

export const quotas = sqliteTable('quotas', {
  accountId: text('account_id').primaryKey(),
  maxBytes: integer('max_bytes').notNull(),
  maxBuckets: integer('max_buckets').notNull(),
  maxObjects: integer('max_objects').notNull(),
  maxObjectSize: integer('max_object_size').notNull(),
  requestsPerSecond: integer('requests_per_second').notNull(),
  bytesPerSecond: integer('bytes_per_second').notNull(),
});

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

/**
 * Console logins: an e-mail and password that sign a customer into the console as the service's root user.
 */
export const consoleLogins = sqliteTable(
  'console_logins',
  {
    email: text('email').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    /** `pbkdf2-sha256$<iterations>$<salt>$<hash>`, base64url. */
    passwordHash: text('password_hash').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('console_logins_account').on(t.accountId)],
);

/** Console sessions: the cookie carries the id sealed under the server key; signing out deletes the row. */
export const consoleSessions = sqliteTable(
  'console_sessions',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    /** What every form and script sends back (CSRF). */
    csrf: text('csrf').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('console_sessions_account').on(t.accountId)],
);

/**
 * One row: a number that every change to what the settings caches hold moves (triggers on buckets'
 * settings, accounts, credentials, access keys, signing keys, quotas, domains and certificates; see
 * core/freshness.ts). A process that reads it before serving knows whether its caches are still exact.
 */
export const settingsGeneration = sqliteTable(
  'settings_generation',
  {
    id: integer('id').primaryKey(),
    gen: integer('gen').notNull(),
  },
  (t) => [check('settings_generation_one_row', sql`${t.id} = 1`)],
);
