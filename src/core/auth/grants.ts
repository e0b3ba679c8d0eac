/**
 * Checks any layer makes on an authenticated principal (the S3 handlers, the JSON API): that it is an
 * account's, and that its access key's scopes allow an action on a bucket or key.
 */
import { S3Error } from '../errors.ts';
import type { AccountPrincipal, Principal } from './authenticate.ts';
import { type Action, allows } from './scopes.ts';

export function denied(action: string, where: string): S3Error {
  return new S3Error('AccessDenied', `Access Denied: this access key may not ${action} ${where}.`);
}

/** The principal must hold `action` on the bucket (or on the key in it). */
export function requireScope(p: AccountPrincipal, action: Action, bucket: string, key?: string): void {
  if (!allows(p.scopes, action, bucket, key))
    throw denied(action, key !== undefined ? `s3://${bucket}/${key}` : `bucket ${bucket}`);
}

/** The signed-in account of a call that was let through as an account's call. */
export function accountOf(call: { principal: Principal }): AccountPrincipal {
  if (call.principal.kind === 'anonymous') throw new S3Error('AccessDenied', 'Sign the request.');
  return call.principal;
}
