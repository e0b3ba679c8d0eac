/**
 * The terms of service in the JSON API (issue 16), the account's side: support requests (an outage
 * report is one kind) with their promised times, quota requests, data-loss incidents and compensation
 * claims, the trial request, the suspension if any. The operator's side is `termsOperatorRoutes`.
 */
import { z } from 'zod';
import { TrialView } from './billing.ts';
import { QuotaView } from './keys.ts';
import { route } from './route.ts';

export const SupportKind = z.enum(['question', 'outage', 'billing', 'other']);

/** The limits a customer may ask to raise (any subset, positive integers). */
export const QuotaAsk = QuotaView.partial().refine(
  (q) => Object.values(q).every((v) => v === undefined || v > 0),
  { message: 'limits are positive' },
);

export const SupportRequestView = z.object({
  id: z.string(),
  accountId: z.string(),
  kind: SupportKind,
  channel: z.enum(['console', 'api', 'email', 'chat', 'phone']),
  subject: z.string(),
  body: z.string(),
  receivedAt: z.string(),
  status: z.enum(['open', 'answered', 'resolved']),
  firstResponseAt: z.string().nullable(),
  firstResponse: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  resolution: z.string().nullable(),
  outageId: z.string().nullable(),
  responseDueAt: z.string(),
  resolutionDueAt: z.string(),
  /** Minutes from arrival to the first response / the resolution (null: not yet). */
  responseMinutes: z.number().nullable(),
  resolutionMinutes: z.number().nullable(),
  /** Whether each promise was kept; null while it is still open and not yet late. */
  responseOnTime: z.boolean().nullable(),
  resolutionOnTime: z.boolean().nullable(),
});

export const QuotaRequestView = z.object({
  id: z.string(),
  accountId: z.string(),
  requested: QuotaView.partial(),
  reason: z.string(),
  status: z.enum(['pending', 'approved', 'refused']),
  granted: QuotaView.partial().nullable(),
  note: z.string().nullable(),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
});

export const IncidentView = z.object({
  id: z.string(),
  accountId: z.string(),
  bucket: z.string(),
  key: z.string(),
  chunkHash: z.string(),
  damage: z.enum(['corrupt', 'missing']),
  detectedAt: z.string(),
  claim: z.enum(['none', 'claimed', 'approved', 'refused']),
  claimedAt: z.string().nullable(),
  claimText: z.string().nullable(),
  decidedAt: z.string().nullable(),
  note: z.string().nullable(),
  /** The billing period whose charges an approved claim compensates, and the invoice it lands on. */
  period: z.string(),
  creditOn: z.string().nullable(),
});

export const SuspensionView = z.object({
  id: z.string(),
  accountId: z.string(),
  startsAt: z.string(),
  /** When it was lifted; null while in force. */
  endsAt: z.string().nullable(),
  reason: z.string(),
  keepReads: z.boolean(),
});

export const termsRoutes = {
  listSupportRequests: route({
    method: 'get',
    path: '/support',
    tag: 'terms',
    summary: 'Your support requests, with response and resolution times',
    response: z.object({ requests: z.array(SupportRequestView) }),
  }),

  openSupportRequest: route({
    method: 'post',
    path: '/support',
    tag: 'terms',
    status: 201,
    summary: 'Open a support request (kind "outage" also files an outage report)',
    body: z.object({
      kind: SupportKind.default('question'),
      subject: z.string().min(1).max(200),
      body: z.string().min(1).max(10_000),
      channel: z.enum(['api', 'console']).default('api'),
    }),
    response: SupportRequestView,
  }),

  listQuotaRequests: route({
    method: 'get',
    path: '/quota-requests',
    tag: 'terms',
    summary: 'Your quota requests and their outcome',
    response: z.object({ requests: z.array(QuotaRequestView) }),
  }),

  askQuota: route({
    method: 'post',
    path: '/quota-requests',
    tag: 'terms',
    status: 201,
    summary: 'Ask for higher quotas (the operator approves with the values, or refuses)',
    body: z.object({ requested: QuotaAsk, reason: z.string().min(1).max(2000) }),
    response: QuotaRequestView,
  }),

  listIncidents: route({
    method: 'get',
    path: '/incidents',
    tag: 'terms',
    summary: 'Objects of yours hit by lost or damaged data, and your claims',
    response: z.object({ incidents: z.array(IncidentView) }),
  }),

  claimIncident: route({
    method: 'post',
    path: '/incidents/{id}/claim',
    tag: 'terms',
    summary: "Claim compensation (50% of that month's charges) for an incident",
    body: z.object({ text: z.string().max(2000).default('') }),
    response: IncidentView,
  }),

  requestTrial: route({
    method: 'post',
    path: '/trial/request',
    tag: 'terms',
    summary: 'Ask for the free trial (once per customer)',
    response: TrialView,
  }),

  getSuspension: route({
    method: 'get',
    path: '/suspension',
    tag: 'terms',
    summary: 'Whether the account is suspended for breaking the terms, and why',
    response: z.object({ suspension: SuspensionView.nullable() }),
  }),
};

/** `?account=ID`: only that account's. */
const AccountQuery = z.object({ account: z.string().optional() });

export const TrialPolicyView = z.object({
  policy: z.enum(['auto', 'manual']),
  /** The most a trial makes free, in minor units; null: no limit. */
  freeUpTo: z.number().nullable(),
});

export const termsOperatorRoutes = {
  listAllSupportRequests: route({
    method: 'get',
    path: '/operator/support',
    tag: 'operator',
    summary: 'Support requests (?account=ID)',
    query: AccountQuery,
    response: z.object({ requests: z.array(SupportRequestView) }),
  }),

  dueSupportRequests: route({
    method: 'get',
    path: '/operator/support/due',
    tag: 'operator',
    summary: 'Open requests whose promised response or resolution is late or due within ?within=MINUTES (60)',
    query: z.object({ within: z.string().optional() }),
    response: z.object({
      due: z.array(
        z.object({
          request: SupportRequestView,
          due: z.enum(['response', 'resolution']),
          dueAt: z.string(),
          breached: z.boolean(),
        }),
      ),
    }),
  }),

  recordSupportRequest: route({
    method: 'post',
    path: '/operator/support',
    tag: 'operator',
    status: 201,
    summary: 'Record a request that came by phone, chat or e-mail, with the time it arrived',
    body: z.object({
      accountId: z.string().min(1),
      kind: SupportKind.default('question'),
      channel: z.enum(['email', 'chat', 'phone']),
      subject: z.string().min(1).max(200),
      body: z.string().min(1).max(10_000),
      receivedAt: z.string().datetime(),
    }),
    response: SupportRequestView,
  }),

  answerSupportRequest: route({
    method: 'post',
    path: '/operator/support/{id}',
    tag: 'operator',
    summary: 'Answer a request (the first answer is its response time) and/or resolve it',
    body: z.object({
      response: z.string().min(1).max(10_000).optional(),
      resolution: z.string().min(1).max(10_000).optional(),
    }),
    response: SupportRequestView,
  }),

  listAllQuotaRequests: route({
    method: 'get',
    path: '/operator/quota-requests',
    tag: 'operator',
    summary: 'Quota requests (?account=ID)',
    query: AccountQuery,
    response: z.object({ requests: z.array(QuotaRequestView) }),
  }),

  decideQuotaRequest: route({
    method: 'post',
    path: '/operator/quota-requests/{id}',
    tag: 'operator',
    summary: 'Approve a quota request with the limits granted, or refuse it',
    body: z.object({
      status: z.enum(['approved', 'refused']),
      granted: QuotaView.partial().optional(),
      note: z.string().max(2000).optional(),
    }),
    response: QuotaRequestView,
  }),

  listAllIncidents: route({
    method: 'get',
    path: '/operator/incidents',
    tag: 'operator',
    summary: 'Data-loss incidents and claims (?account=ID)',
    query: AccountQuery,
    response: z.object({ incidents: z.array(IncidentView) }),
  }),

  decideClaim: route({
    method: 'post',
    path: '/operator/incidents/{id}',
    tag: 'operator',
    summary: 'Approve (credited on the next invoice) or refuse a compensation claim',
    body: z.object({ status: z.enum(['approved', 'refused']), note: z.string().max(2000).optional() }),
    response: IncidentView,
  }),

  getTrialPolicy: route({
    method: 'get',
    path: '/operator/trial-policy',
    tag: 'operator',
    summary: 'The trial policy and volume',
    response: TrialPolicyView,
  }),

  setTrialPolicy: route({
    method: 'put',
    path: '/operator/trial-policy',
    tag: 'operator',
    summary:
      'Set the trial policy (auto: requests granted at once; manual) and volume (tiyn free; null: no limit)',
    body: z.object({
      policy: z.enum(['auto', 'manual']).optional(),
      freeUpTo: z.number().int().min(0).nullable().optional(),
    }),
    response: TrialPolicyView,
  }),

  addAccountExclusions: route({
    method: 'post',
    path: '/operator/account-exclusions',
    tag: 'operator',
    status: 201,
    summary:
      'Maintenance or force majeure for named accounts (none: all), or downtime one customer caused; none counts',
    body: z.object({
      kind: z.enum(['maintenance', 'force-majeure', 'customer-caused']),
      from: z.string().datetime(),
      to: z.string().datetime(),
      reason: z.string().min(1).max(500),
      accounts: z.array(z.string().min(1)).max(1000).optional(),
    }),
    response: z.any(),
  }),

  accountExclusions: route({
    method: 'get',
    path: '/operator/accounts/{id}/exclusions',
    tag: 'operator',
    summary: "What does not count against the account's availability in the last 90 days and ahead",
    response: z.any(),
  }),

  listSuspensions: route({
    method: 'get',
    path: '/operator/suspensions',
    tag: 'operator',
    summary: 'Suspensions (?account=ID)',
    query: AccountQuery,
    response: z.object({ suspensions: z.array(SuspensionView) }),
  }),

  suspendAccount: route({
    method: 'post',
    path: '/operator/accounts/{id}/suspension',
    tag: 'operator',
    status: 201,
    summary:
      'Suspend the account for breaking the terms: writes refused, reads kept unless keepReads is false',
    body: z.object({ reason: z.string().min(1).max(2000), keepReads: z.boolean().default(true) }),
    response: SuspensionView,
  }),

  liftSuspension: route({
    method: 'delete',
    path: '/operator/accounts/{id}/suspension',
    tag: 'operator',
    summary: 'Lift the suspension',
    response: SuspensionView,
  }),
};
