/** Bucket routes of the JSON API: settings S3 has no call for, and signed links and upload forms. */
import { z } from 'zod';
import { presignUrl } from '../auth/presign.ts';
import type { Db } from '../db/index.ts';
import { S3Error } from '../errors.ts';
import { isFieldText, isFieldValue } from '../http-fields.ts';
import {
  type Bucket,
  STORAGE_CLASSES,
  createBucket,
  deleteBucket,
  findBucket,
  listBuckets,
  updateBucket,
} from '../model/buckets.ts';
import { type AccountPrincipal, MAX_PRESIGN_SECONDS } from '../auth/authenticate.ts';
import { type Action, mentionsBucket } from '../auth/scopes.ts';
import { requireScope } from '../auth/grants.ts';
import { createPresignedPost } from '../auth/post-policy.ts';
import { type ApiDeps, endpointOf, principalOf } from './app.ts';
import type { ApiRouter } from './router.ts';

export const BucketView = z.object({
  name: z.string(),
  storageClass: z.enum(STORAGE_CLASSES),
  accessType: z.enum(['private', 'public-read']),
  publicList: z.boolean(),
  defaultCacheControl: z.string().nullable(),
  objectCount: z.number().int(),
  byteCount: z.number().int(),
  website: z.boolean(),
  cors: z.boolean(),
  createdAt: z.string(),
});

export function bucketView(b: Bucket): z.infer<typeof BucketView> {
  return {
    name: b.name,
    storageClass: b.storageClass,
    accessType: b.accessType,
    publicList: b.publicList,
    defaultCacheControl: b.defaultCacheControl,
    objectCount: b.objectCount,
    byteCount: b.byteCount,
    website: b.website !== null,
    cors: b.cors !== null,
    createdAt: new Date(b.createdAt).toISOString(),
  };
}

/**
 * The caller's bucket by name: NoSuchBucket, or AccessDenied when it is someone else's or the caller's
 * key lacks `action` there (null: any scope on the bucket).
 */
export async function ownBucket(
  db: Db,
  p: AccountPrincipal,
  name: string,
  action: Action | null,
  key?: string,
): Promise<Bucket> {
  const b = await findBucket(db, name);
  if (!b) throw new S3Error('NoSuchBucket', undefined, { fields: { BucketName: name } });
  if (b.accountId !== p.accountId) throw new S3Error('AccessDenied');
  if (action !== null) requireScope(p, action, name, key);
  else if (!mentionsBucket(p.scopes, name))
    throw new S3Error('AccessDenied', `Access Denied: this access key may not use bucket ${name}.`);
  return b;
}

const expiresIn = z.number().int().min(1).max(MAX_PRESIGN_SECONDS);

export function bucketRoutes(router: ApiRouter, deps: ApiDeps): void {
  const secretOf = async (accessKeyId: string) => {
    const cred = await deps.lookupCredential(accessKeyId);
    if (!cred) throw new S3Error('InvalidAccessKeyId');
    return { accessKeyId, secret: cred.secret };
  };

  router.add(
    {
      method: 'get',
      path: '/buckets',
      tag: 'buckets',
      summary: 'List your buckets with their settings and usage',
      response: z.object({ buckets: z.array(BucketView) }),
    },
    async ({ c }) => {
      const p = principalOf(c);
      return {
        buckets: (await listBuckets(deps.db, p.accountId, { limit: 10_000 }))
          .filter((b) => mentionsBucket(p.scopes, b.name))
          .map(bucketView),
      };
    },
  );

  router.add(
    {
      method: 'post',
      path: '/buckets',
      tag: 'buckets',
      status: 201,
      summary: 'Create a bucket; its storage class can never change',
      body: z.object({
        name: z.string(),
        storageClass: z.enum(STORAGE_CLASSES).default('STANDARD'),
        accessType: z.enum(['private', 'public-read']).default('private'),
      }),
      response: BucketView,
    },
    async ({ c, body }) => {
      const p = principalOf(c);
      requireScope(p, 'admin', body.name);
      const { maxBuckets } = await deps.accountLimits.limits(p.accountId);
      return bucketView(await createBucket(deps.db, { accountId: p.accountId, ...body, maxBuckets }));
    },
  );

  router.add(
    { method: 'get', path: '/buckets/{name}', tag: 'buckets', summary: 'One bucket', response: BucketView },
    async ({ c, params }) => bucketView(await ownBucket(deps.db, principalOf(c), params.name!, null)),
  );

  router.add(
    {
      method: 'patch',
      path: '/buckets/{name}',
      tag: 'buckets',
      summary:
        'Change access type, public listing or default Cache-Control (takes effect on the next request)',
      body: z
        .object({
          accessType: z.enum(['private', 'public-read']).optional(),
          publicList: z.boolean().optional(),
          defaultCacheControl: z
            .string()
            .max(512)
            .refine(isFieldValue, 'Cache-Control cannot hold control characters or text beyond Latin-1')
            .nullable()
            .optional(),
          storageClass: z.string().optional(),
        })
        .strict(),
      response: BucketView,
    },
    async ({ c, params, body }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name!, 'admin');
      const { storageClass, ...settings } = body;
      if (storageClass !== undefined && storageClass !== b.storageClass) {
        throw new S3Error(
          'InvalidStorageClass',
          `A bucket's storage class (${b.storageClass}) is chosen at creation and cannot be changed; create a new bucket with ${storageClass} and copy the objects.`,
        );
      }
      await updateBucket(deps.db, b.id, settings);
      return bucketView({ ...b, ...settings });
    },
  );

  router.add(
    {
      method: 'delete',
      path: '/buckets/{name}',
      tag: 'buckets',
      status: 204,
      summary: 'Delete an empty bucket',
      response: z.null(),
    },
    async ({ c, params }) => {
      const bucket = await ownBucket(deps.db, principalOf(c), params.name!, 'admin');
      (await deleteBucket(deps.db, bucket)).forEach(deps.domainChanged);
      return null;
    },
  );

  router.add(
    {
      method: 'post',
      path: '/buckets/{name}/presigned-post',
      tag: 'links',
      summary: 'Fields of a browser upload form (S3 POST policy) for a key or key prefix, with a size limit',
      body: z.object({
        key: z.string().min(1).max(1024).optional(),
        keyPrefix: z.string().max(1000).optional(),
        maxSize: z.number().int().min(0).optional(),
        minSize: z.number().int().min(0).optional(),
        expiresInSeconds: expiresIn.default(3600),
        contentTypePrefix: z.string().optional(),
        successActionStatus: z.enum(['200', '201', '204']).optional(),
        successActionRedirect: z.string().url().optional(),
        fields: z.record(z.string(), z.string()).optional(),
      }),
      response: z.object({ url: z.string(), fields: z.record(z.string(), z.string()) }),
    },
    async ({ c, params, body }) => {
      const p = principalOf(c);
      const b = await ownBucket(deps.db, p, params.name!, 'write', body.key ?? body.keyPrefix ?? '');
      return createPresignedPost(deps.digests, await secretOf(p.accessKeyId), deps.region, endpointOf(c), {
        bucket: b.name,
        ...body,
      });
    },
  );

  router.add(
    {
      method: 'post',
      path: '/buckets/{name}/presigned-url',
      tag: 'links',
      summary: 'A presigned URL for one object and method',
      body: z.object({
        key: z.string().min(1).max(1024),
        method: z.enum(['GET', 'HEAD', 'PUT', 'DELETE']).default('GET'),
        expiresInSeconds: expiresIn.default(3600),
        // (the link would answer every GET with InvalidArgument: refused now instead)
        responseContentDisposition: z
          .string()
          .refine(isFieldText, 'Content-Disposition cannot hold control characters')
          .optional(),
      }),
      response: z.object({ url: z.string(), expiresAt: z.string() }),
    },
    async ({ c, params, body }) => {
      const p = principalOf(c);
      const b = await ownBucket(
        deps.db,
        p,
        params.name!,
        body.method === 'PUT' ? 'write' : body.method === 'DELETE' ? 'delete' : 'read',
        body.key,
      );
      const query = body.responseContentDisposition
        ? { 'response-content-disposition': body.responseContentDisposition }
        : undefined;
      const url = presignUrl(deps.digests, await secretOf(p.accessKeyId), deps.region, endpointOf(c), {
        method: body.method,
        bucket: b.name,
        key: body.key,
        expiresInSeconds: body.expiresInSeconds,
        query,
      });
      return { url, expiresAt: new Date(Date.now() + body.expiresInSeconds * 1000).toISOString() };
    },
  );
}
