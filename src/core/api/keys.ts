/** The access key and usage routes of the JSON API (contract/keys.ts), the account's own view. */
import { checkKeyManager, createKey, listKeys, revokeKey } from '../model/keys.ts';
import { usageOf } from '../model/quotas.ts';
import { type ApiDeps, principalOf } from './context.ts';
import type { keyRoutes } from './contract/keys.ts';
import type { Handlers } from './router.ts';

export function keyHandlers(deps: ApiDeps): Handlers<typeof keyRoutes> {
  return {
    createKey: async ({ c, body }) => {
      const expiresAt = body.expiresAt
        ? Date.parse(body.expiresAt)
        : Date.now() + (body.expiresInSeconds ?? 30 * 86_400) * 1000;
      return createKey(deps, principalOf(c), {
        name: body.name,
        scopes: body.scopes,
        expiresAt,
        notBefore: body.notBefore ? Date.parse(body.notBefore) : undefined,
      });
    },

    listKeys: async ({ c }) => {
      const p = principalOf(c);
      checkKeyManager(p, p.accountId);
      return { keys: await listKeys(deps.db, p.accountId) };
    },

    revokeKey: async ({ c, params }) => {
      const p = principalOf(c);
      checkKeyManager(p, p.accountId);
      return revokeKey(deps.db, p.accountId, params.id);
    },

    getUsage: async ({ c }) => {
      const accountId = principalOf(c).accountId;
      return { quota: await deps.accountLimits.limits(accountId), usage: await usageOf(deps.db, accountId) };
    },
  };
}
