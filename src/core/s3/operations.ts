/**
 * Which S3 operation a request is (`detectOperation`, a pure function of method, target and headers),
 * and the features this server refuses clearly rather than ignoring.
 */
import { S3Error } from '../errors.ts';
import type { Target } from './target.ts';

/** Every operation's name; `table.ts` gives each one its entry (a missing one is a compile error). */
export type Operation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'DeleteBucket'
  | 'GetBucketLocation'
  | 'GetBucketVersioning'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'DeleteObjects'
  | 'ListMultipartUploads'
  | 'PostObject'
  | 'GetBucketPolicy'
  | 'PutBucketPolicy'
  | 'DeleteBucketPolicy'
  | 'GetBucketPolicyStatus'
  | 'GetBucketAcl'
  | 'PutBucketAcl'
  | 'GetBucketCors'
  | 'PutBucketCors'
  | 'DeleteBucketCors'
  | 'GetBucketWebsite'
  | 'PutBucketWebsite'
  | 'DeleteBucketWebsite'
  | 'CorsPreflight'
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'GetObjectAttributes'
  | 'DeleteObject'
  | 'GetObjectAcl'
  | 'PutObjectAcl'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts';

/** Sub-resources S3 knows that this server does not offer yet: refused clearly, never ignored. */
const UNSUPPORTED_SUBRESOURCES = new Set([
  'accelerate',
  'analytics',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'lifecycle',
  'logging',
  'metadataTable',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'session',
  'tagging',
  'torrent',
  'versionId',
  'versions',
]);

/** Bucket configuration sub-resources: GET/PUT/DELETE map onto Get/Put/Delete operations. */
const CONFIG: Record<string, Partial<Record<string, Operation>>> = {
  policy: { GET: 'GetBucketPolicy', PUT: 'PutBucketPolicy', DELETE: 'DeleteBucketPolicy' },
  policyStatus: { GET: 'GetBucketPolicyStatus' },
  acl: { GET: 'GetBucketAcl', PUT: 'PutBucketAcl' },
  cors: { GET: 'GetBucketCors', PUT: 'PutBucketCors', DELETE: 'DeleteBucketCors' },
  website: { GET: 'GetBucketWebsite', PUT: 'PutBucketWebsite', DELETE: 'DeleteBucketWebsite' },
  location: { GET: 'GetBucketLocation' },
  versioning: { GET: 'GetBucketVersioning' },
  uploads: { GET: 'ListMultipartUploads' },
  delete: { POST: 'DeleteObjects' },
};

/**
 * Request headers (or POST form fields) asking for features this server does not offer yet. Storing the
 * object without them would silently drop what the client asked for (encryption, tags, retention).
 */
export function unsupportedFeature(name: string, value: string): S3Error | null {
  const n = name.toLowerCase();
  if (n.startsWith('x-amz-server-side-encryption')) {
    return new S3Error(
      'NotImplemented',
      `Server-side encryption (${n}) is not supported by this server yet.`,
      { fields: { Header: n } },
    );
  }
  if (n === 'x-amz-website-redirect-location') {
    return new S3Error(
      'NotImplemented',
      "Per-object website redirects are not supported by this server yet; use the bucket's routing rules.",
      { fields: { Header: n } },
    );
  }
  if (
    n.startsWith('x-amz-object-lock-') ||
    (n === 'x-amz-bucket-object-lock-enabled' && value.trim().toLowerCase() === 'true')
  ) {
    return new S3Error('NotImplemented', `Object lock (${n}) is not supported by this server yet.`, {
      fields: { Header: n },
    });
  }
  if (
    n === 'x-amz-tagging' ||
    n === 'tagging' ||
    (n === 'x-amz-tagging-directive' && value.trim().toUpperCase() === 'REPLACE')
  ) {
    return new S3Error('NotImplemented', `Object tagging (${n}) is not supported by this server yet.`, {
      fields: { Header: n },
    });
  }
  return null;
}

/** The headers S3 defines for reads that ask for what is not offered here (SSE-C: a key to decrypt with). */
const READ_FEATURES = [
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-server-side-encryption-customer-key',
  'x-amz-server-side-encryption-customer-key-md5',
  'x-amz-server-side-encryption',
];

/**
 * Refuses a request whose headers ask for a feature not offered. A GET or HEAD is asked by name for the
 * headers reads take: walking every header made Node's lazily read request headers build a full
 * Headers object on every read (about 6 µs of a 4 KiB GET's CPU, more with a browser's headers).
 */
function refuseUnsupportedHeaders(method: string, headers: Headers): void {
  if (method === 'GET' || method === 'HEAD') {
    for (const name of READ_FEATURES) {
      const value = headers.get(name);
      const refusal = value === null ? null : unsupportedFeature(name, value);
      if (refusal) throw refusal;
    }
    return;
  }
  for (const [name, value] of headers) {
    const refusal = unsupportedFeature(name, value);
    if (refusal) throw refusal;
  }
}

function unsupported(name: string): S3Error {
  return new S3Error('NotImplemented', `The '${name}' sub-resource is not supported by this server yet.`);
}

export function detectOperation(method: string, target: Target, headers: Headers): Operation {
  const has = (name: string) => target.query.some((p) => p.name === name);
  const notAllowed = () =>
    new S3Error('MethodNotAllowed', undefined, {
      fields: {
        Method: method,
        ResourceType: target.key !== null ? 'OBJECT' : target.bucket ? 'BUCKET' : 'SERVICE',
      },
    });
  const firstUnsupported = target.query.find((p) => UNSUPPORTED_SUBRESOURCES.has(p.name))?.name;
  if (firstUnsupported) throw unsupported(firstUnsupported);
  refuseUnsupportedHeaders(method, headers);

  if (target.bucket === null) {
    if (method === 'GET') return 'ListBuckets';
    throw notAllowed();
  }
  if (method === 'OPTIONS') return 'CorsPreflight';
  if (target.key === null) {
    if (method === 'PUT' && has('versioning')) {
      throw new S3Error(
        'NotImplemented',
        'Object versioning is not supported by this server yet; buckets are always unversioned.',
      );
    }
    for (const [sub, ops] of Object.entries(CONFIG)) {
      if (!has(sub)) continue;
      const op = ops[method];
      if (op) return op;
      throw notAllowed();
    }
    switch (method) {
      case 'GET':
        return target.query.find((p) => p.name === 'list-type')?.value === '2'
          ? 'ListObjectsV2'
          : 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        return 'CreateBucket';
      case 'DELETE':
        return 'DeleteBucket';
      case 'POST':
        if (/^multipart\/form-data/i.test(headers.get('content-type') ?? '')) return 'PostObject';
        throw new S3Error(
          'InvalidRequest',
          'A POST to a bucket must be a multipart/form-data browser upload.',
        );
    }
    throw notAllowed();
  }
  const upload = has('uploadId');
  const part = has('partNumber');
  switch (method) {
    case 'GET':
      if (has('acl')) return 'GetObjectAcl';
      if (upload) return 'ListParts';
      if (has('attributes')) return 'GetObjectAttributes';
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      if (has('acl')) return 'PutObjectAcl';
      if (upload !== part)
        throw new S3Error('InvalidRequest', 'UploadPart needs both partNumber and uploadId.');
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
