/**
 * The terms of service that are not metering: support requests, quota requests, data-loss incidents and
 * their claims, account suspensions, and the operator's terms settings (trial policy and volume).
 * Times are epoch ms. Per-account SLA exclusions live in `sla_exclusions` (billing.ts).
 */
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * A customer's request to support: opened in the console or the API, or recorded by the operator when
 * it came by phone, chat or e-mail (with the time it arrived). An outage report is one kind of request
 * (`outage_id` links it to its report in `outage_reports`).
 */
export const supportRequests = sqliteTable(
  'support_requests',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    kind: text('kind', { enum: ['question', 'outage', 'billing', 'other'] }).notNull(),
    channel: text('channel', { enum: ['console', 'api', 'email', 'chat', 'phone'] }).notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    /** When it arrived (for phone and chat, as the operator recorded it). */
    receivedAt: integer('received_at').notNull(),
    recordedAt: integer('recorded_at').notNull(),
    firstResponseAt: integer('first_response_at'),
    firstResponse: text('first_response'),
    resolvedAt: integer('resolved_at'),
    resolution: text('resolution'),
    outageId: text('outage_id'),
  },
  (t) => [index('support_requests_account').on(t.accountId, t.receivedAt)],
);

/** A customer's request for higher quotas; the operator approves (with the values) or refuses. */
export const quotaRequests = sqliteTable(
  'quota_requests',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    /** JSON: the limits asked for (a subset of the quota's fields). */
    requested: text('requested').notNull(),
    reason: text('reason').notNull(),
    status: text('status', { enum: ['pending', 'approved', 'refused'] }).notNull(),
    /** JSON: the limits granted, when approved. */
    granted: text('granted'),
    note: text('note'),
    createdAt: integer('created_at').notNull(),
    decidedAt: integer('decided_at'),
  },
  (t) => [index('quota_requests_account').on(t.accountId, t.createdAt)],
);

/**
 * An object hit by damaged or lost data (a corrupt or missing chunk found by scrub), one row per
 * object and chunk. The customer may claim compensation; once the operator approves, 50% of the
 * charges of the billing period (month) it was found in are credited on the next invoice.
 */
export const dataIncidents = sqliteTable(
  'data_incidents',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    bucket: text('bucket').notNull(),
    key: text('key').notNull(),
    chunkHash: text('chunk_hash').notNull(),
    damage: text('damage', { enum: ['corrupt', 'missing'] }).notNull(),
    detectedAt: integer('detected_at').notNull(),
    claim: text('claim', { enum: ['none', 'claimed', 'approved', 'refused'] }).notNull(),
    claimedAt: integer('claimed_at'),
    claimText: text('claim_text'),
    decidedAt: integer('decided_at'),
    note: text('note'),
  },
  (t) => [
    uniqueIndex('data_incidents_hit').on(t.accountId, t.bucket, t.key, t.chunkHash),
    index('data_incidents_account').on(t.accountId, t.detectedAt),
  ],
);

/** An account suspended for breaking the terms: writes refused (reads too unless `keep_reads`). */
export const accountSuspensions = sqliteTable(
  'account_suspensions',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    startsAt: integer('starts_at').notNull(),
    /** When it was lifted; null while in force. */
    endsAt: integer('ends_at'),
    reason: text('reason').notNull(),
    keepReads: integer('keep_reads').notNull().default(1),
  },
  (t) => [index('account_suspensions_account').on(t.accountId, t.startsAt)],
);

/** The operator's terms settings: `trial.policy` (auto|manual), `trial.freeUpTo` (tiyn, or absent). */
export const termsSettings = sqliteTable('terms_settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
