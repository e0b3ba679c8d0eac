/**
 * The operator's account routes (contract/operator.ts): accounts, their quotas, the JWT signing key.
 * app.ts lets only the operator token in under /admin/operator/.
 */
import { createAccount, listAccounts } from '../model/accounts.ts';
import { setQuota, usageOf } from '../model/quotas.ts';
import type { ApiDeps } from './context.ts';
import type { operatorRoutes } from './contract/operator.ts';
import type { Handlers } from './router.ts';

export function operatorHandlers(deps: ApiDeps): Handlers<typeof operatorRoutes> {
  return {
    createAccount: async ({ body }) => {
      const a = await createAccount(deps, {
        name: body.name,
        customerId: body.customerId,
        quota: deps.accountLimits.defaults,
        trialDays: deps.billing.trialDays,
      });
      return { accountId: a.accountId, accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey };
    },

    listAccounts: async () => ({ accounts: await listAccounts(deps.db) }),

    getAccountQuota: async ({ params }) => ({
      quota: await deps.accountLimits.limits(params.id),
      usage: await usageOf(deps.db, params.id),
    }),

    setAccountQuota: async ({ params, body }) => {
      const limits = { ...(await deps.accountLimits.limits(params.id)), ...body };
      await setQuota(deps.db, params.id, limits);
      deps.accountLimits.forget(params.id);
      return limits;
    },

    rotateSigningKey: async () => deps.tokens.rotate(),
  };
}
