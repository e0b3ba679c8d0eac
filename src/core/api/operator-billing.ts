/**
 * The operator's billing routes (contract/operator.ts): usage, invoices, SLA, exclusions,
 * outages, trials.
 */
import { invoiceCsv } from '../billing/invoice.ts';
import { decideReport, listReports, reportView } from '../billing/reports.ts';
import { addExclusion, exclusionView, slaCsv } from '../billing/sla.ts';
import { addExclusions } from '../model/terms-exclusions.ts';
import { grantTrial, refuseTrial, trialView } from '../billing/trials.ts';
import { S3Error } from '../errors.ts';
import { type BillingDeps, csv, monthParam } from './billing.ts';
import type { operatorBillingRoutes } from './contract/operator.ts';
import type { Handlers } from './router.ts';

const time = (text: string | undefined, fallback: number) => {
  if (text === undefined) return fallback;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new S3Error('InvalidArgument', `Not a time: "${text}" (use ISO 8601).`);
  return t;
};

export function operatorBillingHandlers(deps: BillingDeps): Handlers<typeof operatorBillingRoutes> {
  return {
    accountUsage: async ({ params, query }) => {
      const to = time(query.to, Date.now());
      return deps.billing.usage(params.id, time(query.from, to - 30 * 86_400_000), to);
    },

    accountInvoice: async ({ params, query }) => {
      const inv = await deps.billing.invoice(params.id, monthParam(params.month));
      return query.format === 'csv' ? csv(invoiceCsv(inv), `invoice-${params.id}-${inv.month}.csv`) : inv;
    },

    accountSla: async ({ params, query }) => {
      const r = await deps.billing.sla(params.id, monthParam(params.month));
      return query.format === 'csv' ? csv(slaCsv(r), `sla-${params.id}-${r.month}.csv`) : r;
    },

    addExclusion: async ({ body }) => {
      if (body.accounts) {
        const { from, to, ...rest } = body;
        const x = { ...rest, startsAt: Date.parse(from), endsAt: Date.parse(to) };
        return { exclusions: (await addExclusions(deps.db, x)).map(exclusionView) };
      }
      try {
        return exclusionView(
          await addExclusion(deps.db, {
            kind: body.kind,
            startsAt: Date.parse(body.from),
            endsAt: Date.parse(body.to),
            reason: body.reason,
          }),
        );
      } catch (e) {
        throw new S3Error('InvalidArgument', (e as Error).message);
      }
    },

    listAllOutages: async () => ({ reports: (await listReports(deps.db)).map(reportView) }),

    decideOutage: async ({ params, body }) => {
      if (body.status === 'confirmed') {
        if (!body.restoredAt) throw new S3Error('InvalidArgument', 'Confirming needs restoredAt.');
        return reportView(
          await decideReport(deps.db, params.id, {
            status: 'confirmed',
            restoredAt: Date.parse(body.restoredAt),
            note: body.note,
          }),
        );
      }
      return reportView(await decideReport(deps.db, params.id, { status: 'rejected', note: body.note }));
    },

    accountTrial: async ({ params }) => trialView(deps.db, params.id),

    setAccountTrial: async ({ params, body }) => {
      if (body.action === 'grant')
        await grantTrial(deps.db, params.id, deps.billing.trialDays, Date.now(), body.customerId);
      else await refuseTrial(deps.db, params.id, body.customerId);
      return trialView(deps.db, params.id);
    },
  };
}
