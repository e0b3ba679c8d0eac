/**
 * Migration 0011 (usage keyed by class and trial share, prober gaps as intervals) on a database that
 * has billing data from before it: what was already rolled up keeps being billed as it was shown.
 */
import { createClient } from '@libsql/client';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { monthRange } from '../src/core/billing/prices.ts';
import { HOUR, SLOT } from '../src/core/billing/rollup.ts';
import { migrate } from '../src/core/db/migrate.ts';
import { openDb } from '../src/core/db/index.ts';
import { DAY } from './helpers/billing.ts';
import { allMigrations } from './helpers/db.ts';
import { removeDir, tempDir } from './helpers/server.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeDir(d);
});

it("0011 keeps the trial share of hours rolled up before it, and the prober's downtime", async () => {
  const dir = await tempDir('qoima-migration-');
  dirs.push(dir);
  const client = createClient({ url: `file:${join(dir, 'test.db')}` });
  const all = await allMigrations();
  await migrate(
    client,
    all.filter((m) => m.tag < '0011'),
  );

  const { start } = monthRange('2026-09');
  const db = openDb(client);
  // the rows as the code of the time wrote them (today's createAccount writes today's columns)
  const a = { accountId: 'accold' };
  await client.execute({
    sql: "INSERT INTO accounts (id, name, created_at, customer_id) VALUES (?, 'old', ?, 'old@example.kz')",
    args: [a.accountId, start],
  });
  await client.execute({
    sql: "INSERT INTO trials (customer_id, account_id, starts_at, ends_at, status) VALUES ('old@example.kz', ?, 0, 0, 'granted')",
    args: [a.accountId],
  });
  const trialStart = start + 30 * 60_000;
  await client.execute({
    sql: 'UPDATE trials SET starts_at = ?, ends_at = ? WHERE account_id = ?',
    args: [trialStart, trialStart + 3 * DAY, a.accountId],
  });
  // before 0011 an hour was free when it started in the trial, or was the hour the trial started in
  for (const h of [0, 72, 73]) {
    await client.execute({
      sql: "INSERT INTO usage_hourly (hour, account_id, bucket, storage_class, byte_seconds, class_a) VALUES (?, ?, 'b', 'STANDARD', 100, 7)",
      args: [start + h * HOUR, a.accountId],
    });
  }
  await client.execute({
    sql: 'INSERT INTO probe_slots (slot, down_ms) VALUES (?, 120000)',
    args: [start + 10 * SLOT],
  });

  expect(
    await migrate(
      client,
      all.filter((m) => m.tag < '0012'),
    ),
  ).toEqual(['0011_usage_by_class_and_trial']);
  const usage = await client.execute(
    'SELECT hour, in_trial, byte_seconds, class_a FROM usage_hourly ORDER BY hour',
  );
  expect(
    usage.rows.map((r) => [(Number(r.hour) - start) / HOUR, r.in_trial, r.byte_seconds, r.class_a]),
  ).toEqual([
    [0, 1, 100, 7],
    [72, 1, 100, 7],
    [73, 0, 100, 7],
  ]);
  const gaps = await client.execute('SELECT from_ms, to_ms FROM probe_gaps');
  expect(gaps.rows.map((r) => [r.from_ms, r.to_ms])).toEqual([
    [start + 10 * SLOT, start + 10 * SLOT + 120_000],
  ]);
  client.close();
});
