/**
 * Where a request points: bucket and key from a path-style URL (`/bucket/key`) or, when the Host names
 * a bucket (hosts.ts), from the path alone (`/key`); and the raw path and query that SigV4 signs.
 */
import { utf8 } from '../digests.ts';
import { S3Error } from '../errors.ts';
import { type QueryParam, parseQuery } from '../auth/sigv4.ts';

export interface Target {
  bucket: string | null;
  key: string | null;
  style: 'path' | 'host';
  /** The path exactly as sent (still percent-encoded). */
  rawPath: string;
  query: QueryParam[];
}

export const MAX_KEY_BYTES = 1024;

/**
 * A key a new object may have. NUL is refused: the database keeps it, but text read back through the
 * libSQL driver stops at it, so a listing would name a key ("a" for "a\0b") that no GET finds and that
 * a listing's next page would start from again.
 */
export function checkNewKey(key: string): void {
  if (key.includes('\0')) {
    const why = 'An object key cannot contain the NUL character.';
    throw new S3Error('InvalidArgument', why, { fields: { ArgumentName: 'key' } });
  }
}

function decode(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidArgument', "Couldn't parse the specified URI.", { fields: { URI: raw } });
  }
}

/** The host without port, lower-cased. */
export function hostName(hostHeader: string | null): string {
  const host = (hostHeader ?? '').toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

/** The bucket named by the Host header under one of `baseDomains`, if any. */
export function virtualHostBucket(host: string, baseDomains: readonly string[]): string | null {
  for (const domain of baseDomains) {
    if (host.length > domain.length + 1 && host.endsWith(`.${domain}`))
      return host.slice(0, -domain.length - 1);
  }
  return null;
}

export function resolveTarget(rawTarget: string, hostBucket: string | null): Target {
  const q = rawTarget.indexOf('?');
  const rawPath = q >= 0 ? rawTarget.slice(0, q) : rawTarget;
  let query: QueryParam[];
  try {
    query = parseQuery(q >= 0 ? rawTarget.slice(q + 1) : '');
  } catch {
    throw new S3Error('InvalidArgument', "Couldn't parse the specified URI.", { fields: { URI: rawTarget } });
  }
  let bucket: string | null;
  let key: string | null;
  if (hostBucket !== null) {
    bucket = hostBucket;
    key = rawPath.length > 1 ? decode(rawPath.slice(1)) : null;
  } else {
    const rest = rawPath.slice(1);
    const slash = rest.indexOf('/');
    bucket = rest.length ? decode(slash >= 0 ? rest.slice(0, slash) : rest) : null;
    const rawKey = slash >= 0 ? rest.slice(slash + 1) : '';
    key = rawKey.length ? decode(rawKey) : null;
  }
  // (a UTF-16 code unit is at most 3 bytes of UTF-8: most keys need no encoding to be measured)
  if (key !== null && key.length * 3 > MAX_KEY_BYTES && utf8(key).length > MAX_KEY_BYTES) {
    throw new S3Error('KeyTooLongError', undefined, { fields: { MaxSizeAllowed: String(MAX_KEY_BYTES) } });
  }
  return { bucket, key, style: hostBucket !== null ? 'host' : 'path', rawPath, query };
}
