/**
 * The S3 operations, one entry each: what it works on (the service, a bucket, an object in it), the
 * permission it needs (access.ts), its handler, and its special cases: `anonymous` (public reads and
 * listings), `sandbox` (path-style object responses run in an opaque origin). Needing no bucket is
 * `on: 'service'`; forms and preflights authorize themselves (`needs: 'form' | 'preflight'`), and a
 * preflight's refusal carries no CORS grant. An operation without an entry does not compile.
 */
import type { Permission } from './access.ts';
import type { BucketCall, Handled, ObjectCall, S3Call } from './call.ts';
import { type BucketConfigDeps, bucketConfigHandlers } from './handlers/bucket-config.ts';
import { type BucketDeps, bucketHandlers } from './handlers/buckets.ts';
import { type ListingDeps, listingHandlers } from './handlers/listing.ts';
import { type MultipartListDeps, multipartListHandlers } from './handlers/multipart-list.ts';
import { multipartHandlers } from './handlers/multipart.ts';
import { type PostObjectDeps, postObjectHandlers } from './handlers/post-object.ts';
import { type ReadDeps, readHandlers } from './handlers/read.ts';
import { writeHandlers } from './handlers/write.ts';
import type { Operation } from './operations.ts';

type Calls = { service: S3Call; bucket: BucketCall; object: ObjectCall };

interface EntryOn<On extends keyof Calls> extends Permission {
  on: On;
  handle: (call: Calls[On]) => Promise<Handled>;
  /** A path-style response of this operation is sandboxed (see PATH_STYLE_SANDBOX). */
  sandbox?: boolean;
}

export type OperationEntry = EntryOn<'service'> | EntryOn<'bucket'> | EntryOn<'object'>;
export type OperationTable = Record<Operation, OperationEntry>;

export type TableDeps = BucketConfigDeps &
  BucketDeps &
  ListingDeps &
  MultipartListDeps &
  PostObjectDeps &
  ReadDeps;

type Extra = Omit<Permission, 'needs'> & { sandbox?: boolean };
const service = (needs: Permission['needs'], handle: EntryOn<'service'>['handle']): OperationEntry => ({
  on: 'service',
  needs,
  handle,
});
const bucket = (needs: Permission['needs'], handle: EntryOn<'bucket'>['handle'], extra: Extra = {}) =>
  ({ on: 'bucket', needs, handle, ...extra }) satisfies OperationEntry;
const object = (needs: Permission['needs'], handle: EntryOn<'object'>['handle'], extra: Extra = {}) =>
  ({ on: 'object', needs, handle, ...extra }) satisfies OperationEntry;

export function operationTable(deps: TableDeps): OperationTable {
  const buckets = bucketHandlers(deps);
  const config = bucketConfigHandlers(deps);
  const listing = listingHandlers(deps);
  const read = readHandlers(deps);
  const write = writeHandlers(deps);
  const form = postObjectHandlers(deps);
  const multipart = multipartHandlers(deps);
  const uploads = multipartListHandlers(deps);
  return {
    ListBuckets: service('account', buckets.ListBuckets),
    CreateBucket: service('admin', buckets.CreateBucket),
    HeadBucket: bucket('bucket', buckets.HeadBucket),
    DeleteBucket: bucket('admin', buckets.DeleteBucket),
    GetBucketLocation: bucket('bucket', buckets.GetBucketLocation),
    GetBucketVersioning: bucket('bucket', buckets.GetBucketVersioning),
    ListObjects: bucket('list', listing.ListObjects, { anonymous: 'list' }),
    ListObjectsV2: bucket('list', listing.ListObjectsV2, { anonymous: 'list' }),
    ListMultipartUploads: bucket('list', uploads.ListMultipartUploads),
    DeleteObjects: bucket('delete', write.DeleteObjects),
    PostObject: bucket('form', form.PostObject),
    CorsPreflight: bucket('preflight', config.CorsPreflight),
    GetBucketPolicy: bucket('admin', config.GetBucketPolicy),
    PutBucketPolicy: bucket('admin', config.PutBucketPolicy),
    DeleteBucketPolicy: bucket('admin', config.DeleteBucketPolicy),
    GetBucketPolicyStatus: bucket('admin', config.GetBucketPolicyStatus),
    GetBucketAcl: bucket('admin', config.GetBucketAcl),
    PutBucketAcl: bucket('admin', config.PutBucketAcl),
    GetBucketCors: bucket('admin', config.GetBucketCors),
    PutBucketCors: bucket('admin', config.PutBucketCors),
    DeleteBucketCors: bucket('admin', config.DeleteBucketCors),
    GetBucketWebsite: bucket('admin', config.GetBucketWebsite),
    PutBucketWebsite: bucket('admin', config.PutBucketWebsite),
    DeleteBucketWebsite: bucket('admin', config.DeleteBucketWebsite),
    GetObject: object('read', read.GetObject, { anonymous: 'read', sandbox: true }),
    HeadObject: object('read', read.HeadObject, { anonymous: 'read', sandbox: true }),
    GetObjectAttributes: object('read', read.GetObjectAttributes),
    GetObjectAcl: object('read', config.GetObjectAcl),
    PutObjectAcl: object('admin', config.PutObjectAcl),
    PutObject: object('write', write.PutObject),
    CopyObject: object('write', write.CopyObject),
    DeleteObject: object('delete', write.DeleteObject),
    CreateMultipartUpload: object('write', multipart.CreateMultipartUpload),
    UploadPart: object('write', multipart.UploadPart),
    UploadPartCopy: object('write', multipart.UploadPartCopy),
    CompleteMultipartUpload: object('write', multipart.CompleteMultipartUpload),
    AbortMultipartUpload: object('write', multipart.AbortMultipartUpload),
    ListParts: object('write', uploads.ListParts),
  };
}
