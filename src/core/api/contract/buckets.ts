/** The bucket routes of the JSON API: settings S3 has no call for, and signed links and upload forms. */
import { z } from 'zod';
import { MAX_PRESIGN_SECONDS } from '../../auth/authenticate.ts';
import { isFieldText, isFieldValue } from '../../http-fields.ts';
import { STORAGE_CLASSES } from '../../model/buckets.ts';
import { route } from './route.ts';

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
export type BucketView = z.infer<typeof BucketView>;

const expiresIn = z.number().int().min(1).max(MAX_PRESIGN_SECONDS);

export const bucketRoutes = {
  listBuckets: route({
    method: 'get',
    path: '/buckets',
    tag: 'buckets',
    summary: 'List your buckets with their settings and usage',
    response: z.object({ buckets: z.array(BucketView) }),
  }),

  createBucket: route({
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
  }),

  getBucket: route({
    method: 'get',
    path: '/buckets/{name}',
    tag: 'buckets',
    summary: 'One bucket',
    response: BucketView,
  }),

  updateBucket: route({
    method: 'patch',
    path: '/buckets/{name}',
    tag: 'buckets',
    summary: 'Change access type, public listing or default Cache-Control (takes effect on the next request)',
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
  }),

  deleteBucket: route({
    method: 'delete',
    path: '/buckets/{name}',
    tag: 'buckets',
    status: 204,
    summary: 'Delete an empty bucket',
    response: z.null(),
  }),

  presignedPost: route({
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
  }),

  presignedUrl: route({
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
  }),
};
