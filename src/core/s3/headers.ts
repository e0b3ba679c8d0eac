/** Object metadata between HTTP headers and the stored row. */
import { S3Error } from '../errors.ts';
import type { ObjectHeaders, StoredObject } from '../model/objects.ts';
import { checksumHeader, isChecksumAlgorithm } from '../checksums.ts';
import { checkFieldValue, fieldValueOf, isFieldName, storedFieldValue } from '../http-fields.ts';
import { type FieldWriter, Fields } from '../http/reply.ts';

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

/** Form fields that become object headers, as PutObject takes them from request headers. */
const FORM_FIELDS = [...STANDARD.map(([, name]) => name), 'x-amz-storage-class'];

/** Content-Encoding without the `aws-chunked` transfer framing (that is not the object's encoding). */
function storedEncoding(value: string | null): string | null {
  if (value === null) return null;
  const rest = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s && s.toLowerCase() !== 'aws-chunked');
  return rest.length ? rest.join(', ') : null;
}

/**
 * The object headers a request carries (PutObject, CopyObject with REPLACE, CreateMultipartUpload,
 * POST forms through `formHeaders`). Every value is one we can send back on GET: whichever runtime
 * let the request in, a value no response could carry is refused here, never stored.
 */
export function objectHeadersFrom(headers: Headers): ObjectHeaders {
  const out: ObjectHeaders = {
    contentType: null,
    cacheControl: null,
    contentDisposition: null,
    contentEncoding: null,
    contentLanguage: null,
    expires: null,
    userMeta: {},
  };
  for (const [field, name] of STANDARD) {
    const value = headers.get(name);
    out[field] = value === null ? null : checkFieldValue(name, value);
  }
  out.contentEncoding = storedEncoding(out.contentEncoding);
  let metaBytes = 0;
  headers.forEach((value, name) => {
    if (!name.startsWith('x-amz-meta-')) return;
    const short = name.slice('x-amz-meta-'.length);
    out.userMeta[short] = checkFieldValue(name, value);
    metaBytes += new TextEncoder().encode(short + value).length;
  });
  if (metaBytes > MAX_USER_META_BYTES) {
    throw new S3Error('MetadataTooLarge', undefined, {
      fields: { MaxSizeAllowed: String(MAX_USER_META_BYTES) },
    });
  }
  return out;
}

/**
 * The object headers of a POST form's fields (names lower-cased), as PutObject takes them from request
 * headers; the file part's own Content-Type counts when no field names one. Form text beyond Latin-1
 * goes out as its UTF-8 bytes; a field name no header could have is refused.
 */
export function formHeaders(fields: Map<string, string>, fileContentType: string | null): Headers {
  const out = new Headers();
  for (const [name, value] of fields) {
    if (!FORM_FIELDS.includes(name) && !name.startsWith('x-amz-meta-')) continue;
    if (!isFieldName(name)) {
      const why = `"${name.slice(0, 100)}" cannot be the name of a metadata header.`;
      throw new S3Error('InvalidArgument', why, { fields: { ArgumentName: 'x-amz-meta-*' } });
    }
    out.set(name, fieldValueOf(name, value));
  }
  if (!out.has('content-type') && fileContentType) {
    out.set('content-type', fieldValueOf('Content-Type', fileContentType));
  }
  return out;
}

// the last few dates formatted (a hot object's Last-Modified is asked for again and again)
const httpDates = new Map<number, string>();

export function httpDate(ms: number): string {
  let text = httpDates.get(ms);
  if (text === undefined) {
    if (httpDates.size >= 256) httpDates.clear();
    httpDates.set(ms, (text = new Date(ms).toUTCString()));
  }
  return text;
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
export function describeObject(o: StoredObject, opts: DescribeOptions): Fields {
  const h = new Fields();
  h.set('content-type', storedFieldValue(o.contentType) ?? 'application/octet-stream');
  for (const [field, name] of STANDARD) {
    const value = storedFieldValue(o[field]);
    if (field !== 'contentType' && value !== null) h.set(name, value);
  }
  h.set('etag', quoteEtag(o.etag));
  h.set('last-modified', httpDate(o.lastModified));
  h.set('accept-ranges', 'bytes');
  h.set('x-amz-storage-class', opts.storageClass);
  h.set('x-qoima-object-id', o.id);
  const meta = o.userMeta === '{}' ? {} : (JSON.parse(o.userMeta) as Record<string, string>);
  for (const [k, v] of Object.entries(meta)) {
    const value = storedFieldValue(v);
    if (isFieldName(`x-amz-meta-${k}`) && value !== null) h.set(`x-amz-meta-${k}`, value);
  }
  if (o.partsCount !== null) h.set('x-amz-mp-parts-count', String(o.partsCount));
  if (
    opts.withChecksum &&
    o.checksumAlgorithm &&
    o.checksumValue &&
    isChecksumAlgorithm(o.checksumAlgorithm)
  ) {
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
export function applyOverrides(
  h: FieldWriter,
  query: { name: string; value: string }[],
  signed: boolean,
): void {
  for (const [param, header] of OVERRIDES) {
    const p = query.find((q) => q.name === param);
    if (!p) continue;
    if (!signed)
      throw new S3Error(
        'InvalidRequest',
        'Request specific response headers cannot be used for anonymous GET requests.',
      );
    h.set(header, fieldValueOf(param, p.value));
  }
}
