/** Object metadata between HTTP headers and the stored row. */
import { S3Error } from '../errors.ts';
import type { ObjectHeaders, StoredObject } from '../model/objects.ts';
import { checksumHeader, isChecksumAlgorithm } from '../checksums.ts';

/** S3's limit on user metadata: names and values of x-amz-meta-* together. */
export const MAX_USER_META_BYTES = 2048;

const STANDARD: [keyof Omit<ObjectHeaders, 'userMeta'>, string][] = [
  ['contentType', 'content-type'],
  ['cacheControl', 'cache-control'],
  ['contentDisposition', 'content-disposition'],
  ['contentEncoding', 'content-encoding'],
  ['contentLanguage', 'content-language'],
  ['expires', 'expires'],
];

/** Content-Encoding without the `aws-chunked` transfer framing (that is not the object's encoding). */
function storedEncoding(value: string | null): string | null {
  if (value === null) return null;
  const rest = value.split(',').map((s) => s.trim()).filter((s) => s && s.toLowerCase() !== 'aws-chunked');
  return rest.length ? rest.join(', ') : null;
}

export function objectHeadersFrom(headers: Headers): ObjectHeaders {
  const out: ObjectHeaders = {
    contentType: null, cacheControl: null, contentDisposition: null, contentEncoding: null,
    contentLanguage: null, expires: null, userMeta: {},
  };
  for (const [field, name] of STANDARD) out[field] = headers.get(name);
  out.contentEncoding = storedEncoding(out.contentEncoding);
  let metaBytes = 0;
  headers.forEach((value, name) => {
    if (!name.startsWith('x-amz-meta-')) return;
    const short = name.slice('x-amz-meta-'.length);
    out.userMeta[short] = value;
    metaBytes += new TextEncoder().encode(short + value).length;
  });
  if (metaBytes > MAX_USER_META_BYTES) {
    throw new S3Error('MetadataTooLarge', undefined, { fields: { MaxSizeAllowed: String(MAX_USER_META_BYTES) } });
  }
  return out;
}

/**
 * A value as an HTTP header carries it: text beyond Latin-1 (a Cyrillic file name in a form field or a
 * response-content-disposition) as its UTF-8 bytes, which is what a client sending it raw puts on the
 * wire and what browsers read back; line breaks cannot be carried and are refused.
 */
export function headerValue(name: string, v: string): string {
  if (/[\r\n\0]/.test(v)) throw new S3Error('InvalidArgument', `${name} cannot contain line breaks.`, { fields: { ArgumentName: name } });
  return /[^\x00-\xff]/.test(v) ? String.fromCharCode(...new TextEncoder().encode(v)) : v;
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

export interface DescribeOptions {
  storageClass: string;
  withChecksum: boolean;
}

/** The headers GET and HEAD answer with (before range and response-* overrides). */
export function describeObject(o: StoredObject, opts: DescribeOptions): Headers {
  const h = new Headers();
  h.set('content-type', o.contentType ?? 'application/octet-stream');
  for (const [field, name] of STANDARD) {
    if (field !== 'contentType' && o[field] !== null) h.set(name, o[field]!);
  }
  h.set('etag', quoteEtag(o.etag));
  h.set('last-modified', httpDate(o.lastModified));
  h.set('accept-ranges', 'bytes');
  h.set('x-amz-storage-class', opts.storageClass);
  h.set('x-qoima-object-id', o.id);
  for (const [k, v] of Object.entries(JSON.parse(o.userMeta) as Record<string, string>)) h.set(`x-amz-meta-${k}`, v);
  if (o.partsCount !== null) h.set('x-amz-mp-parts-count', String(o.partsCount));
  if (opts.withChecksum && o.checksumAlgorithm && o.checksumValue && isChecksumAlgorithm(o.checksumAlgorithm)) {
    h.set(checksumHeader(o.checksumAlgorithm), o.checksumValue);
    if (o.checksumType) h.set('x-amz-checksum-type', o.checksumType);
  }
  return h;
}

const OVERRIDES: [string, string][] = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

/** Applies `response-*` query overrides (GetObject); S3 honours them only on signed requests. */
export function applyOverrides(h: Headers, query: { name: string; value: string }[], signed: boolean): void {
  for (const [param, header] of OVERRIDES) {
    const p = query.find((q) => q.name === param);
    if (!p) continue;
    if (!signed) throw new S3Error('InvalidRequest', 'Request specific response headers cannot be used for anonymous GET requests.');
    h.set(header, headerValue(param, p.value));
  }
}
