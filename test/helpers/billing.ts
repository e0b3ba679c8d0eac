/**
 * Synthetic billing worlds for tests of metering, invoices and SLA: a real libSQL file with one account,
 * prober beats, request log rows written straight into `request_log`, buckets and storage samples.
 */
import type { Client } from '@libsql/client';
import { DEFAULT_PRICES } from '../../src/core/billing/prices.ts';
import { HOUR, rollupAll, sampleStorage } from '../../src/core/billing/rollup.ts';
import { Billing } from '../../src/core/billing/service.ts';
import type { Db } from '../../src/core/db/index.ts';
import { createAccount } from '../../src/core/model/accounts.ts';
import { SecretBox } from '../../src/core/secretbox.ts';
import { migratedDb } from './db.ts';
import { removeDir, tempDir } from './server.ts';

export const QUOTA = {
  maxBytes: 2 ** 50,
  maxBuckets: 100,
  maxObjects: 1e9,
  maxObjectSize: 2 ** 42,
  requestsPerSecond: 1000,
  bytesPerSecond: 2 ** 30,
};
export const DAY = 86_400_000;
export const GiB = 2 ** 30;

export interface World {
  client: Client;
  db: Db;
  billing: Billing;
  accountId: string;
}

const dirs: string[] = [];
/** For afterAll: removes every world's directory. */
export async function removeWorlds(): Promise<void> {
  for (const d of dirs.splice(0)) await removeDir(d);
}

/**
 * A fresh database with one account created at `createdAt` (its trial, if any, from then), and prober beats.
 */
export async function world(
  createdAt: number,
  opts: { customerId?: string; beatsFrom?: number; beatsTo: number },
): Promise<World> {
  const dir = await tempDir('qoima-billing-');
  dirs.push(dir);
  const { client, db } = await migratedDb(dir);
  const box = await SecretBox.create(new Uint8Array(32).fill(7));
  const a = await createAccount(
    { db, box },
    { name: 'billed', quota: QUOTA, customerId: opts.customerId, trialDays: 3 },
  );
  await client.execute({
    sql: 'UPDATE accounts SET created_at = ? WHERE id = ?',
    args: [createdAt, a.accountId],
  });
  await client.execute({
    sql: 'UPDATE trials SET starts_at = ?, ends_at = ? WHERE account_id = ?',
    args: [createdAt, createdAt + 3 * DAY, a.accountId],
  });
  await beats(client, opts.beatsFrom ?? createdAt - HOUR, opts.beatsTo);
  return { client, db, billing: new Billing(db, DEFAULT_PRICES, 3), accountId: a.accountId };
}

/** A prober beat every 30 s in [from, to). */
export async function beats(client: Client, from: number, to: number) {
  await client.execute({
    sql: `WITH RECURSIVE t(x) AS (SELECT ? UNION ALL SELECT x + 30000 FROM t WHERE x + 30000 < ?) INSERT INTO probe_beats (node_id, time) SELECT 'prober', x FROM t`,
    args: [from, to],
  });
}

export interface TrafficOptions {
  op?: string;
  status?: number;
  code?: string;
  bucket?: string;
  cls?: string;
  bytesOut?: number;
}

/**
 * `requests` log rows a millisecond apart from `at` + 1 s, the first `errors` of them answered `status`
 * (500).
 */
export async function traffic(
  w: World,
  at: number,
  requests: number,
  errors: number,
  opts: TrafficOptions = {},
) {
  await w.client.execute({
    sql: `WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t WHERE i + 1 < ?)
          INSERT INTO request_log (time, request_id, node_id, account_id, bucket, key, operation, status, error_code, bytes_in, bytes_out, duration_ms, auth, storage_class)
          SELECT ? + i, 'R' || i, 'n', ?, ?, 'k', ?, CASE WHEN i < ? THEN ? ELSE 200 END, CASE WHEN i < ? THEN ? ELSE NULL END, 0, ?, 1, 'root', ? FROM t`,
    args: [
      requests,
      at + 1000,
      w.accountId,
      opts.bucket ?? 'b',
      opts.op ?? 'GetObject',
      errors,
      opts.status ?? 500,
      errors,
      opts.code ?? 'InternalError',
      opts.bytesOut ?? 0,
      opts.cls ?? 'STANDARD',
    ],
  });
}

/** A bucket row as the model would leave it, holding `bytes`. */
export async function bucket(
  w: World,
  id: string,
  name: string,
  cls: 'STANDARD' | 'COLD',
  bytes: number,
  createdAt: number,
) {
  await w.client.execute({
    sql: 'INSERT INTO buckets (id, name, account_id, storage_class, created_at, byte_count) VALUES (?, ?, ?, ?, ?, ?)',
    args: [id, name, w.accountId, cls, createdAt, bytes],
  });
}

/** One storage sample per `intervalMs` in [from, to). */
export async function samples(db: Db, from: number, to: number, intervalMs = HOUR) {
  for (let t = from; t < to; t += intervalMs) await sampleStorage(db, t, intervalMs);
}

/** The rollup settings for a run at `now`: nothing left to settle, the log kept. */
export const rollupOptions = (now: number) => ({
  now,
  settleMs: 0,
  gapMs: 90_000,
  retentionMs: 10 * 365 * DAY,
});
/** Rolls up every hour finished by `now`. */
export const rollupAt = (db: Db, now: number) => rollupAll(db, rollupOptions(now));
