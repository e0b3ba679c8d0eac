/** Access keys and usage routes of the JSON API (the account's own view). */
import { z } from 'zod';
import { Scope } from '../auth/scopes.ts';
import { createKey, listKeys, MAX_KEY_LIFETIME_MS, revokeKey, checkKeyManager } from '../model/keys.ts';
import { usageOf } from '../model/quotas.ts';
import { type ApiDeps, principalOf } from './app.ts';
import type { ApiRouter } from './router.ts';

const KeyView = z.object({
  keyId: z.string(),
  name: z.string(),
  scopes: z.array(Scope),
  createdAt: z.string(),
  notBefore: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  status: z.enum(['active', 'not-yet-valid', 'expired', 'revoked']),
});

export const QuotaView = z.object({
  maxBytes: z.number().int(),
  maxBuckets: z.number().int(),
  maxObjects: z.number().int(),
  maxObjectSize: z.number().int(),
  requestsPerSecond: z.number().int(),
  bytesPerSecond: z.number().int(),
});

export function keyRoutes(router: ApiRouter, deps: ApiDeps): void {
  router.add(
    {
      method: 'post',
      path: '/keys',
      tag: 'keys',
      status: 201,
      summary:
        'Issue an access key with scopes and an expiry. The secret and the token are shown only in this answer.',
      body: z.object({
        name: z.string().min(1).max(100),
        scopes: z.array(Scope).min(1),
        expiresInSeconds: z
          .number()
          .int()
          .min(60)
          .max(MAX_KEY_LIFETIME_MS / 1000)
          .optional(),
        expiresAt: z.string().datetime().optional(),
        notBefore: z.string().datetime().optional(),
      }),
      response: KeyView.extend({ accessKeyId: z.string(), secretAccessKey: z.string(), token: z.string() }),
    },
    async ({ c, body }) => {
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
  );

  router.add(
    {
      method: 'get',
      path: '/keys',
      tag: 'keys',
      summary: 'Your access keys (never their secrets)',
      response: z.object({ keys: z.array(KeyView) }),
    },
    async ({ c }) => {
      const p = principalOf(c);
      checkKeyManager(p, p.accountId);
      return { keys: await listKeys(deps.db, p.accountId) };
    },
  );

  router.add(
    {
      method: 'delete',
      path: '/keys/{id}',
      tag: 'keys',
      summary: 'Revoke a key: refused everywhere within seconds',
      response: KeyView,
    },
    async ({ c, params }) => {
      const p = principalOf(c);
      checkKeyManager(p, p.accountId);
      return revokeKey(deps.db, p.accountId, params.id!);
    },
  );

  router.add(
    {
      method: 'get',
      path: '/usage',
      tag: 'usage',
      summary: 'What your account uses against its quotas',
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
    async ({ c }) => {
      const accountId = principalOf(c).accountId;
      return { quota: await deps.accountLimits.limits(accountId), usage: await usageOf(deps.db, accountId) };
    },
  );
}
