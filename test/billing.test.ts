/**
 * Metering, invoices, trials and SLA from synthetic request logs, on a real libSQL file: every SLA tier
 * boundary exactly, maintenance overlaps, customer reports, heart-beat gaps, a month with no traffic.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { invoiceCsv } from '../src/core/billing/invoice.ts';
import { DEFAULT_PRICES, monthRange } from '../src/core/billing/prices.ts';
import { decideReport, reportOutage } from '../src/core/billing/reports.ts';
import { HOUR, SLOT, sampleStorage } from '../src/core/billing/rollup.ts';
import { Billing } from '../src/core/billing/service.ts';
import { addExclusion } from '../src/core/billing/sla.ts';
import { grantTrial, refuseTrial, trialView } from '../src/core/billing/trials.ts';
import { createAccount, deleteAccount } from '../src/core/model/accounts.ts';
import { SecretBox } from '../src/core/secretbox.ts';
import {
  QUOTA,
  type World,
  beats,
  removeWorlds,
  rollupAt,
  traffic,
  world as newWorld,
} from './helpers/billing.ts';

const MONTH = '2026-09';
const { start, end } = monthRange(MONTH); // 30 days
afterAll(removeWorlds);

/** A fresh database with one account created at `createdAt`, and prober beats every 30 s throughout. */
const world = (createdAt: number, opts: { customerId?: string; beatsFrom?: number; beatsTo?: number } = {}) =>
  newWorld(createdAt, { ...opts, beatsTo: opts.beatsTo ?? end + 2 * HOUR });

const rollup = (w: World) => rollupAt(w.db, end + 3 * HOUR);
/** Slot i of the last 1000 five-minute slots of the month: the whole life of a `lastThousand` account. */
const last = (i: number) => end - (1000 - i) * SLOT;
const lastThousand = () => world(end - 1000 * SLOT);

describe('SLA tiers, at their exact boundaries', () => {
  const cases: [string, number, number, number][] = [
    // [name, slots fully failed, slots at 1% errors, expected credit percent]
    ['no errors', 0, 0, 0],
    ['exactly 99.9%', 1, 0, 0],
    ['just under 99.9%', 1, 1, 5],
    ['exactly 99.0%', 10, 0, 5],
    ['just under 99.0%', 10, 1, 10],
    ['exactly 95.0%', 50, 0, 10],
    ['just under 95.0%', 50, 1, 15],
  ];
  for (const [name, failed, onePercent, credit] of cases) {
    it(`${name} → ${credit}% credit`, async () => {
      const w = await lastThousand();
      for (let i = 0; i < 1000; i++) {
        if (i < failed) await traffic(w, last(i), 1, 1);
        else if (i < failed + onePercent) await traffic(w, last(i), 100, 1);
      }
      await traffic(w, last(999), 10, 0);
      await rollup(w);
      const r = await w.billing.sla(w.accountId, MONTH);
      expect(r.intervalsCounted).toBe(1000);
      const expected = 100 - (failed + onePercent * 0.01) / 10;
      expect(r.availability).toBeCloseTo(expected, 9);
      expect(r.tier.creditPercent).toBe(credit);
      if (failed)
        expect(r.downtime[0]).toMatchObject({
          from: new Date(last(0)).toISOString(),
          causes: ['server-errors'],
        });
    });
  }

  it("does not count the customer's own SlowDown, 4xx, or features not offered (501) as errors", async () => {
    const w = await lastThousand();
    await traffic(w, last(3), 10, 10, { status: 503, code: 'SlowDown' });
    await traffic(w, last(4), 10, 10, { status: 403, code: 'AccessDenied' });
    await traffic(w, last(5), 10, 10, { status: 501, code: 'NotImplemented' });
    await rollup(w);
    expect((await w.billing.sla(w.accountId, MONTH)).availability).toBe(100);
  });
});

describe('what does not count, and what does', () => {
  it('planned maintenance and force majeure: every slot they touch is excluded', async () => {
    const w = await lastThousand();
    for (let i = 100; i < 110; i++) await traffic(w, last(i), 1, 1);
    // maintenance from the middle of slot 99 to the middle of slot 104: slots 99..104 excluded
    await addExclusion(
      w.db,
      {
        kind: 'maintenance',
        startsAt: last(99) + 60_000,
        endsAt: last(104) + 60_000,
        reason: 'disk replacement',
      },
      start - 86_400_000,
    );
    await addExclusion(w.db, {
      kind: 'force-majeure',
      startsAt: last(108),
      endsAt: last(110),
      reason: 'flood',
    });
    await rollup(w);
    const r = await w.billing.sla(w.accountId, MONTH);
    expect(r.intervalsCounted).toBe(1000 - 6 - 2);
    expect(r.availability).toBeCloseTo(100 - (3 / 992) * 100, 6); // slots 105..107 remain
    expect(r.exclusions.map((x) => x.kind).sort()).toEqual([
      'force-majeure',
      'maintenance',
      'not-in-service',
    ]);
    expect(r.tier.creditPercent).toBe(5);
  });

  it('a confirmed outage report counts from the report to the restoration; a rejected one not at all', async () => {
    const w = await lastThousand();
    const confirmed = await reportOutage(w.db, w.accountId, 'uploads fail', last(500));
    await decideReport(w.db, confirmed.id, { status: 'confirmed', restoredAt: last(504) });
    const rejected = await reportOutage(w.db, w.accountId, 'my wifi', last(700));
    await decideReport(w.db, rejected.id, { status: 'rejected', note: 'client side' });
    await rollup(w);
    const r = await w.billing.sla(w.accountId, MONTH);
    expect(r.availability).toBeCloseTo(99.6, 9);
    expect(r.downtime).toEqual([
      {
        from: new Date(last(500)).toISOString(),
        to: new Date(last(504)).toISOString(),
        causes: ['reported-outage'],
        averageErrorRate: 1,
      },
    ]);
  });

  it("a gap in the prober's heart-beats is downtime: the service did not answer", async () => {
    // the last beat at the start of slot 200
    const w = await world(end - 1000 * SLOT, { beatsTo: last(200) + 1 });
    await beats(w.client, last(203), end + 2 * HOUR); // 15 minutes of silence
    await rollup(w);
    const r = await w.billing.sla(w.accountId, MONTH);
    expect(r.downtime).toHaveLength(1);
    expect(r.downtime[0]!.causes).toEqual(['no-response']);
    expect(r.availability).toBeCloseTo(99.7, 9);
  });

  it('an hour whose prober rollup failed is redone on the next run, though its traffic was rolled up', async () => {
    const w = await world(end - 1000 * SLOT, { beatsTo: last(200) + 1 });
    await beats(w.client, last(203), end + 2 * HOUR);
    await rollup(w);
    // as if the probe part of those hours had failed after the traffic part went through
    await w.client.execute("DELETE FROM job_marks WHERE job = 'probe'");
    await w.client.execute('DELETE FROM probe_gaps');
    expect((await w.billing.sla(w.accountId, MONTH)).downtime).toHaveLength(0);
    await rollup(w);
    const r = await w.billing.sla(w.accountId, MONTH);
    expect(r.downtime.map((d) => d.causes)).toEqual([['no-response']]);
    expect(r.availability).toBeCloseTo(99.7, 9);
  });

  it('a month with no traffic is 100% available and earns no credit', async () => {
    const w = await world(start - 86_400_000);
    await rollup(w);
    const r = await w.billing.sla(w.accountId, MONTH);
    expect(r).toMatchObject({
      availability: 100,
      intervalsCounted: 8640,
      intervalsExcluded: 0,
      downtime: [],
      credit: 0,
    });
  });
});

describe('invoices', () => {
  /** An account with a STANDARD bucket of exactly 1 GiB all month and a COLD one read 2 GiB from. */
  async function billedMonth(opts: { customerId?: string; more?: (w: World) => Promise<void> } = {}) {
    const w = await world(start, opts);
    await w.client.execute({
      sql: "INSERT INTO buckets (id, name, account_id, storage_class, created_at, byte_count) VALUES ('b1', 'std', ?, 'STANDARD', ?, ?)",
      args: [w.accountId, start, 2 ** 30],
    });
    await w.client.execute({
      sql: "INSERT INTO buckets (id, name, account_id, storage_class, created_at, byte_count) VALUES ('b2', 'cold', ?, 'COLD', ?, 0)",
      args: [w.accountId, start],
    });
    for (let t = start; t < end; t += HOUR) await sampleStorage(w.db, t, HOUR);
    // after the trial: 1000 class A and 10 000 class B requests, and 2 GiB read from COLD
    await traffic(w, start + 10 * 86_400_000, 1000, 0, { op: 'PutObject', bucket: 'std' });
    await traffic(w, start + 11 * 86_400_000, 10_000, 0, { op: 'GetObject', bucket: 'std' });
    await traffic(w, start + 12 * 86_400_000, 2, 0, {
      op: 'GetObject',
      bucket: 'cold',
      cls: 'COLD',
      bytesOut: 2 ** 30,
    });
    // during the trial: 1000 class B requests
    await traffic(w, start + 86_400_000, 1000, 0, { op: 'HeadObject', bucket: 'std' });
    await opts.more?.(w);
    await rollup(w);
    return w;
  }

  it('charges storage by GiB-month, requests by class, COLD retrieval per GiB, in whole tiyn', async () => {
    const w = await billedMonth();
    const inv = await w.billing.invoice(w.accountId, MONTH);
    const line = (item: string, cls: string) =>
      inv.lines.find((l) => l.item === item && l.storageClass === cls)!;
    expect(line('Storage', 'STANDARD')).toMatchObject({
      quantity: '1.000000',
      unit: 'GiB-month',
      amount: 800,
    });
    expect(line('Class A requests', 'STANDARD')).toMatchObject({ quantity: '1000', amount: 225 });
    expect(line('Class B requests', 'STANDARD')).toMatchObject({ quantity: '11000', amount: 198 });
    expect(line('Class B requests', 'COLD')).toMatchObject({ quantity: '2', amount: 0 });
    expect(line('Retrieval', 'COLD')).toMatchObject({ quantity: '2.000', amount: 1000 });
    expect(inv.subtotal).toBe(800 + 225 + 198 + 1000);
    expect(inv.trialDiscount).toBe(0); // no customer identity, no trial
    expect(inv.total).toBe(inv.subtotal);
    for (const l of inv.lines) expect(Number.isInteger(l.amount)).toBe(true);
    const csv = invoiceCsv(inv);
    expect(csv.split('\n')[0]).toBe('item,storage_class,quantity,unit,unit_price_tiyn,amount_tiyn');
    expect(csv).toContain(`Total,,,,,${inv.total}`);
  });

  it("charges COLD retrieval for bytes copied out of COLD, whatever the destination row's class", async () => {
    const w = await billedMonth({
      more: (x) =>
        x.client
          .execute({
            sql: `INSERT INTO request_log (time, request_id, node_id, account_id, bucket, key, operation, status, bytes_in, bytes_out, duration_ms, auth, storage_class, retrieval_bytes)
              VALUES (?, 'RC', 'n', ?, 'std', 'copy', 'CopyObject', 200, 0, 230, 1, 'root', 'STANDARD', ?)`,
            args: [start + 15 * 86_400_000, x.accountId, 2 ** 30],
          })
          .then(() => {}),
    });
    const inv = await w.billing.invoice(w.accountId, MONTH);
    expect(inv.lines.find((l) => l.item === 'Retrieval' && l.storageClass === 'COLD')).toMatchObject({
      quantity: '3.000',
      amount: 1500,
    });
  });

  it('does not bill refused (403) requests: strangers knocking on a bucket cost its owner nothing', async () => {
    const w = await billedMonth({
      more: (x) =>
        traffic(x, start + 20 * 86_400_000, 5000, 5000, {
          op: 'GetObject',
          bucket: 'cold',
          cls: 'COLD',
          status: 403,
          code: 'AccessDenied',
          bytesOut: 2 ** 20,
        }),
    });
    // as without them
    expect((await w.billing.invoice(w.accountId, MONTH)).subtotal).toBe(800 + 225 + 198 + 1000);
  });

  it('bills terabytes kept all month (sums past 2^53 and 2^63 byte-seconds)', async () => {
    const w = await world(start);
    await w.client.execute({
      sql: "INSERT INTO buckets (id, name, account_id, storage_class, created_at, byte_count) VALUES ('big', 'big', ?, 'STANDARD', ?, ?)",
      args: [w.accountId, start, 5 * 2 ** 40],
    });
    for (let t = start; t < end; t += HOUR) await sampleStorage(w.db, t, HOUR);
    await rollup(w);
    const inv = await w.billing.invoice(w.accountId, MONTH);
    const storage = inv.lines.find((l) => l.item === 'Storage' && l.storageClass === 'STANDARD')!;
    expect(storage.quantity).toBe('5120.000000');
    expect(storage.amount).toBe(5120 * 800);
  });

  it('counts the parts of unfinished multipart uploads as stored bytes', async () => {
    const w = await world(start);
    await w.client.execute({
      sql: "INSERT INTO buckets (id, name, account_id, storage_class, created_at, byte_count) VALUES ('b1', 'std', ?, 'STANDARD', ?, 0)",
      args: [w.accountId, start],
    });
    await w.client.execute({
      sql: "INSERT INTO multipart_uploads (id, bucket_id, key, initiated_at, headers) VALUES ('u1', 'b1', 'big', ?, '{}')",
      args: [start],
    });
    await w.client.execute({
      sql: "INSERT INTO multipart_parts (upload_id, part_number, owner, size, etag, last_modified) VALUES ('u1', 1, 'prt_1', ?, 'e', ?)",
      args: [2 ** 30, start],
    });
    for (let t = start; t < end; t += HOUR) await sampleStorage(w.db, t, HOUR);
    await rollup(w);
    const inv = await w.billing.invoice(w.accountId, MONTH);
    expect(inv.lines.find((l) => l.item === 'Storage' && l.storageClass === 'STANDARD')).toMatchObject({
      quantity: '1.000000',
      amount: 800,
    });
  });

  it('is an estimate until the month is rolled up, then issued once and never rewritten', async () => {
    // its trial long over
    const w = await world(start - 10 * 86_400_000, { customerId: 'issued@example.kz' });
    await w.client.execute({
      sql: "INSERT INTO buckets (id, name, account_id, storage_class, created_at, byte_count) VALUES ('b1', 'std', ?, 'STANDARD', ?, ?)",
      args: [w.accountId, start, 2 ** 30],
    });
    for (let t = start; t < end; t += HOUR) await sampleStorage(w.db, t, HOUR);
    await rollupAt(w.db, end - 2 * HOUR);
    expect(await w.billing.invoice(w.accountId, MONTH)).toMatchObject({ status: 'estimate', issuedAt: null });
    await rollup(w); // the last hours too
    const issued = await w.billing.invoice(w.accountId, MONTH);
    expect(issued).toMatchObject({ status: 'final', total: 800 });
    // later changes (a price rise, a trial granted afterwards) leave the issued invoice as it was
    const dearer = new Billing(
      w.db,
      { ...DEFAULT_PRICES, storagePerGiBMonth: { STANDARD: 9999, COLD: 9999 } },
      3,
    );
    // (a second trial cannot be granted: once per customer, issue 16)
    await expect(grantTrial(w.db, w.accountId, 3)).rejects.toThrow(/once per customer/);
    await refuseTrial(w.db, w.accountId);
    expect(await dearer.invoice(w.accountId, MONTH)).toEqual(issued);
    expect(invoiceCsv(issued)).toContain(`Issued ${issued.issuedAt}`);
  });

  it("makes the trial's usage free: the first three days of storage and their requests", async () => {
    const w = await billedMonth({ customerId: 'BIN 123456789012' });
    const inv = await w.billing.invoice(w.accountId, MONTH);
    // 72 of 720 hours of 1 GiB (80 tiyn) and 1000 class B requests (18 tiyn)
    expect(inv.trialDiscount).toBe(80 + 18);
    expect(inv.total).toBe(inv.subtotal - 98);
  });

  it("applies last month's SLA credit as a discount, never more than the invoice", async () => {
    const w = await billedMonth();
    // August: the account existed the whole month, stored 1 GiB, and had 99.0% availability → 5%
    const aug = monthRange('2026-08');
    await w.client.execute({
      sql: 'UPDATE accounts SET created_at = ? WHERE id = ?',
      args: [aug.start, w.accountId],
    });
    await beats(w.client, aug.start - HOUR, aug.end);
    for (let t = aug.start; t < aug.end; t += HOUR) await sampleStorage(w.db, t, HOUR);
    // 8928 slots in 31 days: 1% of them is 89.28 slots — 89 failed outright, one with 28% errors
    for (let i = 0; i < 89; i++) await traffic(w, aug.start + i * SLOT, 1, 1);
    await traffic(w, aug.start + 89 * SLOT, 100, 28);
    await w.client.execute("DELETE FROM job_marks WHERE job = 'traffic'");
    await rollupAt(w.db, end + 3 * HOUR);
    const sla = await w.billing.sla(w.accountId, '2026-08');
    expect(sla.availability).toBeCloseTo(99.0, 6);
    expect(sla.credit).toBe(Math.round(sla.monthCharges * 0.05));
    const inv = await w.billing.invoice(w.accountId, MONTH);
    expect(inv.slaCredit).toMatchObject({ fromMonth: '2026-08', percent: 5, amount: sla.credit });
    expect(inv.total).toBe(inv.subtotal - sla.credit);
  });
});

describe('free trial', () => {
  it('is given once per customer: deleting and re-creating the service brings no second trial', async () => {
    const w = await world(Date.now(), { customerId: 'founder@example.kz' });
    const box = await SecretBox.create(new Uint8Array(32).fill(7));
    const view = await trialView(w.db, w.accountId);
    expect(view.status).toBe('active');
    expect(Date.parse(view.endsAt!) - Date.parse(view.startsAt!)).toBe(3 * 86_400_000);
    expect(view.afterTrial).toMatch(/continues as paid/);
    await deleteAccount(w.db, w.accountId);
    const again = await createAccount(
      { db: w.db, box },
      { name: 'again', quota: QUOTA, customerId: 'founder@example.kz', trialDays: 3 },
    );
    expect((await trialView(w.db, again.accountId)).status).toBe('none');
    const respelled = await createAccount(
      { db: w.db, box },
      { name: 'again, shouted', quota: QUOTA, customerId: ' Founder@Example.KZ ', trialDays: 3 },
    );
    expect((await trialView(w.db, respelled.accountId)).status).toBe('none');
    const other = await createAccount(
      { db: w.db, box },
      { name: 'newcomer', quota: QUOTA, customerId: 'someone@else.kz', trialDays: 3 },
    );
    expect((await trialView(w.db, other.accountId)).status).toBe('active');
  });

  it('can be refused by the operator, and never granted a second time', async () => {
    const w = await world(Date.now() - 10 * 86_400_000, { customerId: '860101300123' });
    expect((await trialView(w.db, w.accountId)).status).toBe('ended');
    await expect(grantTrial(w.db, w.accountId, 3)).rejects.toThrow(/once per customer/);
    expect((await trialView(w.db, w.accountId)).status).toBe('ended');
    await refuseTrial(w.db, w.accountId);
    expect((await trialView(w.db, w.accountId)).status).toBe('refused');
  });
});
