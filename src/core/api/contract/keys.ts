/** The access key and usage routes of the JSON API (the account's own view). */
import { z } from 'zod';
import { Scope } from '../../auth/scopes.ts';
import { MAX_KEY_LIFETIME_MS } from '../../model/keys.ts';
import { route } from './route.ts';

export const KeyView = z.object({
  keyId: z.string(),
  name: z.string(),
  scopes: z.array(Scope),
  createdAt: z.string(),
  notBefore: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  status: z.enum(['active', 'not-yet-valid', 'expired', 'revoked']),
});

export const IssuedKey = KeyView.extend({
  accessKeyId: z.string(),
  secretAccessKey: z.string(),
  token: z.string(),
});
export type IssuedKey = z.infer<typeof IssuedKey>;

export const QuotaView = z.object({
  maxBytes: z.number().int(),
  maxBuckets: z.number().int(),
  maxObjects: z.number().int(),
  maxObjectSize: z.number().int(),
  requestsPerSecond: z.number().int(),
  bytesPerSecond: z.number().int(),
});

/** An account's quotas and what it uses against them. */
export const UsageView = z.object({
  quota: QuotaView,
  usage: z.object({
    bytes: z.number(),
    uploadBytes: z.number(),
    reservedBytes: z.number(),
    buckets: z.number(),
    objects: z.number(),
  }),
});
export type UsageView = z.infer<typeof UsageView>;

export const keyRoutes = {
  createKey: route({
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
    response: IssuedKey,
  }),

  listKeys: route({
    method: 'get',
    path: '/keys',
    tag: 'keys',
    summary: 'Your access keys (never their secrets)',
    response: z.object({ keys: z.array(KeyView) }),
  }),

  revokeKey: route({
    method: 'delete',
    path: '/keys/{id}',
    tag: 'keys',
    summary: 'Revoke a key: refused everywhere within seconds',
    response: KeyView,
  }),

  getUsage: route({
    method: 'get',
    path: '/usage',
    tag: 'usage',
    summary: 'What your account uses against its quotas',
    response: UsageView,
  }),
};
