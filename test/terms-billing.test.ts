/**
 * The terms' arithmetic on a real libSQL file (issue 16), each expectation worked out by hand next to
 * it: compensation for lost data on the next invoice within the credits' cap, the trial's volume, and
 * exclusions that concern one account (force majeure, downtime the customer caused, suspension).
 * September 2026 has 30 days (720 hours, 8640 five-minute slots); October 31 (744 hours).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { monthRange } from '../src/core/billing/prices.ts';
import { decideReport, reportOutage } from '../src/core/billing/reports.ts';
import { HOUR, sampleStorage } from '../src/core/billing/rollup.ts';
import { addExclusion } from '../src/core/billing/sla.ts';
import { createAccount } from '../src/core/model/accounts.ts';
import type { ScrubReport } from '../src/core/model/scrub.ts';
import { addExclusions } from '../src/core/model/terms-exclusions.ts';
import {
  claimIncident,
  decideClaim,
  listIncidents,
  recordIncidents,
} from '../src/core/model/terms-incidents.ts';
import { liftSuspension, suspendAccount } from '../src/core/model/terms-suspension.ts';
import { SecretBox } from '../src/core/secretbox.ts';
import { DAY, QUOTA, type World, removeWorlds, rollupAt, traffic, world } from './helpers/billing.ts';

const SEP = '2026-09';
const OCT = '2026-10';
const { start, end } = monthRange(SEP);
const octEnd = monthRange(OCT).end;
afterAll(removeWorlds);

/** A STANDARD bucket "std" of exactly 1 GiB from `from` to `to`, sampled every 6 hours. */
async function gib(w: World, from: number, to: number) {
  await w.client.execute({
    sql: "INSERT INTO buckets (id, name, account_id, storage_class, created_at, byte_count) VALUES ('b1', 'std', ?, 'STANDARD', ?, ?)",
    args: [w.accountId, from, 2 ** 30],
  });
  for (let t = from; t < to; t += 6 * HOUR) await sampleStorage(w.db, t, 6 * HOUR);
}

const scrubFound = (objects: string[]): ScrubReport => ({
  chunksChecked: 1,
  bytesChecked: 1,
  chunksDamaged: 1,
  corrupt: [],
  missing: [{ hash: 'h1', objects }],
  remaining: [{ hash: 'h1', objects }],
  refcountsFixed: [],
  orphanFiles: [],
  repaired: false,
});

/** Incidents found on Sep 5 for `objects`, claimed on Sep 6, approved on Sep 7. */
async function approvedLoss(w: World, objects: string[]) {
  expect(await recordIncidents(w.db, scrubFound(objects), start + 5 * DAY)).toBe(objects.length);
  for (const i of await listIncidents(w.db, w.accountId)) {
    await claimIncident(w.db, w.accountId, i.id, 'lost', start + 6 * DAY);
    await decideClaim(w.db, i.id, 'approved', undefined, start + 7 * DAY);
  }
}

describe('compensation for lost data', () => {
  it("credits 50% of the period's charges on the next invoice, once per period, after the SLA credit", async () => {
    const w = await world(start - 10 * DAY, { beatsTo: octEnd + 2 * HOUR }); // no customer, no trial
    await gib(w, start, octEnd);
    // 9 slots of September all 5xx: availability 100 − 100 × 9 / 8640 = 99.895833…% → 5% credit
    for (let i = 0; i < 9; i++) await traffic(w, start + 20 * DAY + i * 300_000, 1, 1);
    // two objects lost in September (one period: one compensation)
    await approvedLoss(w, ['std/a.txt', 'std/b.txt']);
    await rollupAt(w.db, octEnd + 3 * HOUR);

    // September: 1 GiB × 720 h of 720 = 800 tiyn (5xx are not billed)
    const sep = await w.billing.invoice(w.accountId, SEP);
    expect(sep).toMatchObject({ status: 'final', subtotal: 800, total: 800 });
    expect(sep.compensation).toBeUndefined(); // credited on the next invoice, not this one
    // October: 1 GiB × 744 h of 744 = 800; SLA credit 5% × 800 = 40; compensation 50% × 800 = 400
    // total 800 − 40 − 400 = 360
    const oct = await w.billing.invoice(w.accountId, OCT);
    expect(oct).toMatchObject({ status: 'final', subtotal: 800, slaCredit: { percent: 5, amount: 40 } });
    expect(oct.compensation).toMatchObject({
      amount: 400,
      periods: [{ month: SEP, charges: 800, chargesFrom: 'issued', amount: 400 }],
    });
    expect(oct.compensation!.periods[0]!.incidents).toHaveLength(2);
    expect(oct.total).toBe(360);
  }, 120_000); // two months of hourly rollups

  it('is never paid out: an invoice too small to take it is taken to zero and the rest lapses', async () => {
    const w = await world(start - 10 * DAY, { beatsTo: octEnd + 2 * HOUR });
    await gib(w, start, end); // stored in September only (the sample after the end is never taken)
    await w.client.execute({ sql: "UPDATE buckets SET byte_count = 0 WHERE id = 'b1'", args: [] });
    await approvedLoss(w, ['std/a.txt']);
    // a few reads in October: 10 000 class B × 18 000 / 1 000 000 = 180 tiyn
    await traffic(w, end + DAY, 10_000, 0, { op: 'GetObject', bucket: 'std' });
    await rollupAt(w.db, octEnd + 3 * HOUR);
    expect((await w.billing.invoice(w.accountId, SEP)).subtotal).toBe(800);
    // compensation 400 owed, but October's charges are 180: credited 180, total 0, 220 lapses
    const oct = await w.billing.invoice(w.accountId, OCT);
    expect(oct).toMatchObject({ subtotal: 180, total: 0, compensation: { amount: 180 } });
  }, 120_000);
});

describe("the trial's volume", () => {
  it('makes free only up to the volume; beyond it, paid', async () => {
    const w = await world(start, { customerId: 'volume@example.kz', beatsTo: end + 2 * HOUR });
    await w.client.execute({ sql: 'UPDATE trials SET free_up_to = 50', args: [] });
    await gib(w, start, end);
    await rollupAt(w.db, end + 3 * HOUR);
    // 1 GiB all month: 800; the trial's 72 of 720 hours would be 80, but at most 50 is free → 750
    expect(await w.billing.invoice(w.accountId, SEP)).toMatchObject({
      subtotal: 800,
      trialDiscount: 50,
      total: 750,
    });
  });

  it('counts what earlier months of the trial made free against the volume', async () => {
    const w = await world(end - 2 * DAY, { customerId: 'straddler@example.kz', beatsTo: octEnd + 2 * HOUR });
    await w.client.execute({ sql: 'UPDATE trials SET free_up_to = 50', args: [] });
    await gib(w, end - 2 * DAY, octEnd);
    await rollupAt(w.db, octEnd + 3 * HOUR);
    // September: 1 GiB × 48 of 720 h = 53.33 → 53, all in the trial, free up to 50 → total 3
    expect(await w.billing.invoice(w.accountId, SEP)).toMatchObject({
      subtotal: 53,
      trialDiscount: 50,
      total: 3,
    });
    // October: 1 GiB × 744 h = 800; the trial's first day (24/744 × 800 = 25.8) finds no volume left
    expect(await w.billing.invoice(w.accountId, OCT)).toMatchObject({
      subtotal: 800,
      trialDiscount: 0,
      total: 800,
    });
  });
});

describe('exclusions that concern one account', () => {
  /** Two accounts in one database, both with a confirmed one-hour outage on September 10. */
  async function twoAccounts() {
    const w = await world(start - 10 * DAY, { beatsTo: start });
    const box = await SecretBox.create(new Uint8Array(32).fill(7));
    const b = await createAccount({ db: w.db, box }, { name: 'other', quota: QUOTA });
    await w.client.execute({
      sql: 'UPDATE accounts SET created_at = ? WHERE id = ?',
      args: [start - DAY, b.accountId],
    });
    const at = start + 10 * DAY;
    for (const id of [w.accountId, b.accountId]) {
      const r = await reportOutage(w.db, id, 'down', at);
      await decideReport(w.db, r.id, { status: 'confirmed', restoredAt: at + HOUR });
    }
    return { w, a: w.accountId, b: b.accountId, at };
  }

  it('force majeure for one account leaves the others counted; the customer-caused mark frees its own', async () => {
    const { w, a, b, at } = await twoAccounts();
    await addExclusions(w.db, {
      kind: 'force-majeure',
      startsAt: at,
      endsAt: at + HOUR,
      reason: 'flood',
      accounts: [a],
    });
    // A: the 12 slots of the hour are excluded → 8628 counted, 100%, no credit
    expect(await w.billing.sla(a, SEP)).toMatchObject({
      availability: 100,
      intervalsCounted: 8628,
      intervalsExcluded: 12,
      tier: { creditPercent: 0 },
      exclusions: [expect.objectContaining({ kind: 'force-majeure', reason: 'flood' })],
    });
    // B: 12 of 8640 slots down → 100 − 100 × 12 / 8640 = 99.861111111% → 5%
    expect(await w.billing.sla(b, SEP)).toMatchObject({
      availability: 99.861111111,
      intervalsCounted: 8640,
      tier: { creditPercent: 5 },
      exclusions: [],
    });
    await addExclusions(w.db, {
      kind: 'customer-caused',
      startsAt: at,
      endsAt: at + HOUR,
      reason: 'their own script',
      accounts: [b],
    });
    expect(await w.billing.sla(b, SEP)).toMatchObject({
      availability: 100,
      intervalsExcluded: 12,
      exclusions: [expect.objectContaining({ kind: 'customer-caused', reason: 'their own script' })],
    });
    await expect(
      addExclusions(w.db, { kind: 'customer-caused', startsAt: at, endsAt: at + HOUR, reason: 'x' }),
    ).rejects.toThrow(/exactly one account/);
  });

  it('a suspension is not downtime; an exclusion for everyone still is for everyone', async () => {
    const { w, a, b, at } = await twoAccounts();
    await suspendAccount(w.db, b, 'spam', true, at - HOUR);
    await liftSuspension(w.db, b, at + HOUR);
    const sb = await w.billing.sla(b, SEP);
    // suspended from 1 h before to the end of the outage: 24 slots excluded, the outage among them
    expect(sb).toMatchObject({ availability: 100, intervalsExcluded: 24 });
    expect(sb.exclusions).toEqual([
      expect.objectContaining({ kind: 'suspended', reason: expect.stringMatching(/spam/) }),
    ]);
    await addExclusion(w.db, {
      kind: 'force-majeure',
      startsAt: at,
      endsAt: at + HOUR,
      reason: 'earthquake',
    });
    expect(await w.billing.sla(a, SEP)).toMatchObject({ availability: 100, intervalsExcluded: 12 });
  });
});
