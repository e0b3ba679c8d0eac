/**
 * The operator's side of the terms (/admin/operator/...): support requests (recording one that came by
 * phone or chat, answering, the list of promises broken or about to be), quota requests, data-loss
 * claims, the trial policy, per-account exclusions and suspensions.
 */
import { z } from 'zod';
import { S3Error } from '../errors.ts';
import { addExclusions, exclusionsOf } from '../model/terms-exclusions.ts';
import { decideClaim, listIncidents } from '../model/terms-incidents.ts';
import { decideQuota, listQuotaRequests } from '../model/terms-quota.ts';
import { setTrialPolicy, trialPolicy } from '../model/terms-settings.ts';
import { answerRequest, dueRequests, listRequests, openRequest } from '../model/terms-support.ts';
import { listSuspensions, liftSuspension, suspendAccount } from '../model/terms-suspension.ts';
import type { ApiDeps } from './app.ts';
import { QuotaView } from './keys.ts';
import type { ApiRouter } from './router.ts';
import { SupportKind } from './terms-customer.ts';

const param = (url: string, name: string) => new URL(url).searchParams.get(name) ?? undefined;

export function termsOperatorRoutes(router: ApiRouter, deps: ApiDeps): void {
  router.add(
    {
      method: 'get',
      path: '/operator/support',
      tag: 'operator',
      summary: 'Support requests (?account=ID)',
      response: z.any(),
    },
    async ({ c }) => ({ requests: await listRequests(deps.db, param(c.req.url, 'account')) }),
  );
  router.add(
    {
      method: 'get',
      path: '/operator/support/due',
      tag: 'operator',
      summary:
        'Open requests whose promised response or resolution is late or due within ?within=MINUTES (60)',
      response: z.any(),
    },
    async ({ c }) => {
      const within = Number(param(c.req.url, 'within') ?? 60);
      if (!Number.isFinite(within) || within < 0)
        throw new S3Error('InvalidArgument', 'within is a number of minutes.');
      return { due: await dueRequests(deps.db, within * 60_000) };
    },
  );
  router.add(
    {
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
      response: z.any(),
    },
    async ({ body }) => openRequest(deps.db, { ...body, receivedAt: Date.parse(body.receivedAt) }),
  );
  router.add(
    {
      method: 'post',
      path: '/operator/support/{id}',
      tag: 'operator',
      summary: 'Answer a request (the first answer is its response time) and/or resolve it',
      body: z.object({
        response: z.string().min(1).max(10_000).optional(),
        resolution: z.string().min(1).max(10_000).optional(),
      }),
      response: z.any(),
    },
    async ({ params, body }) => answerRequest(deps.db, params.id!, body),
  );

  router.add(
    {
      method: 'get',
      path: '/operator/quota-requests',
      tag: 'operator',
      summary: 'Quota requests (?account=ID)',
      response: z.any(),
    },
    async ({ c }) => ({ requests: await listQuotaRequests(deps.db, param(c.req.url, 'account')) }),
  );
  router.add(
    {
      method: 'post',
      path: '/operator/quota-requests/{id}',
      tag: 'operator',
      summary: 'Approve a quota request with the limits granted, or refuse it',
      body: z.object({
        status: z.enum(['approved', 'refused']),
        granted: QuotaView.partial().optional(),
        note: z.string().max(2000).optional(),
      }),
      response: z.any(),
    },
    async ({ body, params }) => {
      const decided = await decideQuota(
        deps.db,
        params.id!,
        body.status === 'approved'
          ? { status: 'approved', granted: body.granted ?? {}, note: body.note }
          : { status: 'refused', note: body.note },
        (id) => deps.accountLimits.limits(id),
      );
      deps.accountLimits.forget(decided.accountId);
      return decided;
    },
  );

  router.add(
    {
      method: 'get',
      path: '/operator/incidents',
      tag: 'operator',
      summary: 'Data-loss incidents and claims (?account=ID)',
      response: z.any(),
    },
    async ({ c }) => ({ incidents: await listIncidents(deps.db, param(c.req.url, 'account')) }),
  );
  router.add(
    {
      method: 'post',
      path: '/operator/incidents/{id}',
      tag: 'operator',
      summary: 'Approve (credited on the next invoice) or refuse a compensation claim',
      body: z.object({ status: z.enum(['approved', 'refused']), note: z.string().max(2000).optional() }),
      response: z.any(),
    },
    async ({ params, body }) => decideClaim(deps.db, params.id!, body.status, body.note),
  );

  router.add(
    {
      method: 'get',
      path: '/operator/trial-policy',
      tag: 'operator',
      summary: 'The trial policy and volume',
      response: z.any(),
    },
    async () => trialPolicy(deps.db),
  );
  router.add(
    {
      method: 'put',
      path: '/operator/trial-policy',
      tag: 'operator',
      summary:
        'Set the trial policy (auto: requests granted at once; manual) ' +
        'and volume (tiyn free; null: no limit)',
      body: z.object({
        policy: z.enum(['auto', 'manual']).optional(),
        freeUpTo: z.number().int().min(0).nullable().optional(),
      }),
      response: z.any(),
    },
    async ({ body }) => setTrialPolicy(deps.db, body),
  );

  router.add(
    {
      method: 'post',
      path: '/operator/account-exclusions',
      tag: 'operator',
      status: 201,
      summary:
        'Maintenance or force majeure for named accounts (none: all), ' +
        'or downtime one customer caused; none counts',
      body: z.object({
        kind: z.enum(['maintenance', 'force-majeure', 'customer-caused']),
        from: z.string().datetime(),
        to: z.string().datetime(),
        reason: z.string().min(1).max(500),
        accounts: z.array(z.string().min(1)).max(1000).optional(),
      }),
      response: z.any(),
    },
    async ({ body }) => ({
      exclusions: await addExclusions(deps.db, {
        kind: body.kind,
        startsAt: Date.parse(body.from),
        endsAt: Date.parse(body.to),
        reason: body.reason,
        accounts: body.accounts,
      }),
    }),
  );
  router.add(
    {
      method: 'get',
      path: '/operator/accounts/{id}/exclusions',
      tag: 'operator',
      summary: "What does not count against the account's availability in the last 90 days and ahead",
      response: z.any(),
    },
    async ({ params }) => ({
      exclusions: await exclusionsOf(
        deps.db,
        params.id!,
        Date.now() - 90 * 86_400_000,
        Number.MAX_SAFE_INTEGER,
      ),
    }),
  );

  router.add(
    {
      method: 'get',
      path: '/operator/suspensions',
      tag: 'operator',
      summary: 'Suspensions (?account=ID)',
      response: z.any(),
    },
    async ({ c }) => ({ suspensions: await listSuspensions(deps.db, param(c.req.url, 'account')) }),
  );
  router.add(
    {
      method: 'post',
      path: '/operator/accounts/{id}/suspension',
      tag: 'operator',
      status: 201,
      summary:
        'Suspend the account for breaking the terms: writes refused, reads kept unless keepReads is false',
      body: z.object({ reason: z.string().min(1).max(2000), keepReads: z.boolean().default(true) }),
      response: z.any(),
    },
    async ({ params, body }) => suspendAccount(deps.db, params.id!, body.reason, body.keepReads),
  );
  router.add(
    {
      method: 'delete',
      path: '/operator/accounts/{id}/suspension',
      tag: 'operator',
      summary: 'Lift the suspension',
      response: z.any(),
    },
    async ({ params }) => liftSuspension(deps.db, params.id!),
  );
}
