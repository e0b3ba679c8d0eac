/** Billing through the running server: the account's API, the operator's API and the admin CLI. */
import { CreateBucketCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthOf } from '../src/core/billing/prices.ts';
import { api } from './helpers/api.ts';
import { s3 } from './helpers/s3.ts';
import { type RunningServer, admin, removeDir, startServer } from './helpers/server.ts';

const OPERATOR = 'operator-token-for-billing-tests-42';
let srv: RunningServer;
const month = monthOf(Date.now());

beforeAll(async () => {
  srv = await startServer({ env: { QOIMA_OPERATOR_TOKEN: OPERATOR, QOIMA_LOG_FLUSH_MS: '100' } });
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

const operator = (method: string, path: string, body?: unknown) =>
  fetch(`${srv.endpoint}/admin/operator${path}`, {
    method,
    headers: { authorization: `Bearer ${OPERATOR}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
const cli = async (...args: string[]) =>
  JSON.parse(await admin(srv.dataDir, [...args, '--json'], { QOIMA_OPERATOR_TOKEN: OPERATOR }));

async function customer(customerId: string) {
  const res = await operator('POST', '/accounts', { name: `${customerId}'s service`, customerId });
  expect(res.status).toBe(201);
  const a = await res.json();
  return { ...a, as: { endpoint: srv.endpoint, creds: a } };
}

describe('the account sees', () => {
  it('its trial, its invoice (JSON and CSV) and its SLA report', async () => {
    const c = await customer('100140011234');
    const trial = await (await api(c.as, 'GET', '/admin/trial')).json();
    expect(trial).toMatchObject({ customerId: '100140011234', status: 'active' });
    expect(Date.parse(trial.endsAt) - Date.parse(trial.startsAt)).toBe(3 * 86_400_000);
    const inv = await (await api(c.as, 'GET', `/admin/invoices/${month}`)).json();
    expect(inv).toMatchObject({ accountId: c.accountId, month, currency: 'KZT', minorUnit: 'tiyn' });
    expect(inv.lines.map((l: { item: string }) => l.item)).toEqual(
      expect.arrayContaining(['Storage', 'Class A requests', 'Class B requests', 'Retrieval']),
    );
    const csv = await api(c.as, 'GET', `/admin/invoices/${month}?format=csv`);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(await csv.text()).toMatch(/^item,storage_class,quantity,unit,unit_price_tiyn,amount_tiyn\n/);
    const sla = await (await api(c.as, 'GET', `/admin/sla/${month}`)).json();
    expect(sla).toMatchObject({ accountId: c.accountId, month, tier: { creditPercent: expect.any(Number) } });
    expect((await api(c.as, 'GET', '/admin/invoices/2026-13')).status).toBe(400);
  });

  it('reports an outage; the operator confirms it and it counts as downtime', async () => {
    const c = await customer('reporter@example.kz');
    const report = await (
      await api(c.as, 'POST', '/admin/outages', { description: 'uploads time out' })
    ).json();
    expect(report.status).toBe('pending');
    expect(report.reportedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/); // ISO, as elsewhere
    const confirmed = await cli(
      'outages',
      'confirm',
      '--id',
      report.id,
      '--restored-at',
      new Date(Date.parse(report.reportedAt) + 1000).toISOString(),
    );
    expect(confirmed.status).toBe('confirmed');
    const sla = await cli('sla', '--account', c.accountId, '--month', month);
    expect(sla.downtime.some((d: { causes: string[] }) => d.causes.includes('reported-outage'))).toBe(true);
    const mine = await (await api(c.as, 'GET', '/admin/outages')).json();
    expect(mine.reports[0]).toMatchObject({ id: report.id, status: 'confirmed' });
  });

  it('can delete the service; the same customer gets no second trial', async () => {
    const c = await customer('repeat@example.kz');
    const client = s3(srv.endpoint, c);
    await client.send(new CreateBucketCommand({ Bucket: 'to-be-deleted' }));
    await client.send(new PutObjectCommand({ Bucket: 'to-be-deleted', Key: 'x', Body: 'x' }));
    expect((await api(c.as, 'DELETE', '/admin/service', { confirm: 'wrong' })).status).toBe(400);
    expect((await api(c.as, 'DELETE', '/admin/service', { confirm: c.accountId })).status).toBe(204);
    await expect(client.send(new ListBucketsCommand({}))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
    });
    const again = await customer('repeat@example.kz');
    expect((await (await api(again.as, 'GET', '/admin/trial')).json()).status).toBe('none');
    // the bucket name is free again
    await s3(srv.endpoint, again).send(new CreateBucketCommand({ Bucket: 'to-be-deleted' }));
  });
});

describe('the operator', () => {
  it('reads usage by operation and status, and records maintenance in advance (not in the past)', async () => {
    const c = await customer('busy@example.kz');
    const client = s3(srv.endpoint, c);
    await client.send(new CreateBucketCommand({ Bucket: 'busy-bucket' }));
    for (let i = 0; i < 3; i++)
      await client.send(new PutObjectCommand({ Bucket: 'busy-bucket', Key: `k${i}`, Body: 'hello' }));
    await new Promise((r) => setTimeout(r, 400));
    const usage = await cli(
      'usage',
      '--account',
      c.accountId,
      '--from',
      new Date(Date.now() - 3_600_000).toISOString(),
    );
    expect(usage.requests).toEqual(
      expect.arrayContaining([
        { operation: 'PutObject', status: 200, count: 3 },
        { operation: 'CreateBucket', status: 200, count: 1 },
      ]),
    );
    expect(usage.bytesIn).toBeGreaterThanOrEqual(15);
    expect(usage.storedBytes).toEqual({ STANDARD: 15, COLD: 0 });
    const from = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const to = new Date(Date.now() + 2 * 86_400_000 + 3_600_000).toISOString();
    const m = await cli('maintenance', 'add', '--from', from, '--to', to, '--reason', 'kernel upgrade');
    expect(m).toMatchObject({ kind: 'maintenance', reason: 'kernel upgrade', startsAt: from, endsAt: to });
    await expect(
      admin(srv.dataDir, [
        'maintenance',
        'add',
        '--from',
        new Date(Date.now() - 86_400_000).toISOString(),
        '--to',
        to,
        '--reason',
        'oops',
      ]),
    ).rejects.toThrow(/in advance/);
    // an outage under way cannot be relabelled as planned
    await expect(
      admin(srv.dataDir, [
        'maintenance',
        'add',
        '--from',
        new Date(Date.now() + 600_000).toISOString(),
        '--to',
        to,
        '--reason',
        'now',
      ]),
    ).rejects.toThrow(/24 hours in advance/);
  });

  it('grants a trial to an account created without a customer identity, once it is named', async () => {
    const res = await operator('POST', '/accounts', { name: 'nameless' });
    const { accountId } = await res.json();
    await expect(admin(srv.dataDir, ['trial', 'grant', '--account', accountId])).rejects.toThrow(
      /no customer identity yet: name the customer .* with --customer/,
    );
    const granted = await cli('trial', 'grant', '--account', accountId, '--customer', ' Named@Example.KZ ');
    expect(granted).toMatchObject({ customerId: 'named@example.kz', status: 'active' });
    // the identity stays: naming another is refused, naming the same again is fine
    await expect(
      admin(srv.dataDir, ['trial', 'refuse', '--account', accountId, '--customer', 'other@example.kz']),
    ).rejects.toThrow(/belongs to customer named@example.kz already/);
    const viaApi = await operator('POST', `/accounts/${accountId}/trial`, {
      action: 'refuse',
      customerId: 'named@example.kz',
    });
    expect(await viaApi.json()).toMatchObject({ customerId: 'named@example.kz', status: 'refused' });
  });

  it('shows, grants and refuses trials; runs rollups; exports invoices and SLA as CSV', async () => {
    const c = await customer('trialist@example.kz');
    expect((await cli('trial', '--account', c.accountId)).status).toBe('active');
    expect((await cli('trial', 'refuse', '--account', c.accountId)).status).toBe('refused');
    // a trial is once per customer: not even the operator grants a second (issue 16)
    await expect(cli('trial', 'grant', '--account', c.accountId)).rejects.toThrow(/once per customer/);
    expect(await cli('rollup')).toHaveProperty('hoursRolledUp');
    const csv = await admin(srv.dataDir, ['invoice', '--account', c.accountId, '--month', month, '--csv']);
    expect(csv).toMatch(/^item,storage_class/);
    const slaCsv = await admin(srv.dataDir, ['sla', '--account', c.accountId, '--month', month, '--csv']);
    expect(slaCsv).toMatch(/availability_percent,\d/);
    const inv = await (await operator('GET', `/accounts/${c.accountId}/invoices/${month}`)).json();
    expect(inv.accountId).toBe(c.accountId);
  });
});
