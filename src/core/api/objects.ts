/**
 * Objects and bucket settings in the JSON API (contract/objects.ts). The same rules apply as through
 * S3 (scopes, validation); the bytes themselves go through S3 or signed links.
 */
import { S3Error } from '../errors.ts';
import { updateBucket } from '../model/buckets.ts';
import { listObjects } from '../model/listing.ts';
import { deleteObject } from '../model/objects.ts';
import { type WebsiteConfig, checkCorsRules, rulesOf } from '../model/bucket-settings.ts';
import { ownBucket } from './buckets.ts';
import { type ApiDeps, principalOf } from './context.ts';
import type { CorsRule, objectRoutes } from './contract/objects.ts';
import type { Handlers } from './router.ts';

export function objectHandlers(deps: Pick<ApiDeps, 'db'>): Handlers<typeof objectRoutes> {
  return {
    listObjects: async ({ c, params, query }) => {
      const prefix = query.prefix ?? '';
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'list', prefix);
      const limit = Number(query.limit ?? 200);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new S3Error('InvalidArgument', 'limit is a whole number from 1 to 1000.');
      const after = query.after ?? '';
      const r = await listObjects(deps.db, {
        bucketId: b.id,
        prefix,
        delimiter: query.delimiter ?? '/',
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

    deleteObject: async ({ c, params, query }) => {
      const key = query.key;
      if (!key) throw new S3Error('InvalidArgument', 'Name the object to delete: ?key=...');
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'delete', key);
      await deleteObject(deps.db, b.id, key);
      return null;
    },

    getCors: async ({ c, params }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'admin');
      // the rules were checked against CorsRule when they were stored (here or by PutBucketCors)
      return { rules: (rulesOf(b.cors) ?? []) as CorsRule[] };
    },

    putCors: async ({ c, params, body }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'admin');
      if (body.rules.length) checkCorsRules(body.rules);
      await updateBucket(deps.db, b.id, { cors: body.rules.length ? JSON.stringify(body.rules) : null });
      return { rules: body.rules };
    },

    getWebsite: async ({ c, params }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'admin');
      if (!b.website) return null;
      const cfg = JSON.parse(b.website) as WebsiteConfig;
      return cfg.indexSuffix ? { indexDocument: cfg.indexSuffix, errorDocument: cfg.errorKey } : null;
    },

    putWebsite: async ({ c, params, body }) => {
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'admin');
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

    deleteWebsite: async ({ c, params }) => {
      await updateBucket(deps.db, (await ownBucket(deps.db, principalOf(c), params.name, 'admin')).id, {
        website: null,
      });
      return null;
    },
  };
}
