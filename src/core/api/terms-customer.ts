/**
 * The account's side of the terms (JSON API): support requests (an outage report is one kind), quota
 * requests, data-loss incidents and compensation claims, the trial request, the suspension if any.
 * Like billing, these are the root user's (or an admin key's) business.
 */
import { z } from 'zod';
import { requestTrial, trialView } from '../billing/trials.ts';
import { checkKeyManager } from '../model/keys.ts';
import { claimIncident, listIncidents } from '../model/terms-incidents.ts';
import { askQuota, listQuotaRequests } from '../model/terms-quota.ts';
import { listRequests, openRequest } from '../model/terms-support.ts';
import { activeSuspension } from '../model/terms-suspension.ts';
import { type ApiDeps, principalOf } from './app.ts';
import { QuotaView } from './keys.ts';
import type { ApiRouter } from './router.ts';

export const SupportKind = z.enum(['question', 'outage', 'billing', 'other']);
/** The limits a customer may ask to raise (any subset, positive integers). */
export const QuotaAsk = QuotaView.partial().refine(
  (q) => Object.values(q).every((v) => v === undefined || v > 0),
  {
    message: 'limits are positive',
  },
);

export function termsCustomerRoutes(router: ApiRouter, deps: ApiDeps): void {
  const owner = (c: Parameters<typeof principalOf>[0]) => {
    const p = principalOf(c);
    checkKeyManager(p, p.accountId);
    return p.accountId;
  };

  router.add(
    {
      method: 'get',
      path: '/support',
      tag: 'terms',
      summary: 'Your support requests, with response and resolution times',
      response: z.any(),
    },
    async ({ c }) => ({ requests: await listRequests(deps.db, owner(c)) }),
  );
  router.add(
    {
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
      response: z.any(),
    },
    async ({ c, body }) => openRequest(deps.db, { accountId: owner(c), ...body }),
  );

  router.add(
    {
      method: 'get',
      path: '/quota-requests',
      tag: 'terms',
      summary: 'Your quota requests and their outcome',
      response: z.any(),
    },
    async ({ c }) => ({ requests: await listQuotaRequests(deps.db, owner(c)) }),
  );
  router.add(
    {
      method: 'post',
      path: '/quota-requests',
      tag: 'terms',
      status: 201,
      summary: 'Ask for higher quotas (the operator approves with the values, or refuses)',
      body: z.object({ requested: QuotaAsk, reason: z.string().min(1).max(2000) }),
      response: z.any(),
    },
    async ({ c, body }) => askQuota(deps.db, owner(c), body.requested, body.reason),
  );

  router.add(
    {
      method: 'get',
      path: '/incidents',
      tag: 'terms',
      summary: 'Objects of yours hit by lost or damaged data, and your claims',
      response: z.any(),
    },
    async ({ c }) => ({ incidents: await listIncidents(deps.db, owner(c)) }),
  );
  router.add(
    {
      method: 'post',
      path: '/incidents/{id}/claim',
      tag: 'terms',
      summary: "Claim compensation (50% of that month's charges) for an incident",
      body: z.object({ text: z.string().max(2000).default('') }),
      response: z.any(),
    },
    async ({ c, params, body }) => claimIncident(deps.db, owner(c), params.id!, body.text),
  );

  router.add(
    {
      method: 'post',
      path: '/trial/request',
      tag: 'terms',
      summary: 'Ask for the free trial (once per customer)',
      response: z.any(),
    },
    async ({ c }) => {
      const id = owner(c);
      await requestTrial(deps.db, id, deps.billing.trialDays);
      return trialView(deps.db, id);
    },
  );

  router.add(
    {
      method: 'get',
      path: '/suspension',
      tag: 'terms',
      summary: 'Whether the account is suspended for breaking the terms, and why',
      response: z.any(),
    },
    async ({ c }) => ({ suspension: await activeSuspension(deps.db, principalOf(c).accountId) }),
  );
}
