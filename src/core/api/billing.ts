/** The billing routes of the JSON API (contract/billing.ts), the account's own view. */
import { invoiceCsv } from '../billing/invoice.ts';
import { monthRange } from '../billing/prices.ts';
import { listReports, reportOutage, reportView } from '../billing/reports.ts';
import { monthSeries } from '../billing/series.ts';
import type { Billing } from '../billing/service.ts';
import { slaCsv } from '../billing/sla.ts';
import { trialView } from '../billing/trials.ts';
import type { Db } from '../db/index.ts';
import { S3Error } from '../errors.ts';
import { deleteAccount } from '../model/accounts.ts';
import { checkKeyManager } from '../model/keys.ts';
import { type ApiContext, principalOf } from './context.ts';
import { Month, type billingRoutes } from './contract/billing.ts';
import type { Handlers } from './router.ts';

export interface BillingDeps {
  db: Db;
  billing: Billing;
  /** Tells the host router a domain was released (the service that held it was deleted). */
  domainChanged: (hostname: string) => void;
}

export function monthParam(text: string): string {
  const parsed = Month.safeParse(text);
  if (!parsed.success) throw new S3Error('InvalidArgument', `A month is YYYY-MM, not "${text}".`);
  monthRange(parsed.data);
  return parsed.data;
}

export const csv = (text: string, name: string) =>
  new Response(text, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
    },
  });

export function billingHandlers(deps: BillingDeps): Handlers<typeof billingRoutes> {
  const owner = (c: ApiContext) => {
    const p = principalOf(c);
    checkKeyManager(p, p.accountId); // billing is the root user's (or an admin key's) business
    return p.accountId;
  };

  return {
    getInvoice: async ({ c, params, query }) => {
      const inv = await deps.billing.invoice(owner(c), monthParam(params.month));
      return query.format === 'csv' ? csv(invoiceCsv(inv), `invoice-${inv.month}.csv`) : inv;
    },

    getSla: async ({ c, params, query }) => {
      const r = await deps.billing.sla(owner(c), monthParam(params.month));
      return query.format === 'csv' ? csv(slaCsv(r), `sla-${r.month}.csv`) : r;
    },

    getDailyUsage: async ({ c, params }) => monthSeries(deps.db, owner(c), monthParam(params.month)),

    getTrial: async ({ c }) => trialView(deps.db, principalOf(c).accountId),

    reportOutage: async ({ c, body }) => reportView(await reportOutage(deps.db, owner(c), body.description)),

    listOutages: async ({ c }) => ({ reports: (await listReports(deps.db, owner(c))).map(reportView) }),

    deleteService: async ({ c, body }) => {
      const p = principalOf(c);
      if (p.kind !== 'root') throw new S3Error('AccessDenied', 'Only the root user can delete the service.');
      if (body.confirm !== p.accountId)
        throw new S3Error('InvalidArgument', 'To delete the service, send {"confirm": "<your account id>"}.');
      (await deleteAccount(deps.db, p.accountId)).forEach(deps.domainChanged);
      return null;
    },
  };
}
