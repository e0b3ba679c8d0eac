/** The operator's billing routes: usage, invoices, SLA, maintenance and force majeure, outages, trials. */
import { z } from 'zod';
import { invoiceCsv } from '../billing/invoice.ts';
import { decideReport, listReports } from '../billing/reports.ts';
import { addExclusion, slaCsv } from '../billing/sla.ts';
import { addExclusions } from '../model/terms-exclusions.ts';
import { grantTrial, refuseTrial, trialView } from '../billing/trials.ts';
import { S3Error } from '../errors.ts';
import { type BillingDeps, OutageView, csv, monthParam, wantsCsv } from './billing.ts';
import type { ApiRouter } from './router.ts';

const time = (text: string | undefined, fallback: number) => {
  if (text === undefined) return fallback;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new S3Error('InvalidArgument', `Not a time: "${text}" (use ISO 8601).`);
  return t;
};

export function operatorBillingRoutes(router: ApiRouter, deps: BillingDeps): void {
  router.add(
    {
      method: 'get',
      path: '/operator/accounts/{id}/usage',
      tag: 'operator',
      summary: 'Requests by operation and status, bytes in/out, stored bytes by class (?from=&to= ISO)',
      response: z.any(),
    },
    async ({ c, params }) => {
      const q = new URL(c.req.url).searchParams;
      const to = time(q.get('to') ?? undefined, Date.now());
      return deps.billing.usage(params.id!, time(q.get('from') ?? undefined, to - 30 * 86_400_000), to);
    },
  );

  router.add(
    {
      method: 'get',
      path: '/operator/accounts/{id}/invoices/{month}',
      tag: 'operator',
      summary: "An account's invoice (?format=csv)",
      response: z.any(),
    },
    async ({ c, params }) => {
      const inv = await deps.billing.invoice(params.id!, monthParam(params.month!));
      return wantsCsv(c.req.url) ? csv(invoiceCsv(inv), `invoice-${params.id}-${inv.month}.csv`) : inv;
    },
  );

  router.add(
    {
      method: 'get',
      path: '/operator/accounts/{id}/sla/{month}',
      tag: 'operator',
      summary: "An account's SLA report (?format=csv)",
      response: z.any(),
    },
    async ({ c, params }) => {
      const r = await deps.billing.sla(params.id!, monthParam(params.month!));
      return wantsCsv(c.req.url) ? csv(slaCsv(r), `sla-${params.id}-${r.month}.csv`) : r;
    },
  );

  router.add(
    {
      method: 'post',
      path: '/operator/exclusions',
      tag: 'operator',
      status: 201,
      summary:
        'Record planned maintenance (in advance) or force majeure; neither counts against availability',
      body: z.object({
        kind: z.enum(['maintenance', 'force-majeure']),
        from: z.string().datetime(),
        to: z.string().datetime(),
        reason: z.string().min(1).max(500),
        /** Only these accounts (absent: every account). */
        accounts: z.array(z.string().min(1)).min(1).max(1000).optional(),
      }),
      response: z.any(),
    },
    async ({ body }) => {
      if (body.accounts) {
        const { from, to, ...rest } = body;
        const x = { ...rest, startsAt: Date.parse(from), endsAt: Date.parse(to) };
        return { exclusions: await addExclusions(deps.db, x) };
      }
      try {
        return await addExclusion(deps.db, {
          kind: body.kind,
          startsAt: Date.parse(body.from),
          endsAt: Date.parse(body.to),
          reason: body.reason,
        });
      } catch (e) {
        throw new S3Error('InvalidArgument', (e as Error).message);
      }
    },
  );

  router.add(
    {
      method: 'get',
      path: '/operator/outages',
      tag: 'operator',
      summary: 'Outage reports of every account',
      response: z.object({ reports: z.array(OutageView) }),
    },
    async () => ({ reports: await listReports(deps.db) }),
  );

  router.add(
    {
      method: 'post',
      path: '/operator/outages/{id}',
      tag: 'operator',
      summary: 'Confirm (with the restoration time) or reject an outage report',
      body: z.object({
        status: z.enum(['confirmed', 'rejected']),
        restoredAt: z.string().datetime().optional(),
        note: z.string().max(2000).optional(),
      }),
      response: OutageView,
    },
    async ({ params, body }) => {
      if (body.status === 'confirmed') {
        if (!body.restoredAt) throw new S3Error('InvalidArgument', 'Confirming needs restoredAt.');
        return decideReport(deps.db, params.id!, {
          status: 'confirmed',
          restoredAt: Date.parse(body.restoredAt),
          note: body.note,
        });
      }
      return decideReport(deps.db, params.id!, { status: 'rejected', note: body.note });
    },
  );

  router.add(
    {
      method: 'get',
      path: '/operator/accounts/{id}/trial',
      tag: 'operator',
      summary: "An account's trial",
      response: z.any(),
    },
    async ({ params }) => trialView(deps.db, params.id!),
  );

  router.add(
    {
      method: 'post',
      path: '/operator/accounts/{id}/trial',
      tag: 'operator',
      summary: "Grant (from now) or refuse a customer's trial",
      body: z.object({ action: z.enum(['grant', 'refuse']) }),
      response: z.any(),
    },
    async ({ params, body }) => {
      if (body.action === 'grant') await grantTrial(deps.db, params.id!, deps.billing.trialDays);
      else await refuseTrial(deps.db, params.id!);
      return trialView(deps.db, params.id!);
    },
  );
}
