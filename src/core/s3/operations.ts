/**
 * The S3 operations this server answers, as one string union: the handler table is typed
 * `Record<Operation, Handler>`, so adding an operation here without a handler does not compile.
 */
import { S3Error } from '../errors.ts';
import type { Target } from './target.ts';

export const BUCKET_OPERATIONS = [
  'CreateBucket',
  'HeadBucket',
  'DeleteBucket',
  'GetBucketLocation',
  'GetBucketVersioning',
  'ListObjects',
  'ListObjectsV2',
  'DeleteObjects',
  'ListMultipartUploads',
] as const;

export const OBJECT_OPERATIONS = [
  'PutObject',
  'CopyObject',
  'GetObject',
  'HeadObject',
  'DeleteObject',
  'CreateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'ListParts',
] as const;

export type BucketOperation = (typeof BUCKET_OPERATIONS)[number];
export type ObjectOperation = (typeof OBJECT_OPERATIONS)[number];
export type Operation = 'ListBuckets' | BucketOperation | ObjectOperation;

/** Sub-resources S3 knows that this server does not offer yet: refused clearly, never ignored. */
const UNSUPPORTED_SUBRESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'logging', 'metadataTable', 'metrics', 'notification', 'object-lock',
  'ownershipControls', 'policy', 'policyStatus', 'publicAccessBlock', 'replication',
  'requestPayment', 'restore', 'retention', 'select', 'session', 'tagging', 'torrent',
  'versionId', 'versions', 'website',
]);

function unsupported(name: string): S3Error {
  return new S3Error('NotImplemented', `The '${name}' sub-resource is not supported by this server yet.`);
}

export function detectOperation(method: string, target: Target, headers: Headers): Operation {
  const has = (name: string) => target.query.some((p) => p.name === name);
  const firstUnsupported = target.query.find((p) => UNSUPPORTED_SUBRESOURCES.has(p.name))?.name;
  const notAllowed = () => new S3Error('MethodNotAllowed', undefined, { fields: { Method: method, ResourceType: target.key !== null ? 'OBJECT' : target.bucket ? 'BUCKET' : 'SERVICE' } });

  if (target.bucket === null) {
    if (method === 'GET') return 'ListBuckets';
    throw notAllowed();
  }
  if (target.key === null) {
    switch (method) {
      case 'GET':
        if (has('location')) return 'GetBucketLocation';
        if (has('versioning')) return 'GetBucketVersioning';
        if (has('uploads')) return 'ListMultipartUploads';
        if (firstUnsupported) throw unsupported(firstUnsupported);
        return target.query.find((p) => p.name === 'list-type')?.value === '2' ? 'ListObjectsV2' : 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        if (firstUnsupported || has('versioning')) throw unsupported(firstUnsupported ?? 'versioning');
        return 'CreateBucket';
      case 'DELETE':
        if (firstUnsupported) throw unsupported(firstUnsupported);
        return 'DeleteBucket';
      case 'POST':
        if (has('delete')) return 'DeleteObjects';
        throw unsupported(firstUnsupported ?? 'POST object (browser form upload)');
    }
    throw notAllowed();
  }
  if (firstUnsupported) throw unsupported(firstUnsupported);
  const upload = has('uploadId');
  const part = has('partNumber');
  switch (method) {
    case 'GET':
      if (upload) return 'ListParts';
      if (part) throw unsupported('partNumber');
      return 'GetObject';
    case 'HEAD':
      if (part) throw unsupported('partNumber');
      return 'HeadObject';
    case 'PUT':
      if (upload !== part) throw new S3Error('InvalidRequest', 'UploadPart needs both partNumber and uploadId.');
      if (upload) return headers.has('x-amz-copy-source') ? 'UploadPartCopy' : 'UploadPart';
      return headers.has('x-amz-copy-source') ? 'CopyObject' : 'PutObject';
    case 'DELETE':
      return upload ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (has('uploads')) return 'CreateMultipartUpload';
      if (upload) return 'CompleteMultipartUpload';
      throw unsupported(target.query[0]?.name ?? 'POST object');
  }
  throw notAllowed();
}
