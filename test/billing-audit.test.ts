/**
 * Invoices and SLA credits checked by hand: each scenario that an audit found wrong, with its
 * arithmetic next to the expected numbers (UTC, default prices, tiyn). September 2026 has 30 days
 * (8640 five-minute slots, 2 592 000 s), October 31 (8928 slots).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { invoiceCsv } from '../src/core/billing/invoice.ts';
import { DEFAULT_PRICES, type PriceList, monthRange } from '../src/core/billing/prices.ts';
import { decideReport, reportOutage } from '../src/core/billing/reports.ts';
import { HOUR, SLOT } from '../src/core/billing/rollup.ts';
import { Billing } from '../src/core/billing/service.ts';
import {
  DAY,
  GiB,
  type World,
  beats,
  bucket,
  removeWorlds,
  rollupAt,
  rollupOptions,
  samples,
  traffic,
  world,
} from './helpers/billing.ts';

const SEP = monthRange('2026-09');
const OCT = monthRange('2026-10');
afterAll(removeWorlds);

/** An outage report, confirmed: downtime from `from` to `to`. */
async function outage(w: World, from: number, to: number) {
  const r = await reportOutage(w.db, w.accountId, 'it is down', from);
  await decideReport(w.db, r.id, { status: 'confirmed', restoredAt: to });
}

type Lines = { lines: { item: string; storageClass: string | null }[] };
const line = (inv: Lines, item: string, cls: string | null) =>
  inv.lines.find((l) => l.item === item && l.storageClass === cls);

describe('availability', () => {
  it('1. picks the tier from the exact availability, rounding only what is shown', async () => {
    const w = await world(OCT.start, { beatsTo: OCT.end + 2 * HOUR });
    const slot = (i: number) => OCT.start + i * SLOT;
    // exactly 99.9%: 0.1% of 8928 slots = 8.928 slots = 8 failed outright + one with 928 errors in 1000
    for (let i = 0; i < 8; i++) await traffic(w, slot(i), 1, 1);
    await traffic(w, slot(8), 1000, 928);
    await rollupAt(w.db, OCT.end + 3 * HOUR);
    const exactly = await w.billing.sla(w.accountId, '2026-10');
    expect(exactly).toMatchObject({ availability: 99.9, tier: { creditPercent: 0 } });
    // + a confirmed 10 ms outage: 100 − (8.928 + 10/300 000) / 8928 × 100
    //   = 99.9 − 0.000000373… = 99.899999626…%
    await outage(w, slot(100), slot(100) + 10);
    const r = await w.billing.sla(w.accountId, '2026-10');
    expect(r.tier.creditPercent).toBe(5);
    // shown to 9 decimals, rounded down: never above the exact figure the tier was chosen from
    expect(r.availability).toBe(99.899999626);
  });

  it('2. counts the same outage reported twice once: the union of the confirmed intervals', async () => {
    const w = await world(SEP.start, { beatsTo: SEP.end + 2 * HOUR });
    const slot = (i: number) => SEP.start + i * SLOT;
    // chat: 2592 s from slot 100 = 8.64 slots = 0.1% of 8640 → exactly 99.9%
    // (slots 100..107, 192 s of slot 108)
    await outage(w, slot(100), slot(100) + 2_592_000);
    // phone: the same outage, 25.92 s inside chat's part of slot 108; added, they would make
    // 8.64 + 0.0864 = 8.7264 slots → 99.899% → 5%
    await outage(w, slot(108) + 100_000, slot(108) + 125_920);
    // and server errors within the outage (half of slot 101's requests) are the same downtime, not more
    await traffic(w, slot(101), 10, 5);
    await rollupAt(w.db, SEP.end + 3 * HOUR);
    const r = await w.billing.sla(w.accountId, '2026-09');
    expect(r.availability).toBe(99.9);
    expect(r.tier.creditPercent).toBe(0);
  });

  it("2. joins the prober's silence and reported outages within a slot, and takes server errors at most once", async () => {
    const s = SEP.start + 300 * SLOT;
    // beats stop at s and resume 120 s later: [s, s + 120 s) did not answer
    const w = await world(SEP.start, { beatsTo: s + 1 });
    await beats(w.client, s + 120_000, SEP.end + 2 * HOUR);
    await outage(w, s + 60_000, s + 150_000); // overlaps the silence: [s, s + 150 s)
    await outage(w, s + 180_000, s + 300_000); // the rest of the slot but 30 s: [s + 180 s, s + 300 s)
    await traffic(w, s, 10, 5); // 50% server errors, within the same downtime
    await rollupAt(w.db, SEP.end + 3 * HOUR);
    const r = await w.billing.sla(w.accountId, '2026-09');
    // union: 150 s + 120 s = 270 s = 0.9 of the slot (not max(0.4, 0.7, 0.5), nor their sum);
    // 100 − 0.9 / 8640 × 100 = 99.989583333…%
    expect(r.downtime).toEqual([
      {
        from: new Date(s).toISOString(),
        to: new Date(s + SLOT).toISOString(),
        causes: ['server-errors', 'no-response', 'reported-outage'],
        averageErrorRate: 0.9,
      },
    ]);
    expect(r.availability).toBe(99.989583333);
  });
});

describe('metering', () => {
  it('3. bills neither the requests nor the bytes of 5xx responses (no COLD retrieval, no egress)', async () => {
    const w = await world(SEP.start, { beatsTo: SEP.end + 2 * HOUR });
    await bucket(w, 'b1', 'cold', 'COLD', 0, SEP.start);
    const at = SEP.start + 10 * DAY;
    await traffic(w, at, 2, 0, { bucket: 'cold', cls: 'COLD', bytesOut: GiB }); // 2 GiB read
    // cut off by a 500 after 1 GiB
    await traffic(w, at + HOUR, 1, 1, { bucket: 'cold', cls: 'COLD', bytesOut: GiB });
    await rollupAt(w.db, SEP.end + 3 * HOUR);
    const billing = new Billing(w.db, { ...DEFAULT_PRICES, egressPerGiB: 100 }, 3);
    const inv = await billing.invoice(w.accountId, '2026-09');
    expect(line(inv, 'Retrieval', 'COLD')).toMatchObject({ quantity: '2.000', amount: 1000 }); // 2 GiB × 500
    expect(line(inv, 'Egress', null)).toMatchObject({ quantity: '2.000', amount: 200 }); // 2 GiB × 100
    expect(line(inv, 'Class B requests', 'COLD')).toMatchObject({ quantity: '2' });
  });

  it('4. keeps a bucket deleted and re-created with the other class in the same hour apart', async () => {
    const w = await world(SEP.start, { beatsTo: SEP.end + 2 * HOUR });
    const h = SEP.start + 10 * DAY;
    // "photos" is STANDARD for the hour's first 30 minutes, then COLD: 1440 GiB × 1800 s each,
    // = 1440 × 1800 / 2 592 000 = 1 GiB-month of each class
    await bucket(w, 'b1', 'photos', 'STANDARD', 1440 * GiB, SEP.start);
    await samples(w.db, h, h + 30 * 60_000, SLOT);
    await w.client.execute("DELETE FROM buckets WHERE id = 'b1'");
    await bucket(w, 'b2', 'photos', 'COLD', 1440 * GiB, h + 30 * 60_000);
    await samples(w.db, h + 30 * 60_000, h + HOUR, SLOT);
    await traffic(w, h + 10 * 60_000, 1000, 0, { bucket: 'photos', cls: 'STANDARD' });
    // 10 GiB
    await traffic(w, h + 40 * 60_000, 1024, 0, { bucket: 'photos', cls: 'COLD', bytesOut: 10 * 2 ** 20 });
    await rollupAt(w.db, SEP.end + 3 * HOUR);
    const inv = await w.billing.invoice(w.accountId, '2026-09');
    expect(line(inv, 'Storage', 'STANDARD')).toMatchObject({ quantity: '1.000000', amount: 800 });
    // 1000 × 18 000 / 10^6
    expect(line(inv, 'Class B requests', 'STANDARD')).toMatchObject({ quantity: '1000', amount: 18 });
    expect(line(inv, 'Storage', 'COLD')).toMatchObject({ quantity: '1.000000', amount: 300 });
    expect(line(inv, 'Class B requests', 'COLD')).toMatchObject({ quantity: '1024', amount: 37 }); // 36.864
    // 10 GiB × 500
    expect(line(inv, 'Retrieval', 'COLD')).toMatchObject({ quantity: '10.000', amount: 5000 });
    expect(inv.subtotal).toBe(800 + 18 + 300 + 37 + 5000);
  });
});

describe('the free trial', () => {
  it('5. ends to the second: usage after it in the same hour is billed, storage split at the instant', async () => {
    const createdAt = SEP.start + 30 * 60_000;
    const ends = createdAt + 3 * DAY; // Sep 4, 00:30
    const w = await world(createdAt, { customerId: 'second@example.kz', beatsTo: SEP.end + 2 * HOUR });
    await bucket(w, 'b1', 'std', 'STANDARD', GiB, SEP.start);
    await samples(w.db, SEP.start, SEP.end); // 1 GiB all month: 800
    // in the trial: 1000 × 18 000 / 10^6 = 18
    await traffic(w, ends - 15 * 60_000, 1000, 0, { bucket: 'std' });
    // after: 100 000 × 0.225 = 22 500
    await traffic(w, ends + 15 * 60_000, 100_000, 0, { bucket: 'std', op: 'PutObject' });
    await rollupAt(w.db, SEP.end + 3 * HOUR);
    const inv = await w.billing.invoice(w.accountId, '2026-09');
    expect(inv.subtotal).toBe(800 + 18 + 22_500);
    // free: 72 of the 720 hours of storage (not the 73 hours that start before the end) and the 1000 reads
    expect(inv.trialDiscount).toBe(80 + 18);
    expect(inv.total).toBe(23_318 - 98);
  });

  it('6. rounds the trial discount once, as one line of the invoice', async () => {
    const w = await world(SEP.start, { customerId: 'rounding@example.kz', beatsTo: SEP.end + 2 * HOUR });
    await traffic(w, SEP.start + DAY, 2, 0, { op: 'PutObject' }); // in the trial: 2 × 0.225 = 0.45
    await traffic(w, SEP.start + DAY, 25, 0); // and 25 × 0.018 = 0.45
    await traffic(w, SEP.start + 10 * DAY, 1000, 0, { op: 'PutObject' });
    await traffic(w, SEP.start + 10 * DAY, 1000, 0);
    await rollupAt(w.db, SEP.end + 3 * HOUR);
    const inv = await w.billing.invoice(w.accountId, '2026-09');
    // 1002 × 0.225 = 225.45 and 1025 × 0.018 = 18.45
    expect(line(inv, 'Class A requests', 'STANDARD')).toMatchObject({ quantity: '1002', amount: 225 });
    expect(line(inv, 'Class B requests', 'STANDARD')).toMatchObject({ quantity: '1025', amount: 18 });
    expect(inv.trialDiscount).toBe(1); // 0.45 + 0.45 = 0.9 → 1 (not 0 + 0)
    expect(inv.total).toBe(243 - 1);
  });
});

describe('closing a month', () => {
  const dearer: PriceList = { ...DEFAULT_PRICES, storagePerGiBMonth: { STANDARD: 1600, COLD: 600 } };

  /** September: 10 GiB STANDARD all month (10 × 800 = 8000) and 1000 slots of a confirmed outage. */
  async function september() {
    const w = await world(SEP.start, { beatsTo: OCT.end + 2 * HOUR });
    await bucket(w, 'b1', 'std', 'STANDARD', 10 * GiB, SEP.start);
    await samples(w.db, SEP.start, SEP.end);
    // 100 − 1000 / 8640 × 100 = 88.43% → below 95% → 15%
    await outage(w, SEP.start + 1000 * SLOT, SEP.start + 2000 * SLOT);
    return w;
  }

  it("7. computes the SLA credit from the month's issued invoice, not from it re-priced", async () => {
    const w = await september();
    await rollupAt(w.db, SEP.end - 2 * HOUR);
    // while September is not issued, October's estimate says its credit is an estimate too
    const early = await w.billing.invoice(w.accountId, '2026-10');
    expect(early.slaCredit).toMatchObject({ fromMonth: '2026-09', chargesFrom: 'estimate', percent: 15 });
    expect(invoiceCsv(early)).toContain('of its estimate: 2026-09 is not issued yet');
    await rollupAt(w.db, OCT.start + 3 * HOUR);
    expect(await w.billing.invoice(w.accountId, '2026-09')).toMatchObject({ status: 'final', total: 8000 });
    await samples(w.db, OCT.start, OCT.end); // October: 10 GiB all month
    // prices double in October
    const billing = new Billing(w.db, dearer, 3);
    const oct = await billing.invoice(w.accountId, '2026-10');
    expect(oct.subtotal).toBe(16_000); // 10 × 1600
    // 15% of 8000 as issued, not of September re-priced (16 000)
    expect(oct.slaCredit).toMatchObject({
      fromMonth: '2026-09',
      chargesFrom: 'issued',
      percent: 15,
      amount: 1200,
    });
    expect(oct.total).toBe(16_000 - 1200);
    expect(await billing.sla(w.accountId, '2026-09')).toMatchObject({ monthCharges: 8000, credit: 1200 });
  });

  it('8. issues every invoice when its month is rolled up, whether anyone looks, once', async () => {
    const w = await september();
    // two nodes with different price lists run the metering job at once; one issues, neither rewrites
    const other = new Billing(w.db, dearer, 3);
    const closed = rollupOptions(OCT.start + 3 * HOUR);
    await Promise.all([w.billing.rollup(closed), other.rollup(closed)]);
    const issued = await w.billing.invoice(w.accountId, '2026-09');
    expect(issued.status).toBe('final');
    expect(await other.invoice(w.accountId, '2026-09')).toEqual(issued);
    expect([8000, 16_000]).toContain(issued.total);
    // a price change after the close, before anyone read the invoice, changes nothing
    const w2 = await september();
    await w2.billing.rollup(rollupOptions(OCT.start + 3 * HOUR));
    const rows = await w2.client.execute('SELECT account_id, month FROM issued_invoices');
    // issued though no one has read it
    expect(rows.rows.map((r) => [r.account_id, r.month])).toEqual([[w2.accountId, '2026-09']]);
    const later = new Billing(w2.db, dearer, 3);
    await later.rollup(rollupOptions(OCT.start + 4 * HOUR));
    const sep = await later.invoice(w2.accountId, '2026-09');
    expect(sep).toMatchObject({ status: 'final', subtotal: 8000, total: 8000 });
  });

  it('8. issues the months in order, even when a reader gets to a closed month before the job', async () => {
    const w = await world(SEP.start - 10 * DAY, { beatsTo: OCT.end + 2 * HOUR }); // since August 21st
    await rollupAt(w.db, OCT.start + 3 * HOUR); // August and September rolled up, neither issued yet
    const sep = await w.billing.invoice(w.accountId, '2026-09');
    expect(sep).toMatchObject({
      status: 'final',
      slaCredit: { fromMonth: '2026-08', chargesFrom: 'issued' },
    });
    expect(await w.billing.invoice(w.accountId, '2026-08')).toMatchObject({ status: 'final' });
  });
});
