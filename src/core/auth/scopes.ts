/**
 * What an access key may do: a list of scopes, each a bucket (or `*` for every bucket of the account),
 * an optional key prefix, and actions. Root users have no scopes (full access to their account).
 *
 *   read    GET/HEAD objects (and read them as a copy source)
 *   write   PUT objects, copies, multipart uploads, browser forms
 *   list    list objects and uploads
 *   delete  delete objects
 *   admin   bucket settings (policies, CORS, website, domains), creating/deleting buckets, managing keys
 */
import { z } from 'zod';

export const ACTIONS = ['read', 'write', 'list', 'delete', 'admin'] as const;
export type Action = (typeof ACTIONS)[number];

export const Scope = z.object({
  bucket: z.string().min(1).max(63),
  prefix: z.string().max(1024).optional(),
  actions: z.array(z.enum(ACTIONS)).min(1),
});
export type Scope = z.infer<typeof Scope>;

/** `photos:read,list`, `photos/public/:read`, `*:admin` (the admin CLI's way of writing a scope). */
export function parseScopeText(text: string): Scope {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) throw new Error(`a scope is BUCKET[/PREFIX]:ACTION[,ACTION...], not "${text}"`);
  const target = text.slice(0, colon);
  const slash = target.indexOf('/');
  const bucket = slash < 0 ? target : target.slice(0, slash);
  const prefix = slash < 0 ? undefined : target.slice(slash + 1);
  const actions = text
    .slice(colon + 1)
    .split(',')
    .map((a) => a.trim());
  const parsed = Scope.safeParse({ bucket, prefix: prefix || undefined, actions });
  if (!parsed.success) throw new Error(`bad scope "${text}": actions are ${ACTIONS.join(', ')}`);
  return parsed.data;
}

export function scopeText(s: Scope): string {
  return `${s.bucket}${s.prefix ? `/${s.prefix}` : ''}:${s.actions.join(',')}`;
}

const coversBucket = (s: Scope, bucket: string) => s.bucket === '*' || s.bucket === bucket;

/**
 * Whether `scopes` (null: root, everything) allow `action` on `bucket` (and `key`, if the action is on
 * one). An action on the whole bucket (its settings, deleting it) needs a scope without a prefix: a
 * key confined to `photos/public/` must not make the bucket public or delete it.
 */
export function allows(scopes: Scope[] | null, action: Action, bucket: string, key?: string): boolean {
  if (scopes === null) return true;
  return scopes.some(
    (s) =>
      coversBucket(s, bucket) &&
      s.actions.includes(action) &&
      (key === undefined ? !s.prefix : !s.prefix || key.startsWith(s.prefix)),
  );
}

/** Listing under `prefix` needs a list scope whose own prefix the listing stays inside. */
export function allowsListing(scopes: Scope[] | null, bucket: string, prefix: string): boolean {
  if (scopes === null) return true;
  return scopes.some(
    (s) =>
      coversBucket(s, bucket) && s.actions.includes('list') && (!s.prefix || prefix.startsWith(s.prefix)),
  );
}

/** Whether `bucket` appears in any scope (so ListBuckets may show it). */
export function mentionsBucket(scopes: Scope[] | null, bucket: string): boolean {
  return scopes === null || scopes.some((s) => coversBucket(s, bucket));
}

/** A key may only hand out what it has itself: each child scope must fit inside one parent scope. */
export function isWithin(child: Scope[], parent: Scope[] | null): boolean {
  if (parent === null) return true;
  return child.every((c) =>
    c.actions.every((a) =>
      parent.some(
        (p) =>
          (p.bucket === '*' || p.bucket === c.bucket) &&
          p.actions.includes(a) &&
          (!p.prefix || (c.prefix ?? '').startsWith(p.prefix)),
      ),
    ),
  );
}
