/**
 * The operator's side of the terms (contract/terms.ts, /admin/operator/...): support requests
 * (recording one that came by phone or chat, answering, the list of promises broken or about to be),
 * quota requests, data-loss claims, the trial policy, per-account exclusions and suspensions.
 */
import { exclusionView } from '../billing/sla.ts';
import { S3Error } from '../errors.ts';
import type { AccountLimits } from '../model/fair-use.ts';
import { addExclusions, exclusionsOf, excludedView } from '../model/terms-exclusions.ts';
import { decideClaim, listIncidents } from '../model/terms-incidents.ts';
import { decideQuota, listQuotaRequests } from '../model/terms-quota.ts';
import { setTrialPolicy, trialPolicy } from '../model/terms-settings.ts';
import { answerRequest, dueRequests, listRequests, openRequest } from '../model/terms-support.ts';
import {
  liftSuspension,
  listSuspensions,
  suspendAccount,
  suspensionView,
} from '../model/terms-suspension.ts';
import type { BillingDeps } from './billing.ts';
import type { termsOperatorRoutes } from './contract/terms.ts';
import type { Handlers } from './router.ts';

export function termsOperatorHandlers(
  deps: BillingDeps & { accountLimits: AccountLimits },
): Handlers<typeof termsOperatorRoutes> {
  return {
    listAllSupportRequests: async ({ query }) => ({ requests: await listRequests(deps.db, query.account) }),

    dueSupportRequests: async ({ query }) => {
      const within = Number(query.within ?? 60);
      if (!Number.isFinite(within) || within < 0)
        throw new S3Error('InvalidArgument', 'within is a number of minutes.');
      return { due: await dueRequests(deps.db, within * 60_000) };
    },

    recordSupportRequest: async ({ body }) =>
      openRequest(deps.db, { ...body, receivedAt: Date.parse(body.receivedAt) }),

    answerSupportRequest: async ({ params, body }) => answerRequest(deps.db, params.id, body),

    listAllQuotaRequests: async ({ query }) => ({
      requests: await listQuotaRequests(deps.db, query.account),
    }),

    decideQuotaRequest: async ({ params, body }) => {
      const decided = await decideQuota(
        deps.db,
        params.id,
        body.status === 'approved'
          ? { status: 'approved', granted: body.granted ?? {}, note: body.note }
          : { status: 'refused', note: body.note },
        (id) => deps.accountLimits.limits(id),
      );
      deps.accountLimits.forget(decided.accountId);
      return decided;
    },

    listAllIncidents: async ({ query }) => ({ incidents: await listIncidents(deps.db, query.account) }),

    decideClaim: async ({ params, body }) => decideClaim(deps.db, params.id, body.status, body.note),

    getTrialPolicy: async () => trialPolicy(deps.db),

    setTrialPolicy: async ({ body }) => setTrialPolicy(deps.db, body),

    addAccountExclusions: async ({ body }) => {
      const rows = await addExclusions(deps.db, {
        kind: body.kind,
        startsAt: Date.parse(body.from),
        endsAt: Date.parse(body.to),
        reason: body.reason,
        accounts: body.accounts,
      });
      return { exclusions: rows.map(exclusionView) };
    },

    accountExclusions: async ({ params }) => {
      const from = Date.now() - 90 * 86_400_000;
      const rows = await exclusionsOf(deps.db, params.id, from, Number.MAX_SAFE_INTEGER);
      return { exclusions: rows.map(excludedView) };
    },

    listSuspensions: async ({ query }) => ({
      suspensions: (await listSuspensions(deps.db, query.account)).map(suspensionView),
    }),

    suspendAccount: async ({ params, body }) =>
      suspensionView(await suspendAccount(deps.db, params.id, body.reason, body.keepReads)),

    liftSuspension: async ({ params }) => suspensionView(await liftSuspension(deps.db, params.id)),
  };
}
