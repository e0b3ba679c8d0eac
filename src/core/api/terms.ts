/**
 * The account's side of the terms (contract/terms.ts): support requests (an outage report is one
 * kind), quota requests, data-loss incidents and compensation claims, the trial request, the
 * suspension if any. Like billing, these are the root user's (or an admin key's) business; whether
 * the account is suspended anyone of it may see.
 */
import { requestTrial, trialView } from '../billing/trials.ts';
import { checkKeyManager } from '../model/keys.ts';
import { claimIncident, listIncidents } from '../model/terms-incidents.ts';
import { askQuota, listQuotaRequests } from '../model/terms-quota.ts';
import { listRequests, openRequest } from '../model/terms-support.ts';
import { activeSuspension, suspensionView } from '../model/terms-suspension.ts';
import type { BillingDeps } from './billing.ts';
import { type ApiContext, principalOf } from './context.ts';
import type { termsRoutes } from './contract/terms.ts';
import type { Handlers } from './router.ts';

export function termsHandlers(deps: BillingDeps): Handlers<typeof termsRoutes> {
  const owner = (c: ApiContext) => {
    const p = principalOf(c);
    checkKeyManager(p, p.accountId);
    return p.accountId;
  };

  return {
    listSupportRequests: async ({ c }) => ({ requests: await listRequests(deps.db, owner(c)) }),

    openSupportRequest: async ({ c, body }) => openRequest(deps.db, { accountId: owner(c), ...body }),

    listQuotaRequests: async ({ c }) => ({ requests: await listQuotaRequests(deps.db, owner(c)) }),

    askQuota: async ({ c, body }) => askQuota(deps.db, owner(c), body.requested, body.reason),

    listIncidents: async ({ c }) => ({ incidents: await listIncidents(deps.db, owner(c)) }),

    claimIncident: async ({ c, params, body }) => claimIncident(deps.db, owner(c), params.id, body.text),

    requestTrial: async ({ c }) => {
      const id = owner(c);
      await requestTrial(deps.db, id, deps.billing.trialDays);
      return trialView(deps.db, id);
    },

    getSuspension: async ({ c }) => {
      const s = await activeSuspension(deps.db, principalOf(c).accountId);
      return { suspension: s ? suspensionView(s) : null };
    },
  };
}
