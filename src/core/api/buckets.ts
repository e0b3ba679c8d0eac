/** The bucket routes of the JSON API (contract/buckets.ts): settings, signed links and upload forms. */
import type { AccountPrincipal } from '../auth/authenticate.ts';
import { presignUrl } from '../auth/presign.ts';
import { type Action, mentionsBucket } from '../auth/scopes.ts';
import type { Db } from '../db/index.ts';
import { S3Error } from '../errors.ts';
import {
  type Bucket,
  createBucket,
  deleteBucket,
  findBucket,
  listBuckets,
  updateBucket,
} from '../model/buckets.ts';
import { requireScope } from '../auth/grants.ts';
import { createPresignedPost } from '../auth/post-policy.ts';
import { type ApiDeps, endpointOf, principalOf } from './context.ts';
import type { BucketView, bucketRoutes } from './contract/buckets.ts';
import type { Handlers } from './router.ts';

export function bucketView(b: Bucket): BucketView {
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

export function bucketHandlers(deps: ApiDeps): Handlers<typeof bucketRoutes> {
  const secretOf = async (accessKeyId: string) => {
    const cred = await deps.lookupCredential(accessKeyId);
    if (!cred) throw new S3Error('InvalidAccessKeyId');
    return { accessKeyId, secret: cred.secret };
  };

  return {
    listBuckets: async ({ c }) => {
      const p = principalOf(c);
      return {
        buckets: (await listBuckets(deps.db, p.accountId, { limit: 10_000 }))
          .filter((b) => mentionsBucket(p.scopes, b.name))
          .map(bucketView),
      };
    },

    createBucket: async ({ c, body }) => {
      const p = principalOf(c);
      requireScope(p, 'admin', body.name);
      const { maxBuckets } = await deps.accountLimits.limits(p.accountId);
      return bucketView(await createBucket(deps.db, { accountId: p.accountId, ...body, maxBuckets }));
    },

    getBucket: async ({ c, params }) =>
      bucketView(await ownBucket(deps.db, principalOf(c), params.name, null)),

    updateBucket: async ({ c, params, body }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'admin');
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

    deleteBucket: async ({ c, params }) => {
      const bucket = await ownBucket(deps.db, principalOf(c), params.name, 'admin');
      (await deleteBucket(deps.db, bucket)).forEach(deps.domainChanged);
      return null;
    },

    presignedPost: async ({ c, params, body }) => {
      const p = principalOf(c);
      const b = await ownBucket(deps.db, p, params.name, 'write', body.key ?? body.keyPrefix ?? '');
      return createPresignedPost(deps.digests, await secretOf(p.accessKeyId), deps.region, endpointOf(c), {
        bucket: b.name,
        ...body,
      });
    },

    presignedUrl: async ({ c, params, body }) => {
      const p = principalOf(c);
      const b = await ownBucket(
        deps.db,
        p,
        params.name,
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
  };
}
