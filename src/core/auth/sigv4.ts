/**
 * AWS Signature Version 4, the pure parts: canonical request, string to sign, signing key.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
import { type Digests, hashHex, latin1Bytes, toHex, utf8 } from '../digests.ts';
import { S3Error } from '../errors.ts';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is %XX (upper-case hex). */
export function uriEncode(value: string, keepSlash = false): string {
  if (UNRESERVED.test(value)) return value; // (most names and values: nothing to encode)
  const out = encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return keepSlash ? out.replace(/%2F/g, '/') : out;
}

/** One query parameter as it arrived (still encoded) and decoded. */
export interface QueryParam {
  name: string;
  value: string;
}

/** Percent-decoding of a URI part; a bad %-escape is the client's mistake (InvalidArgument), not ours. */
function decodePart(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidArgument', "Couldn't parse the specified URI.", { fields: { URI: raw } });
  }
}

const plusAsSpace = (raw: string) => (raw.includes('+') ? raw.replace(/\+/g, ' ') : raw);

/** Splits a raw query string; `+` means space, as in S3. A bad %-escape is InvalidArgument. */
export function parseQuery(rawQuery: string): QueryParam[] {
  if (!rawQuery) return [];
  return rawQuery
    .split('&')
    .filter((p) => p.length > 0)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? '' : pair.slice(eq + 1);
      return { name: decodePart(plusAsSpace(name)), value: decodePart(plusAsSpace(value)) };
    });
}

export function canonicalQuery(params: QueryParam[], omit?: string): string {
  return params
    .filter((p) => p.name !== omit)
    .map((p) => [uriEncode(p.name), uriEncode(p.value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([n, v]) => `${n}=${v}`)
    .join('&');
}

/** The canonical URI of a raw (still percent-encoded) path: decode each segment, encode it once. */
export function canonicalUri(rawPath: string): string {
  return rawPath
    .split('/')
    .map((seg) => uriEncode(decodePart(seg)))
    .join('/');
}

/**
 * SigV4's Trimall: runs of spaces and tabs become one space, none at either end. Only those: a Latin-1
 * no-break space (0xA0) is part of the value for the SDKs, though JavaScript's \s would take it.
 */
function trimAll(value: string): string {
  const collapsed = value.replace(/[ \t]+/g, ' ');
  const start = collapsed.startsWith(' ') ? 1 : 0;
  const end = collapsed.endsWith(' ') ? collapsed.length - 1 : collapsed.length;
  return collapsed.slice(start, Math.max(start, end));
}

export function canonicalHeaders(headers: Headers, signed: string[]): string {
  return signed.map((name) => `${name}:${trimAll(headers.get(name) ?? '')}\n`).join('');
}

export interface CanonicalRequestParts {
  method: string;
  rawPath: string;
  query: QueryParam[];
  /** Omitted from the canonical query (X-Amz-Signature in presigned URLs). */
  omitQuery?: string;
  headers: Headers;
  signedHeaders: string[];
  payloadHash: string;
}

export function canonicalRequest(p: CanonicalRequestParts): string {
  return [
    p.method,
    canonicalUri(p.rawPath),
    canonicalQuery(p.query, p.omitQuery),
    canonicalHeaders(p.headers, p.signedHeaders),
    p.signedHeaders.join(';'),
    p.payloadHash,
  ].join('\n');
}

export interface Scope {
  date: string; // YYYYMMDD
  region: string;
  service: string;
}

export function scopeString(s: Scope): string {
  return `${s.date}/${s.region}/${s.service}/aws4_request`;
}

/**
 * The canonical request is hashed as the bytes it was made of: header values are byte strings (one
 * character per byte sent), the rest is ASCII. `asText` hashes it as UTF-8 text instead.
 */
export function stringToSign(
  digests: Digests,
  amzDate: string,
  scope: Scope,
  canonical: string,
  asText = false,
): string {
  const bytes = asText ? canonical : latin1Bytes(canonical);
  return `${ALGORITHM}\n${amzDate}\n${scopeString(scope)}\n${hashHex(digests, 'sha256', bytes)}`;
}

export function signingKey(digests: Digests, secret: string, scope: Scope): Uint8Array {
  const kDate = digests.hmacSha256(utf8(`AWS4${secret}`), scope.date);
  const kRegion = digests.hmacSha256(kDate, scope.region);
  const kService = digests.hmacSha256(kRegion, scope.service);
  return digests.hmacSha256(kService, 'aws4_request');
}

const keyCache = new Map<string, Uint8Array>();

/** signingKey, remembered: it changes only with the secret, the day and the region. */
export function cachedSigningKey(digests: Digests, secret: string, scope: Scope): Uint8Array {
  const id = `${scope.date}\n${scope.region}\n${scope.service}\n${secret}`;
  let key = keyCache.get(id);
  if (!key) {
    if (keyCache.size >= 1024) keyCache.clear();
    keyCache.set(id, (key = signingKey(digests, secret, scope)));
  }
  return key;
}

export function sign(digests: Digests, key: Uint8Array, toSign: string): string {
  return toHex(digests.hmacSha256(key, toSign));
}

/** `20130524T000000Z` to epoch ms, or null. */
export function parseAmzDate(v: string | null | undefined): number | null {
  const m = v && /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return null;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return Number.isNaN(t) ? null : t;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
