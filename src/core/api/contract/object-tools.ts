/**
 * What a console needs to manage many objects and see one: deleting by the list or by folder (and so
 * emptying a bucket), one object's metadata, and the bucket's access log (the request log, filtered,
 * a page at a time from a keyset cursor).
 */
import { z } from 'zod';
import { MonthSeriesView } from './billing.ts';
import { route } from './route.ts';

export const ObjectDetails = z.object({
  key: z.string(),
  size: z.number().int(),
  etag: z.string(),
  lastModified: z.string(),
  contentType: z.string().nullable(),
  cacheControl: z.string().nullable(),
  contentDisposition: z.string().nullable(),
  contentEncoding: z.string().nullable(),
  storageClass: z.string(),
  metadata: z.record(z.string(), z.string()),
});
export type ObjectDetails = z.infer<typeof ObjectDetails>;

export const AccessLogEntry = z.object({
  time: z.string(),
  requestId: z.string(),
  operation: z.string(),
  key: z.string().nullable(),
  status: z.number().int(),
  errorCode: z.string().nullable(),
  bytesIn: z.number().int(),
  bytesOut: z.number().int(),
  durationMs: z.number().int(),
  auth: z.string(),
  keyId: z.string().nullable(),
  clientIp: z.string().nullable(),
  userAgent: z.string().nullable(),
});
export type AccessLogEntry = z.infer<typeof AccessLogEntry>;

/** Objects one call deletes at most: a larger folder takes more calls (`truncated`). */
export const DELETE_BATCH = 1000;

const PerClass = z.object({ STANDARD: z.number().int(), COLD: z.number().int() });

export const EndpointView = z.object({
  /** Where S3 clients and this API are reached (as the caller reached us). */
  endpoint: z.string(),
  /** The region SDKs sign for. */
  region: z.string(),
  /** Base domains of bucket websites: a bucket's website is http://<bucket>.<domain>/. */
  websiteDomains: z.array(z.string()),
  /** When the caller's account was created (no invoice exists for a month before it). */
  accountCreatedAt: z.string(),
  /** The price list, in minor units (tiyn) of `currency`. */
  prices: z.object({
    currency: z.string(),
    storagePerGiBMonth: PerClass,
    classAPerMillion: PerClass,
    classBPerMillion: PerClass,
    retrievalPerGiB: PerClass,
    egressPerGiB: z.number().int(),
  }),
});
export type EndpointView = z.infer<typeof EndpointView>;

export const objectToolRoutes = {
  getEndpoint: route({
    method: 'get',
    path: '/endpoint',
    tag: 'buckets',
    summary:
      'Where and how to reach the service: endpoint, region, website domains; since when you use it; prices',
    response: EndpointView,
  }),

  deleteObjects: route({
    method: 'post',
    path: '/buckets/{name}/objects/delete',
    tag: 'objects',
    summary:
      `Delete the objects named in keys, or up to ${DELETE_BATCH} under prefix ` +
      '(all: the whole bucket); truncated: call again',
    body: z
      .object({
        keys: z.array(z.string().min(1).max(1024)).max(DELETE_BATCH).optional(),
        prefix: z.string().min(1).max(1024).optional(),
        all: z.literal(true).optional(),
      })
      .strict()
      .refine(
        (b) => [b.keys, b.prefix, b.all].filter((v) => v !== undefined).length === 1,
        'Name what to delete: keys, a prefix, or all: true (one of them).',
      ),
    response: z.object({ deleted: z.number().int(), truncated: z.boolean() }),
  }),

  getObjectDetails: route({
    method: 'get',
    path: '/buckets/{name}/object',
    tag: 'objects',
    summary: 'The object ?key=: size, ETag, Content-Type, Cache-Control, storage class, user metadata',
    query: z.object({ key: z.string().optional() }),
    response: ObjectDetails,
  }),

  getBucketDailyUsage: route({
    method: 'get',
    path: '/buckets/{name}/usage/daily/{month}',
    tag: 'usage',
    summary: "The bucket's month day by day: stored bytes, bytes in and out, requests",
    response: MonthSeriesView,
  }),

  getAccessLog: route({
    method: 'get',
    path: '/buckets/{name}/access-log',
    tag: 'objects',
    summary:
      "The bucket's requests, newest first: ?from= ?to= (ISO times), ?status= (404 or 4xx), ?operation=, " +
      "?prefix= (of the key), ?before= (the previous page's cursor), ?limit= (1-500), ?format=csv",
    query: z.object({
      from: z.string().optional(),
      to: z.string().optional(),
      status: z.string().optional(),
      operation: z.string().optional(),
      prefix: z.string().optional(),
      before: z.string().optional(),
      limit: z.string().optional(),
      format: z.enum(['json', 'csv']).optional(),
    }),
    response: z.object({ entries: z.array(AccessLogEntry), nextBefore: z.string().nullable() }),
  }),
};
