/**
 * Invoices and SLA credits checked by hand: each scenario that an audit found wrong, with its
 * arithmetic next to the expected numbers (UTC, default prices, tiyn). September 2026 has 30 days
 * (8640 five-minute slots, 2 592 000 s), October 31 (8928 slots).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PRICES, type PriceList, monthRange } from '../src/core/billing/prices.ts';
import { decideReport, reportOutage } from '../src/core/billing/reports.ts';
import { HOUR, SLOT } from '../src/core/billing/rollup.ts';
import { Billing } from '../src/core/billing/service.ts';
import {
  DAY, GiB, type World, beats, bucket, removeWorlds, rollupAt, rollupOptions, samples, traffic, world,
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
});

describe('metering', () => {
  it('3. bills neither the requests nor the bytes of 5xx responses (no COLD retrieval, no egress)', async () => {
    const w = await world(SEP.start, { beatsTo: SEP.end + 2 * HOUR });
    await bucket(w, 'b1', 'cold', 'COLD', 0, SEP.start);
    const at = SEP.start + 10 * DAY;
    await traffic(w, at, 2, 0, { bucket: 'cold', cls: 'COLD', bytesOut: GiB }); // 2 GiB read
    await traffic(w, at + HOUR, 1, 1, { bucket: 'cold', cls: 'COLD', bytesOut: GiB }); // cut off by a 500 after 1 GiB
    await rollupAt(w.db, SEP.end + 3 * HOUR);
    const billing = new Billing(w.db, { ...DEFAULT_PRICES, egressPerGiB: 100 }, 3);
    const inv = await billing.invoice(w.accountId, '2026-09');
    expect(line(inv, 'Retrieval', 'COLD')).toMatchObject({ quantity: '2.000', amount: 1000 }); // 2 GiB × 500
    expect(line(inv, 'Egress', null)).toMatchObject({ quantity: '2.000', amount: 200 }); // 2 GiB × 100
    expect(line(inv, 'Class B requests', 'COLD')).toMatchObject({ quantity: '2' });
  });
});

describe('the free trial', () => {
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
