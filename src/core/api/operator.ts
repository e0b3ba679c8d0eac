/**
 * The operator's routes (/admin/operator/...): accounts, their quotas, the JWT signing key. They take
 * the operator token from the server's configuration (`Authorization: Bearer <token>`), never an
 * account's credentials.
 */
import { z } from 'zod';
import { createAccount, listAccounts } from '../model/accounts.ts';
import { setQuota, usageOf } from '../model/quotas.ts';
import type { ApiDeps } from './app.ts';
import { QuotaView } from './keys.ts';
import type { ApiRouter } from './router.ts';

export function operatorRoutes(router: ApiRouter, deps: ApiDeps): void {
  router.add(
    {
      method: 'post',
      path: '/operator/accounts',
      tag: 'operator',
      status: 201,
      summary: 'Create an account (the service) with its root user; the secret is shown only here',
      body: z.object({ name: z.string().min(1).max(200), customerId: z.string().min(3).max(200).optional() }),
      response: z.object({ accountId: z.string(), accessKeyId: z.string(), secretAccessKey: z.string() }),
    },
    async ({ body }) => {
      const a = await createAccount(deps, {
        name: body.name,
        customerId: body.customerId,
        quota: deps.accountLimits.defaults,
        trialDays: deps.billing.trialDays,
      });
      return { accountId: a.accountId, accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey };
    },
  );

  router.add(
    {
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
    },
    async () => ({ accounts: await listAccounts(deps.db) }),
  );

  router.add(
    {
      method: 'get',
      path: '/operator/accounts/{id}/quota',
      tag: 'operator',
      summary: "An account's quotas and usage",
      response: z.object({
        quota: QuotaView,
        usage: z.object({
          bytes: z.number(),
          uploadBytes: z.number(),
          reservedBytes: z.number(),
          buckets: z.number(),
          objects: z.number(),
        }),
      }),
    },
    async ({ params }) => ({
      quota: await deps.accountLimits.limits(params.id!),
      usage: await usageOf(deps.db, params.id!),
    }),
  );

  router.add(
    {
      method: 'patch',
      path: '/operator/accounts/{id}/quota',
      tag: 'operator',
      summary: "Change an account's quotas (the others keep their values)",
      body: QuotaView.partial().strict(),
      response: QuotaView,
    },
    async ({ params, body }) => {
      const limits = { ...(await deps.accountLimits.limits(params.id!)), ...body };
      await setQuota(deps.db, params.id!, limits);
      deps.accountLimits.forget(params.id!);
      return limits;
    },
  );

  router.add(
    {
      method: 'post',
      path: '/operator/signing-keys/rotate',
      tag: 'operator',
      summary: 'Start signing access keys with a new key; the old one verifies until its last key expires',
      response: z.object({ kid: z.string(), retired: z.array(z.string()) }),
    },
    async () => deps.tokens.rotate(),
  );
}
