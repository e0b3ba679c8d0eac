/** The request log and what is computed from it: metering, SLA, trials. */
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const requestLog = sqliteTable(
  'request_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    time: integer('time').notNull(),
    requestId: text('request_id').notNull(),
    nodeId: text('node_id').notNull(),
    accountId: text('account_id'),
    bucket: text('bucket'),
    key: text('key'),
    operation: text('operation').notNull(),
    status: integer('status').notNull(),
    errorCode: text('error_code'),
    bytesIn: integer('bytes_in').notNull(),
    bytesOut: integer('bytes_out').notNull(),
    durationMs: integer('duration_ms').notNull(),
    /** root, key, presigned, bearer, anonymous, operator, console. */
    auth: text('auth').notNull(),
    keyId: text('key_id'),
    clientIp: text('client_ip'),
    userAgent: text('user_agent'),
    storageClass: text('storage_class'),
    /** Bytes read out of COLD storage besides bytes_out: a copy from a COLD bucket. */
    retrievalBytes: integer('retrieval_bytes').notNull().default(0),
  },
  (t) => [
    index('request_log_time').on(t.time),
    index('request_log_account_time').on(t.accountId, t.time),
    // a bucket's access log, newest first (the row id, SQLite's rowid, ends every index)
    index('request_log_bucket_time').on(t.accountId, t.bucket, t.time),
  ],
);

/**
 * Usage per hour, account, bucket name, storage class and trial share. The class is part of the key
 * because a bucket deleted and re-created with the other class in the same hour is two buckets with one
 * name; `in_trial` because the hour in which a trial starts or ends is part free, part paid.
 */
export const usageHourly = sqliteTable(
  'usage_hourly',
  {
    hour: integer('hour').notNull(),
    accountId: text('account_id').notNull(),
    bucket: text('bucket').notNull(),
    storageClass: text('storage_class').notNull(),
    /**
     * 1: used within the account's granted trial window, as the trial stood when this was metered (to
     * the millisecond: request times, storage samples split at the window's edges); the invoice frees
     * it while the trial stays granted.
     */
    inTrial: integer('in_trial').notNull().default(0),
    /** Stored bytes × seconds, sampled from the metadata. */
    byteSeconds: integer('byte_seconds').notNull().default(0),
    bytesIn: integer('bytes_in').notNull().default(0),
    bytesOut: integer('bytes_out').notNull().default(0),
    classA: integer('class_a').notNull().default(0),
    classB: integer('class_b').notNull().default(0),
    /** COLD bytes read by copies (priced as COLD retrieval whatever this row's class). */
    retrievalBytes: integer('retrieval_bytes').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.hour, t.accountId, t.bucket, t.storageClass, t.inTrial] }),
    index('usage_hourly_account').on(t.accountId, t.hour),
  ],
);

export const slaIntervals = sqliteTable(
  'sla_intervals',
  {
    slot: integer('slot').notNull(),
    accountId: text('account_id').notNull(),
    requests: integer('requests').notNull(),
    errors: integer('errors').notNull(),
  },
  (t) => [primaryKey({ columns: [t.slot, t.accountId] })],
);

export const jobMarks = sqliteTable(
  'job_marks',
  { job: text('job').notNull(), slot: integer('slot').notNull() },
  (t) => [primaryKey({ columns: [t.job, t.slot] })],
);

export const probeBeats = sqliteTable(
  'probe_beats',
  { nodeId: text('node_id').notNull(), time: integer('time').notNull() },
  (t) => [index('probe_beats_time').on(t.time)],
);

export const slaExclusions = sqliteTable('sla_exclusions', {
  id: text('id').primaryKey(),
  kind: text('kind', { enum: ['maintenance', 'force-majeure', 'customer-caused'] }).notNull(),
  /** The account it concerns; null: every account. `customer-caused` always names one. */
  accountId: text('account_id'),
  startsAt: integer('starts_at').notNull(),
  endsAt: integer('ends_at').notNull(),
  reason: text('reason').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const outageReports = sqliteTable('outage_reports', {
  id: text('id').primaryKey(),
  accountId: text('account_id').notNull(),
  reportedAt: integer('reported_at').notNull(),
  description: text('description').notNull(),
  status: text('status', { enum: ['pending', 'confirmed', 'rejected'] }).notNull(),
  restoredAt: integer('restored_at'),
  decidedAt: integer('decided_at'),
  note: text('note'),
});

export const trials = sqliteTable('trials', {
  customerId: text('customer_id').primaryKey(),
  accountId: text('account_id').notNull(),
  startsAt: integer('starts_at').notNull(),
  endsAt: integer('ends_at').notNull(),
  /** `requested`: asked for, waiting for the operator (starts_at/ends_at 0 until granted). */
  status: text('status', { enum: ['granted', 'refused', 'requested'] }).notNull(),
  /** The most the trial makes free, in minor units (the volume set when granted); null: no limit. */
  freeUpTo: integer('free_up_to'),
});

export const logDrops = sqliteTable('log_drops', {
  time: integer('time').notNull(),
  nodeId: text('node_id').notNull(),
  dropped: integer('dropped').notNull(),
});

/**
 * When the service did not answer: gaps in the prober's heart-beats, [from, to) in epoch ms, cut at
 * hour boundaries (each hour's rollup writes its own). Kept as intervals, not per-slot totals, so that
 * the SLA can join them with reported outages without counting the same minutes twice.
 */
export const probeGaps = sqliteTable('probe_gaps', {
  from: integer('from_ms').primaryKey(),
  to: integer('to_ms').notNull(),
});

/**
 * Invoices of closed months, as issued: once a month's hours are all rolled up its invoice is stored
 * and shown as it was, so a later price change, trial grant or exclusion does not rewrite it.
 */
export const issuedInvoices = sqliteTable(
  'issued_invoices',
  {
    accountId: text('account_id').notNull(),
    month: text('month').notNull(),
    issuedAt: integer('issued_at').notNull(),
    /** The invoice as JSON, exactly as it was first shown. */
    body: text('body').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.month] })],
);
