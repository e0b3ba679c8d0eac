/**
 * Who may run which operation on which bucket. An account reaches only its own buckets, and an access
 * key only what its scopes allow (each operation's entry in table.ts names the action it needs: read,
 * write, list, delete or admin). Nobody (anonymous) may read objects of a public-read bucket, list a
 * bucket whose owner enabled public listing, and send CORS preflights and browser form uploads (which
 * carry their own signed policy, checked by their handler). Everything else is AccessDenied.
 */
import type { Principal } from '../auth/authenticate.ts';
import { denied, requireScope } from '../auth/grants.ts';
import { type Action, allows, allowsListing, mentionsBucket } from '../auth/scopes.ts';
import { S3Error } from '../errors.ts';
import type { Bucket } from '../model/buckets.ts';
import type { Target } from './target.ts';

/**
 * What an operation needs: an action; `bucket`: any scope on the bucket will do; `account`: any signed
 * account (ListBuckets filters what it shows); `form` and `preflight` authorize themselves (a form by
 * its signed policy, a preflight by the bucket's CORS rules) and are admitted by their handler.
 */
export type Needs = Action | 'bucket' | 'account' | 'form' | 'preflight';

export interface Permission {
  needs: Needs;
  /** What anonymous callers may do when the bucket allows it (public-read objects, public listing). */
  anonymous?: 'read' | 'list';
}

export function authorizesItself(p: Permission): boolean {
  return p.needs === 'form' || p.needs === 'preflight';
}

const anonymousRefused = () =>
  new S3Error('AccessDenied', 'Anonymous access is not allowed here; sign the request.');

export function authorize(principal: Principal, p: Permission, bucket: Bucket | null, target: Target): void {
  const needs = p.needs;
  if (needs === 'form' || needs === 'preflight') return;
  if (needs === 'account') {
    if (principal.kind === 'anonymous') throw anonymousRefused();
    return;
  }
  if (principal.kind === 'anonymous') {
    if (bucket && p.anonymous === 'read' && bucket.accessType === 'public-read') return;
    if (bucket && p.anonymous === 'list' && bucket.publicList) return;
    throw anonymousRefused();
  }
  if (bucket && bucket.accountId !== principal.accountId) throw new S3Error('AccessDenied');
  const name = bucket?.name ?? target.bucket!;
  if (needs === 'bucket') {
    if (!mentionsBucket(principal.scopes, name)) throw denied('use', `bucket ${name}`);
  } else if (needs === 'list') {
    const prefix = target.query.find((q) => q.name === 'prefix')?.value ?? '';
    if (!allowsListing(principal.scopes, name, prefix)) throw denied('list', `s3://${name}/${prefix}`);
  } else if (target.key !== null) {
    requireScope(principal, needs, name, target.key);
  } else if (!allows(principal.scopes, needs, name)) {
    throw denied(needs, `bucket ${name}`);
  }
}
