/**
 * Who may run which operation on which bucket. An account reaches only its own buckets. Nobody
 * (anonymous) may read objects of a public-read bucket, list a bucket whose owner enabled public
 * listing, and send CORS preflights and browser form uploads (which carry their own signed policy,
 * checked by their handler). Everything else anonymous is AccessDenied.
 */
import type { AccountPrincipal, Principal } from '../auth/authenticate.ts';
import { S3Error } from '../errors.ts';
import type { Bucket } from '../model/buckets.ts';
import type { S3Call } from './call.ts';
import type { Operation } from './operations.ts';

const PUBLIC_READ: ReadonlySet<Operation> = new Set(['GetObject', 'HeadObject']);
const PUBLIC_LIST: ReadonlySet<Operation> = new Set(['ListObjects', 'ListObjectsV2']);
/** Operations whose handler does its own checking (CORS rules; the form's signed policy). */
export const SELF_AUTHORIZED: ReadonlySet<Operation> = new Set(['CorsPreflight', 'PostObject']);

export function authorize(principal: Principal, op: Operation, bucket: Bucket | null): void {
  if (SELF_AUTHORIZED.has(op)) return;
  if (principal.kind === 'anonymous') {
    if (bucket && PUBLIC_READ.has(op) && bucket.accessType === 'public-read') return;
    if (bucket && PUBLIC_LIST.has(op) && bucket.publicList) return;
    throw new S3Error('AccessDenied', 'Anonymous access is not allowed here; sign the request.');
  }
  if (bucket && bucket.accountId !== principal.accountId) throw new S3Error('AccessDenied');
}

/** The signed-in account of a call that authorize() let through as an account's call. */
export function accountOf(call: Pick<S3Call, 'principal'>): AccountPrincipal {
  if (call.principal.kind === 'anonymous') throw new S3Error('AccessDenied', 'Sign the request.');
  return call.principal;
}
