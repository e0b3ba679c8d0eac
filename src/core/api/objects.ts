/**
 * Objects and bucket settings in the JSON API, for the console and scripts that prefer JSON to S3's
 * XML: browsing a bucket by folders, deleting objects, CORS rules and the website settings. The same
 * rules apply as through S3 (scopes, validation); the bytes themselves go through S3 or signed links.
 */
import { z } from 'zod';
import { S3Error } from '../errors.ts';
import { updateBucket } from '../model/buckets.ts';
import { listObjects } from '../model/listing.ts';
import { deleteObject } from '../model/objects.ts';
import { type WebsiteConfig, checkCorsRules, rulesOf } from '../model/bucket-settings.ts';
import { type ApiDeps, principalOf } from './app.ts';
import { ownBucket } from './buckets.ts';
import type { ApiRouter } from './router.ts';

const ObjectView = z.object({
  key: z.string(),
  size: z.number().int(),
  etag: z.string(),
  lastModified: z.string(),
});

const CorsRule = z.object({
  allowedOrigins: z.array(z.string().min(1)).min(1),
  allowedMethods: z.array(z.enum(['GET', 'PUT', 'POST', 'DELETE', 'HEAD'])).min(1),
  allowedHeaders: z.array(z.string().min(1)).default([]),
  exposeHeaders: z.array(z.string().min(1)).default([]),
  maxAgeSeconds: z.number().int().min(0).optional(),
});

const Website = z.object({
  indexDocument: z
    .string()
    .min(1)
    .max(1024)
    .refine((s) => !s.includes('/'), 'the index document is a file name, without "/"'),
  errorDocument: z.string().min(1).max(1024).optional(),
});

export function objectRoutes(router: ApiRouter, deps: Pick<ApiDeps, 'db'>): void {
  router.add(
    {
      method: 'get',
      path: '/buckets/{name}/objects',
      tag: 'objects',
      summary:
        'Browse a bucket: objects and folders under ?prefix= (split at ?delimiter=, default "/"), a page at a time from ?after=',
      response: z.object({
        objects: z.array(ObjectView),
        folders: z.array(z.string()),
        nextAfter: z.string().nullable(),
      }),
    },
    async ({ c, params }) => {
      const q = new URL(c.req.url).searchParams;
      const prefix = q.get('prefix') ?? '';
      const b = await ownBucket(deps.db, principalOf(c), params.name!, 'list', prefix);
      const limit = Number(q.get('limit') ?? 200);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new S3Error('InvalidArgument', 'limit is a whole number from 1 to 1000.');
      const after = q.get('after') ?? '';
      const r = await listObjects(deps.db, {
        bucketId: b.id,
        prefix,
        delimiter: q.get('delimiter') ?? '/',
        after,
        afterIsResumePoint: after !== '',
        maxKeys: limit,
      });
      return {
        objects: r.contents.map((o) => ({
          key: o.key,
          size: o.size,
          etag: o.etag,
          lastModified: new Date(o.lastModified).toISOString(),
        })),
        folders: r.commonPrefixes,
        nextAfter: r.isTruncated ? r.last : null,
      };
    },
  );

  router.add(
    {
      method: 'delete',
      path: '/buckets/{name}/objects',
      tag: 'objects',
      status: 204,
      summary: 'Delete the object ?key= (no error if it is already gone, as in S3)',
      response: z.null(),
    },
    async ({ c, params }) => {
      const key = new URL(c.req.url).searchParams.get('key');
      if (!key) throw new S3Error('InvalidArgument', 'Name the object to delete: ?key=...');
      const b = await ownBucket(deps.db, principalOf(c), params.name!, 'delete', key);
      await deleteObject(deps.db, b.id, key);
      return null;
    },
  );

  router.add(
    {
      method: 'get',
      path: '/buckets/{name}/cors',
      tag: 'buckets',
      summary: "The bucket's CORS rules (empty: browsers on other sites are not let in)",
      response: z.object({ rules: z.array(CorsRule) }),
    },
    async ({ c, params }) => ({
      rules: (rulesOf((await ownBucket(deps.db, principalOf(c), params.name!, 'admin')).cors) ??
        []) as z.infer<typeof CorsRule>[],
    }),
  );

  router.add(
    {
      method: 'put',
      path: '/buckets/{name}/cors',
      tag: 'buckets',
      summary: 'Replace the CORS rules (an empty list removes them)',
      body: z.object({ rules: z.array(CorsRule).max(100) }),
      response: z.object({ rules: z.array(CorsRule) }),
    },
    async ({ c, params, body }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name!, 'admin');
      if (body.rules.length) checkCorsRules(body.rules);
      await updateBucket(deps.db, b.id, { cors: body.rules.length ? JSON.stringify(body.rules) : null });
      return { rules: body.rules };
    },
  );

  router.add(
    {
      method: 'get',
      path: '/buckets/{name}/website',
      tag: 'buckets',
      summary: "The bucket's website settings (null: no website)",
      response: Website.nullable(),
    },
    async ({ c, params }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name!, 'admin');
      if (!b.website) return null;
      const cfg = JSON.parse(b.website) as WebsiteConfig;
      return cfg.indexSuffix ? { indexDocument: cfg.indexSuffix, errorDocument: cfg.errorKey } : null;
    },
  );

  router.add(
    {
      method: 'put',
      path: '/buckets/{name}/website',
      tag: 'buckets',
      summary: 'Serve the bucket as a website: index document, optional error document',
      body: Website,
      response: Website,
    },
    async ({ c, params, body }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name!, 'admin');
      // routing rules set through S3 (PutBucketWebsite) are kept
      const old = b.website ? (JSON.parse(b.website) as WebsiteConfig) : null;
      const cfg: WebsiteConfig = {
        indexSuffix: body.indexDocument,
        errorKey: body.errorDocument,
        routingRules: old?.redirectAll ? [] : (old?.routingRules ?? []),
      };
      await updateBucket(deps.db, b.id, { website: JSON.stringify(cfg) });
      return body;
    },
  );

  router.add(
    {
      method: 'delete',
      path: '/buckets/{name}/website',
      tag: 'buckets',
      status: 204,
      summary: 'Stop serving the bucket as a website',
      response: z.null(),
    },
    async ({ c, params }) => {
      await updateBucket(deps.db, (await ownBucket(deps.db, principalOf(c), params.name!, 'admin')).id, {
        website: null,
      });
      return null;
    },
  );
}
