/** GetObject and HeadObject: conditional requests, ranges, response-* overrides, verified bytes. */
import { openRange } from '../../block/reader.ts';
import type { ChunkStore } from '../../block/store.ts';
import type { Db } from '../../db/index.ts';
import type { Digests } from '../../digests.ts';
import { S3Error } from '../../errors.ts';
import type { Bucket } from '../../model/buckets.ts';
import { findObject, spansOf, type StoredObject } from '../../model/objects.ts';
import type { QueryParam } from '../../auth/sigv4.ts';
import type { ObjectCall } from '../call.ts';
import { conditionHeaders, evaluateConditions, parseRange, rangeToHonour } from '../conditions.ts';
import { applyOverrides, describeObject, httpDate, quoteEtag } from '../headers.ts';
import { storedFieldValue } from '../../http-fields.ts';

export interface ReadDeps {
  db: Db;
  store: ChunkStore;
  digests: Digests;
}

export async function requireObject(db: Db, bucketId: string, key: string): Promise<StoredObject> {
  const obj = await findObject(db, bucketId, key);
  if (!obj) throw new S3Error('NoSuchKey', undefined, { fields: { Key: key } });
  return obj;
}

export interface ObjectResponseOptions {
  withBody: boolean;
  /** response-* overrides to apply (GetObject), and whether the request was signed. */
  query?: QueryParam[];
  signed?: boolean;
  /** Status for a full response (a website's error document is served with its error status). */
  status?: number;
  /** How often the object changed under this read already. */
  changed?: number;
}

/**
 * The response for reading `obj` as `reqHeaders` ask: 304/412 for conditions, 206/416 for ranges, and
 * every header a CDN needs (ETag, Last-Modified, Cache-Control or the bucket's default, Accept-Ranges).
 */
export async function objectResponse(
  deps: ReadDeps,
  obj: StoredObject,
  bucket: Bucket,
  reqHeaders: Headers,
  opts: ObjectResponseOptions,
): Promise<Response> {
  // (stored values pass storedFieldValue: rows written before values were checked on the way in)
  const cacheControl = storedFieldValue(obj.cacheControl ?? bucket.defaultCacheControl);
  const expires = storedFieldValue(obj.expires);
  const outcome = evaluateConditions(conditionHeaders(reqHeaders), obj.etag, obj.lastModified);
  if (outcome === 'precondition-failed')
    throw new S3Error('PreconditionFailed', undefined, {
      fields: { Condition: 'If-Match or If-Unmodified-Since' },
    });
  if (outcome === 'not-modified') {
    const h = new Headers({ etag: quoteEtag(obj.etag), 'last-modified': httpDate(obj.lastModified) });
    if (cacheControl) h.set('cache-control', cacheControl);
    if (expires) h.set('expires', expires);
    return new Response(null, { status: 304, headers: h });
  }
  const range =
    opts.status && opts.status !== 200
      ? null
      : parseRange(rangeToHonour(reqHeaders, obj.etag, obj.lastModified), obj.size);
  if (range === 'unsatisfiable') {
    throw new S3Error('InvalidRange', undefined, {
      fields: { RangeRequested: reqHeaders.get('range') ?? '', ActualObjectSize: String(obj.size) },
      headers: { 'content-range': `bytes */${obj.size}` },
    });
  }
  const h = describeObject(obj, {
    storageClass: bucket.storageClass,
    withChecksum: range === null && reqHeaders.get('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED',
  });
  if (cacheControl) h.set('cache-control', cacheControl);
  if (opts.query) applyOverrides(h, opts.query, opts.signed ?? false);
  const start = range?.start ?? 0;
  const end = range ? range.end + 1 : obj.size;
  h.set('content-length', String(end - start));
  if (range) h.set('content-range', `bytes ${range.start}-${range.end}/${obj.size}`);
  const status = range ? 206 : (opts.status ?? 200);
  if (!opts.withBody) return new Response(null, { status, headers: h });
  if (obj.inlineData)
    return new Response(obj.inlineData.subarray(start, end) as Uint8Array<ArrayBuffer>, {
      status,
      headers: h,
    });
  const spans = await spansOf(deps.db, obj);
  if (!spans) {
    // overwritten or deleted since its row was read: answer for what is at the key now
    if ((opts.changed ?? 0) >= 3)
      throw new S3Error('ServiceUnavailable', 'The object kept changing while it was read; try again.');
    const now = await requireObject(deps.db, obj.bucketId, obj.key);
    return objectResponse(deps, now, bucket, reqHeaders, { ...opts, changed: (opts.changed ?? 0) + 1 });
  }
  return new Response(await openRange(deps.store, deps.digests, spans, start, end), { status, headers: h });
}

export function readHandlers(deps: ReadDeps) {
  const read = async (call: ObjectCall, withBody: boolean) =>
    objectResponse(deps, await requireObject(deps.db, call.bucket.id, call.key), call.bucket, call.headers, {
      withBody,
      query: call.target.query,
      signed: call.principal.kind !== 'anonymous',
    });
  return {
    GetObject: (call: ObjectCall) => read(call, true),
    HeadObject: (call: ObjectCall) => read(call, false),
  };
}
