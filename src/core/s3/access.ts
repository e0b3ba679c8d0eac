/**
 * Who may run which operation on which bucket. An account reaches only its own buckets, and an access
 * key only what its scopes allow (each operation needs one action: read, write, list, delete or admin).
 * Nobody (anonymous) may read objects of a public-read bucket, list a bucket whose owner enabled public
 * listing, and send CORS preflights and browser form uploads (which carry their own signed policy,
 * checked by their handler). Everything else is AccessDenied.
 */
import type { AccountPrincipal, Principal } from '../auth/authenticate.ts';
import { type Action, allows, allowsListing, mentionsBucket } from '../auth/scopes.ts';
import { S3Error } from '../errors.ts';
import type { Bucket } from '../model/buckets.ts';
import type { S3Call } from './call.ts';
import type { Operation } from './operations.ts';
import type { Target } from './target.ts';

/**
 * The action each operation needs. `bucket`: any scope on the bucket will do; null: decided elsewhere
 * (ListBuckets filters what it shows; forms and preflights check themselves).
 */
const NEEDS: Record<Operation, Action | 'bucket' | null> = {
  ListBuckets: null,
  CreateBucket: 'admin',
  DeleteBucket: 'admin',
  HeadBucket: 'bucket',
  GetBucketLocation: 'bucket',
  GetBucketVersioning: 'bucket',
  ListObjects: 'list',
  ListObjectsV2: 'list',
  ListMultipartUploads: 'list',
  DeleteObjects: 'delete',
  PostObject: null,
  CorsPreflight: null,
  GetBucketPolicy: 'admin',
  PutBucketPolicy: 'admin',
  DeleteBucketPolicy: 'admin',
  GetBucketPolicyStatus: 'admin',
  GetBucketAcl: 'admin',
  PutBucketAcl: 'admin',
  GetBucketCors: 'admin',
  PutBucketCors: 'admin',
  DeleteBucketCors: 'admin',
  GetBucketWebsite: 'admin',
  PutBucketWebsite: 'admin',
  DeleteBucketWebsite: 'admin',
  GetObject: 'read',
  HeadObject: 'read',
  GetObjectAttributes: 'read',
  GetObjectAcl: 'read',
  PutObjectAcl: 'admin',
  PutObject: 'write',
  CopyObject: 'write',
  DeleteObject: 'delete',
  CreateMultipartUpload: 'write',
  UploadPart: 'write',
  UploadPartCopy: 'write',
  CompleteMultipartUpload: 'write',
  AbortMultipartUpload: 'write',
  ListParts: 'write',
};

/** Operations whose handler decides who may (a form by its signed policy, a preflight by the CORS rules). */
const SELF_AUTHORIZING: ReadonlySet<Operation> = new Set(['PostObject', 'CorsPreflight']);

export function authorizesItself(op: Operation): boolean {
  return SELF_AUTHORIZING.has(op);
}

const PUBLIC_READ: ReadonlySet<Operation> = new Set(['GetObject', 'HeadObject']);
const PUBLIC_LIST: ReadonlySet<Operation> = new Set(['ListObjects', 'ListObjectsV2']);

function denied(action: string, where: string): S3Error {
  return new S3Error('AccessDenied', `Access Denied: this access key may not ${action} ${where}.`);
}

/** For callers outside the S3 pipeline (the JSON API): the principal must hold `action` there. */
export function requireScope(p: AccountPrincipal, action: Action, bucket: string, key?: string): void {
  if (!allows(p.scopes, action, bucket, key))
    throw denied(action, key !== undefined ? `s3://${bucket}/${key}` : `bucket ${bucket}`);
}

export function authorize(principal: Principal, op: Operation, bucket: Bucket | null, target: Target): void {
  const needs = NEEDS[op];
  if (needs === null) {
    if (op === 'ListBuckets' && principal.kind === 'anonymous')
      throw new S3Error('AccessDenied', 'Anonymous access is not allowed here; sign the request.');
    return;
  }
  if (principal.kind === 'anonymous') {
    if (bucket && PUBLIC_READ.has(op) && bucket.accessType === 'public-read') return;
    if (bucket && PUBLIC_LIST.has(op) && bucket.publicList) return;
    throw new S3Error('AccessDenied', 'Anonymous access is not allowed here; sign the request.');
  }
  if (bucket && bucket.accountId !== principal.accountId) throw new S3Error('AccessDenied');
  const name = bucket?.name ?? target.bucket!;
  if (needs === 'bucket') {
    if (!mentionsBucket(principal.scopes, name)) throw denied('use', `bucket ${name}`);
  } else if (needs === 'list') {
    const prefix = target.query.find((p) => p.name === 'prefix')?.value ?? '';
    if (!allowsListing(principal.scopes, name, prefix)) throw denied('list', `s3://${name}/${prefix}`);
  } else if (target.key !== null) {
    requireScope(principal, needs, name, target.key);
  } else if (!allows(principal.scopes, needs, name)) {
    throw denied(needs, `bucket ${name}`);
  }
}

/** The signed-in account of a call that authorize() let through as an account's call. */
export function accountOf(call: Pick<S3Call, 'principal'>): AccountPrincipal {
  if (call.principal.kind === 'anonymous') throw new S3Error('AccessDenied', 'Sign the request.');
  return call.principal;
}
