/**
 * The operator's routes (/admin/operator/...): accounts, their quotas, the JWT signing key, and
 * billing (usage, invoices, SLA, maintenance and force majeure, outages, trials). They take the
 * operator token from the server's configuration (`Authorization: Bearer <token>`), never an
 * account's credentials.
 */
import { z } from 'zod';
import { CsvQuery, InvoiceView, OutageView, SlaView, TrialView } from './billing.ts';
import { QuotaView, UsageView } from './keys.ts';
import { route } from './route.ts';

export const operatorRoutes = {
  createAccount: route({
    method: 'post',
    path: '/operator/accounts',
    tag: 'operator',
    status: 201,
    summary: 'Create an account (the service) with its root user; the secret is shown only here',
    body: z.object({ name: z.string().min(1).max(200), customerId: z.string().min(3).max(200).optional() }),
    response: z.object({ accountId: z.string(), accessKeyId: z.string(), secretAccessKey: z.string() }),
  }),

  listAccounts: route({
    method: 'get',
    path: '/operator/accounts',
    tag: 'operator',
    summary: 'All accounts',
    response: z.object({
      accounts: z.array(
        z.object({
          accountId: z.string(),
          name: z.string(),
          customerId: z.string().nullable(),
          createdAt: z.string(),
          deletedAt: z.string().nullable(),
          buckets: z.number(),
        }),
      ),
    }),
  }),

  getAccountQuota: route({
    method: 'get',
    path: '/operator/accounts/{id}/quota',
    tag: 'operator',
    summary: "An account's quotas and usage",
    response: UsageView,
  }),

  setAccountQuota: route({
    method: 'patch',
    path: '/operator/accounts/{id}/quota',
    tag: 'operator',
    summary: "Change an account's quotas (the others keep their values)",
    body: QuotaView.partial().strict(),
    response: QuotaView,
  }),

  rotateSigningKey: route({
    method: 'post',
    path: '/operator/signing-keys/rotate',
    tag: 'operator',
    summary: 'Start signing access keys with a new key; the old one verifies until its last key expires',
    response: z.object({ kid: z.string(), retired: z.array(z.string()) }),
  }),
};

export const operatorBillingRoutes = {
  accountUsage: route({
    method: 'get',
    path: '/operator/accounts/{id}/usage',
    tag: 'operator',
    summary: 'Requests by operation and status, bytes in/out, stored bytes by class (?from=&to= ISO)',
    query: z.object({ from: z.string().optional(), to: z.string().optional() }),
    response: z.any(),
  }),

  accountInvoice: route({
    method: 'get',
    path: '/operator/accounts/{id}/invoices/{month}',
    tag: 'operator',
    summary: "An account's invoice (?format=csv)",
    query: CsvQuery,
    response: InvoiceView,
  }),

  accountSla: route({
    method: 'get',
    path: '/operator/accounts/{id}/sla/{month}',
    tag: 'operator',
    summary: "An account's SLA report (?format=csv)",
    query: CsvQuery,
    response: SlaView,
  }),

  addExclusion: route({
    method: 'post',
    path: '/operator/exclusions',
    tag: 'operator',
    status: 201,
    summary: 'Record planned maintenance (in advance) or force majeure; neither counts against availability',
    body: z.object({
      kind: z.enum(['maintenance', 'force-majeure']),
      from: z.string().datetime(),
      to: z.string().datetime(),
      reason: z.string().min(1).max(500),
      /** Only these accounts (absent: every account). */
      accounts: z.array(z.string().min(1)).min(1).max(1000).optional(),
    }),
    response: z.any(),
  }),

  listAllOutages: route({
    method: 'get',
    path: '/operator/outages',
    tag: 'operator',
    summary: 'Outage reports of every account',
    response: z.object({ reports: z.array(OutageView) }),
  }),

  decideOutage: route({
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
  }),

  accountTrial: route({
    method: 'get',
    path: '/operator/accounts/{id}/trial',
    tag: 'operator',
    summary: "An account's trial",
    response: TrialView,
  }),

  setAccountTrial: route({
    method: 'post',
    path: '/operator/accounts/{id}/trial',
    tag: 'operator',
    summary: "Grant (from now) or refuse a customer's trial",
    body: z.object({
      action: z.enum(['grant', 'refuse']),
      /** The customer (BIN/IIN or e-mail), recorded on an account that has none yet. */
      customerId: z.string().min(3).max(200).optional(),
    }),
    response: TrialView,
  }),
};
