/** Billing routes of the JSON API, the account's own view: invoices, SLA, trial, outage reports, deletion. */
import { z } from 'zod';
import type { Billing } from '../billing/service.ts';
import { listReports, reportOutage, reportView } from '../billing/reports.ts';
import { invoiceCsv } from '../billing/invoice.ts';
import { monthSeries } from '../billing/series.ts';
import { slaCsv } from '../billing/sla.ts';
import { monthRange } from '../billing/prices.ts';
import { trialView } from '../billing/trials.ts';
import type { Db } from '../db/index.ts';
import { S3Error } from '../errors.ts';
import { deleteAccount } from '../model/accounts.ts';
import { checkKeyManager } from '../model/keys.ts';
import { principalOf } from './app.ts';
import type { ApiRouter } from './router.ts';

export interface BillingDeps {
  db: Db;
  billing: Billing;
  /** Tells the host router a domain was released (the service that held it was deleted). */
  domainChanged: (hostname: string) => void;
}

const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);

export function monthParam(text: string): string {
  const parsed = Month.safeParse(text);
  if (!parsed.success) throw new S3Error('InvalidArgument', `A month is YYYY-MM, not "${text}".`);
  monthRange(parsed.data);
  return parsed.data;
}

export const wantsCsv = (url: string) => new URL(url).searchParams.get('format') === 'csv';
export const csv = (text: string, name: string) =>
  new Response(text, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
    },
  });

export const OutageView = z.object({
  id: z.string(),
  accountId: z.string(),
  reportedAt: z.string(),
  description: z.string(),
  status: z.enum(['pending', 'confirmed', 'rejected']),
  restoredAt: z.string().nullable(),
  decidedAt: z.string().nullable(),
  note: z.string().nullable(),
});

export function billingRoutes(router: ApiRouter, deps: BillingDeps): void {
  const owner = (c: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(c);
    checkKeyManager(p, p.accountId); // billing is the root user's (or an admin key's) business
    return p.accountId;
  };

  router.add(
    {
      method: 'get',
      path: '/invoices/{month}',
      tag: 'billing',
      summary: 'Your invoice for a month (?format=csv for CSV); amounts in minor units (tiyn)',
      response: z.any(),
    },
    async ({ c, params }) => {
      const inv = await deps.billing.invoice(owner(c), monthParam(params.month!));
      return wantsCsv(c.req.url) ? csv(invoiceCsv(inv), `invoice-${inv.month}.csv`) : inv;
    },
  );

  router.add(
    {
      method: 'get',
      path: '/sla/{month}',
      tag: 'billing',
      summary: 'Your SLA report for a month (?format=csv for CSV)',
      response: z.any(),
    },
    async ({ c, params }) => {
      const r = await deps.billing.sla(owner(c), monthParam(params.month!));
      return wantsCsv(c.req.url) ? csv(slaCsv(r), `sla-${r.month}.csv`) : r;
    },
  );

  router.add(
    {
      method: 'get',
      path: '/usage/daily/{month}',
      tag: 'usage',
      summary: 'The month day by day: stored bytes (daily average; today: now), bytes in and out, requests',
      response: z.any(),
    },
    async ({ c, params }) => monthSeries(deps.db, owner(c), monthParam(params.month!)),
  );

  router.add(
    {
      method: 'get',
      path: '/trial',
      tag: 'billing',
      summary: 'Your free trial: when it ends and what happens then',
      response: z.any(),
    },
    async ({ c }) => trialView(deps.db, principalOf(c).accountId),
  );

  router.add(
    {
      method: 'post',
      path: '/outages',
      tag: 'billing',
      status: 201,
      summary: 'Report an outage (counts once the operator confirms it)',
      body: z.object({ description: z.string().min(1).max(2000) }),
      response: OutageView,
    },
    async ({ c, body }) => reportView(await reportOutage(deps.db, owner(c), body.description)),
  );

  router.add(
    {
      method: 'get',
      path: '/outages',
      tag: 'billing',
      summary: 'Your outage reports and their outcome',
      response: z.object({ reports: z.array(OutageView) }),
    },
    async ({ c }) => ({ reports: (await listReports(deps.db, owner(c))).map(reportView) }),
  );

  router.add(
    {
      method: 'delete',
      path: '/service',
      tag: 'billing',
      status: 204,
      summary:
        'Delete the service: every bucket and object, the root user and keys. Send your account id to confirm.',
      body: z.object({ confirm: z.string() }),
      response: z.null(),
    },
    async ({ c, body }) => {
      const p = principalOf(c);
      if (p.kind !== 'root') throw new S3Error('AccessDenied', 'Only the root user can delete the service.');
      if (body.confirm !== p.accountId)
        throw new S3Error('InvalidArgument', 'To delete the service, send {"confirm": "<your account id>"}.');
      (await deleteAccount(deps.db, p.accountId)).forEach(deps.domainChanged);
      return null;
    },
  );
}
