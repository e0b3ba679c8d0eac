/**
 * Objects and bucket settings in the JSON API, for the console and scripts that prefer JSON to S3's
 * XML: browsing a bucket by folders, deleting objects, CORS rules and the website settings.
 */
import { z } from 'zod';
import { route } from './route.ts';

export const ObjectView = z.object({
  key: z.string(),
  size: z.number().int(),
  etag: z.string(),
  lastModified: z.string(),
});

export const CorsRule = z.object({
  allowedOrigins: z.array(z.string().min(1)).min(1),
  allowedMethods: z.array(z.enum(['GET', 'PUT', 'POST', 'DELETE', 'HEAD'])).min(1),
  allowedHeaders: z.array(z.string().min(1)).default([]),
  exposeHeaders: z.array(z.string().min(1)).default([]),
  maxAgeSeconds: z.number().int().min(0).optional(),
});
export type CorsRule = z.infer<typeof CorsRule>;

export const Website = z.object({
  indexDocument: z
    .string()
    .min(1)
    .max(1024)
    .refine((s) => !s.includes('/'), 'the index document is a file name, without "/"'),
  errorDocument: z.string().min(1).max(1024).optional(),
});

export const objectRoutes = {
  listObjects: route({
    method: 'get',
    path: '/buckets/{name}/objects',
    tag: 'objects',
    summary:
      'Browse a bucket: objects and folders under ?prefix= (split at ?delimiter=, default "/"), a page at a time from ?after=',
    query: z.object({
      prefix: z.string().optional(),
      delimiter: z.string().optional(),
      after: z.string().optional(),
      /** 1 to 1000; 200 when absent. */
      limit: z.string().optional(),
    }),
    response: z.object({
      objects: z.array(ObjectView),
      folders: z.array(z.string()),
      nextAfter: z.string().nullable(),
    }),
  }),

  deleteObject: route({
    method: 'delete',
    path: '/buckets/{name}/objects',
    tag: 'objects',
    status: 204,
    summary: 'Delete the object ?key= (no error if it is already gone, as in S3)',
    query: z.object({ key: z.string().optional() }),
    response: z.null(),
  }),

  getCors: route({
    method: 'get',
    path: '/buckets/{name}/cors',
    tag: 'buckets',
    summary: "The bucket's CORS rules (empty: browsers on other sites are not let in)",
    response: z.object({ rules: z.array(CorsRule) }),
  }),

  putCors: route({
    method: 'put',
    path: '/buckets/{name}/cors',
    tag: 'buckets',
    summary: 'Replace the CORS rules (an empty list removes them)',
    body: z.object({ rules: z.array(CorsRule).max(100) }),
    response: z.object({ rules: z.array(CorsRule) }),
  }),

  getWebsite: route({
    method: 'get',
    path: '/buckets/{name}/website',
    tag: 'buckets',
    summary: "The bucket's website settings (null: no website)",
    response: Website.nullable(),
  }),

  putWebsite: route({
    method: 'put',
    path: '/buckets/{name}/website',
    tag: 'buckets',
    summary: 'Serve the bucket as a website: index document, optional error document',
    body: Website,
    response: Website,
  }),

  deleteWebsite: route({
    method: 'delete',
    path: '/buckets/{name}/website',
    tag: 'buckets',
    status: 204,
    summary: 'Stop serving the bucket as a website',
    response: z.null(),
  }),
};
