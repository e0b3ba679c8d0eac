/**
 * The billing routes of the JSON API, the account's own view: invoices, SLA, trial, outage reports,
 * deletion.
 */
import { z } from 'zod';
import { route } from './route.ts';

export const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);

/** `?format=csv`: the same document as CSV. */
export const CsvQuery = z.object({ format: z.string().optional() });

const ChargesFrom = z.enum(['issued', 'estimate']);

/** Amounts in minor units (tiyn). */
export const InvoiceView = z.object({
  accountId: z.string(),
  month: z.string(),
  currency: z.string(),
  minorUnit: z.string(),
  lines: z.array(
    z.object({
      item: z.string(),
      storageClass: z.enum(['STANDARD', 'COLD']).nullable(),
      quantity: z.string(),
      unit: z.string(),
      unitPrice: z.number(),
      amount: z.number(),
    }),
  ),
  subtotal: z.number(),
  trialDiscount: z.number(),
  slaCredit: z.object({
    fromMonth: z.string(),
    availability: z.number(),
    percent: z.number(),
    amount: z.number(),
    chargesFrom: ChargesFrom.optional(),
  }),
  /**
   * Compensation for lost or damaged data (approved claims), capped with the SLA credit at the
   * invoice's charges; absent when there is none (and on invoices issued before it existed).
   */
  compensation: z
    .object({
      amount: z.number(),
      periods: z.array(
        z.object({
          month: z.string(),
          charges: z.number(),
          chargesFrom: ChargesFrom,
          amount: z.number(),
          incidents: z.array(z.string()),
        }),
      ),
    })
    .optional(),
  total: z.number(),
  status: z.enum(['estimate', 'final']),
  issuedAt: z.string().nullable(),
});
export type InvoiceView = z.infer<typeof InvoiceView>;

export const SlaView = z.object({
  accountId: z.string(),
  month: z.string(),
  availability: z.number(),
  intervalsCounted: z.number(),
  intervalsExcluded: z.number(),
  downtime: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      causes: z.array(z.enum(['server-errors', 'no-response', 'reported-outage'])),
      averageErrorRate: z.number(),
    }),
  ),
  exclusions: z.array(z.object({ from: z.string(), to: z.string(), kind: z.string(), reason: z.string() })),
  tier: z.object({ min: z.number(), creditPercent: z.number() }),
  monthCharges: z.number(),
  chargesFrom: ChargesFrom,
  credit: z.number(),
});

export const MonthSeriesView = z.object({
  month: z.string(),
  source: z.enum(['log', 'rollup']),
  days: z.array(
    z.object({
      day: z.string(),
      storedBytes: z.number(),
      bytesIn: z.number(),
      bytesOut: z.number(),
      requests: z.number(),
    }),
  ),
});

export const TrialView = z.object({
  customerId: z.string().nullable(),
  status: z.enum(['active', 'ended', 'refused', 'requested', 'none']),
  startsAt: z.string().nullable(),
  endsAt: z.string().nullable(),
  /** The most the trial makes free, in minor units (beyond it, paid); null: no limit. */
  freeUpTo: z.number().nullable(),
  /** In words, what happens when it ends. */
  afterTrial: z.string(),
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

export const billingRoutes = {
  getInvoice: route({
    method: 'get',
    path: '/invoices/{month}',
    tag: 'billing',
    summary: 'Your invoice for a month (?format=csv for CSV); amounts in minor units (tiyn)',
    query: CsvQuery,
    response: InvoiceView,
  }),

  getSla: route({
    method: 'get',
    path: '/sla/{month}',
    tag: 'billing',
    summary: 'Your SLA report for a month (?format=csv for CSV)',
    query: CsvQuery,
    response: SlaView,
  }),

  getDailyUsage: route({
    method: 'get',
    path: '/usage/daily/{month}',
    tag: 'usage',
    summary: 'The month day by day: stored bytes (daily average; today: now), bytes in and out, requests',
    response: MonthSeriesView,
  }),

  getTrial: route({
    method: 'get',
    path: '/trial',
    tag: 'billing',
    summary: 'Your free trial: when it ends and what happens then',
    response: TrialView,
  }),

  reportOutage: route({
    method: 'post',
    path: '/outages',
    tag: 'billing',
    status: 201,
    summary: 'Report an outage (counts once the operator confirms it)',
    body: z.object({ description: z.string().min(1).max(2000) }),
    response: OutageView,
  }),

  listOutages: route({
    method: 'get',
    path: '/outages',
    tag: 'billing',
    summary: 'Your outage reports and their outcome',
    response: z.object({ reports: z.array(OutageView) }),
  }),

  deleteService: route({
    method: 'delete',
    path: '/service',
    tag: 'billing',
    status: 204,
    summary:
      'Delete the service: every bucket and object, the root user and keys. Send your account id to confirm.',
    body: z.object({ confirm: z.string() }),
    response: z.null(),
  }),
};
