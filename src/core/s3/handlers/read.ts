/**
 * GetObject and HeadObject: conditional requests, ranges and part-wise reads (partNumber), response-*
 * overrides, verified bytes. GetObjectAttributes is in attributes.ts.
 */
import { SMALL_RANGE_BYTES, openRange, readRange } from '../../block/reader.ts';
import type { ChunkStore } from '../../block/store.ts';
import type { Db } from '../../db/index.ts';
import type { Digests } from '../../digests.ts';
import { checksumHeader, isChecksumAlgorithm } from '../../checksums.ts';
import { S3Error, isS3Error } from '../../errors.ts';
import { MAX_PART_NUMBER } from '../../model/multipart.ts';
import { objectPart } from '../../model/parts.ts';
import type { Bucket } from '../../model/buckets.ts';
import {
  type ChunkLists,
  type InlineBodies,
  type ObjectRows,
  findObject,
  findObjectAndGeneration,
  spansOf,
} from '../../model/object-reads.ts';
import type { StoredObject } from '../../model/objects.ts';
import type { Freshness } from '../../freshness.ts';
import type { QueryParam } from '../../auth/sigv4.ts';
import { type ObjectCall, queryParam } from '../call.ts';
import { attributeHandlers } from './attributes.ts';
import { conditionHeaders, evaluateConditions, parseRange, rangeToHonour } from '../conditions.ts';
import { applyOverrides, describeObject, httpDate, quoteEtag } from '../headers.ts';
import { storedFieldValue } from '../../http-fields.ts';
import { Fields, Reply } from '../../http/reply.ts';

export interface ReadDeps {
  db: Db;
  store: ChunkStore;
  digests: Digests;
  /** Where a GET's object lookup reports the settings generation it read along (freshness.ts). */
  freshness?: Freshness;
  /** Small objects' bytes and chunk lists already read, by object id (object-reads.ts). */
  inlineBodies?: InlineBodies;
  chunkLists?: ChunkLists;
  /** Lookups kept while nothing is committed, where the database can tell (object-reads.ts). */
  objectRows?: ObjectRows;
}

export async function requireObject(db: Db, bucketId: string, key: string): Promise<StoredObject> {
  const obj = await findObject(db, bucketId, key);
  if (!obj) throw new S3Error('NoSuchKey', undefined, { fields: { Key: key } });
  return obj;
}

/**
 * The object a GET or HEAD reads (a website's too), if any, with the settings generation read along
 * when there is a `freshness`, and a small object's bytes from `inlineBodies` when they are current.
 */
export async function findObjectToRead(
  deps: ReadDeps,
  bucketId: string,
  key: string,
): Promise<StoredObject | null> {
  const { db, freshness, inlineBodies, objectRows } = deps;
  if (!freshness) return findObject(db, bucketId, key);
  const found = () => findObjectAndGeneration(db, bucketId, key, inlineBodies, objectRows);
  return (await freshness.noting(found)).obj;
}

async function objectToRead(deps: ReadDeps, bucketId: string, key: string): Promise<StoredObject> {
  const obj = await findObjectToRead(deps, bucketId, key);
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
  /** partNumber=N: the part's bytes instead of a Range (found by `partOf`). */
  part?: PartSlice;
}

/** The bytes of one part of an object (a part-wise GET/HEAD), with that part's checksum if known. */
export interface PartSlice {
  start: number;
  end: number;
  count: number;
  checksum: string | null;
}

/** Part `partText` of `obj`: for an object not made by multipart upload, part 1 is the whole object. */
export async function partOf(db: Db, obj: StoredObject, partText: string, headers: Headers) {
  const n = /^\d{1,5}$/.test(partText) ? Number(partText) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER))
    throw new S3Error(
      'InvalidArgument',
      `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`,
      { fields: { ArgumentName: 'partNumber', ArgumentValue: partText } },
    );
  if (headers.has('range'))
    throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter.');
  const unsatisfiable = () =>
    new S3Error('InvalidPartNumber', undefined, {
      fields: { PartNumberRequested: String(n), ActualPartCount: String(obj.partsCount ?? 1) },
    });
  if (obj.partsCount === null) {
    if (n !== 1) throw unsatisfiable();
    return { start: 0, end: obj.size, count: 1, checksum: obj.checksumValue };
  }
  const part = await objectPart(db, obj.id, n);
  if (!part) throw unsatisfiable();
  const start = part.offset;
  return { start, end: start + part.size, count: obj.partsCount, checksum: part.checksumValue };
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
): Promise<Reply> {
  // (stored values pass storedFieldValue: rows written before values were checked on the way in)
  const cacheControl = storedFieldValue(obj.cacheControl ?? bucket.defaultCacheControl);
  const expires = storedFieldValue(obj.expires);
  const outcome = evaluateConditions(conditionHeaders(reqHeaders), obj.etag, obj.lastModified);
  if (outcome === 'precondition-failed')
    throw new S3Error('PreconditionFailed', undefined, {
      fields: { Condition: 'If-Match or If-Unmodified-Since' },
    });
  if (outcome === 'not-modified') {
    const h = new Fields();
    h.set('etag', quoteEtag(obj.etag));
    h.set('last-modified', httpDate(obj.lastModified));
    if (cacheControl) h.set('cache-control', cacheControl);
    if (expires) h.set('expires', expires);
    return new Reply(304, null, h);
  }
  const range = opts.part
    ? null
    : opts.status && opts.status !== 200
      ? null
      : parseRange(rangeToHonour(reqHeaders, obj.etag, obj.lastModified), obj.size);
  if (range === 'unsatisfiable') {
    throw new S3Error('InvalidRange', undefined, {
      fields: { RangeRequested: reqHeaders.get('range') ?? '', ActualObjectSize: String(obj.size) },
      headers: { 'content-range': `bytes */${obj.size}` },
    });
  }
  const checksumMode = reqHeaders.get('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
  const part = opts.part;
  const h = describeObject(obj, {
    storageClass: bucket.storageClass,
    withChecksum: range === null && checksumMode && (!part || obj.partsCount === null),
  });
  if (cacheControl) h.set('cache-control', cacheControl);
  if (opts.query) applyOverrides(h, opts.query, opts.signed ?? false);
  const start = part?.start ?? range?.start ?? 0;
  const end = part?.end ?? (range ? range.end + 1 : obj.size);
  h.set('content-length', String(end - start));
  if (range) h.set('content-range', `bytes ${range.start}-${range.end}/${obj.size}`);
  if (part) {
    h.set('x-amz-mp-parts-count', String(part.count));
    if (end > start) h.set('content-range', `bytes ${start}-${end - 1}/${obj.size}`);
    // a part of a multipart object carries its own checksum: the bytes sent are the part's
    if (
      checksumMode &&
      obj.partsCount !== null &&
      part.checksum &&
      obj.checksumAlgorithm &&
      isChecksumAlgorithm(obj.checksumAlgorithm)
    )
      h.set(checksumHeader(obj.checksumAlgorithm), part.checksum);
  }
  const status = range || part ? 206 : (opts.status ?? 200);
  if (!opts.withBody) return new Reply(status, null, h);
  if (obj.inlineData)
    return new Reply(status, obj.inlineData.subarray(start, end) as Uint8Array<ArrayBuffer>, h);
  const spans = await spansOf(deps.db, obj, deps.chunkLists);
  if (!spans) {
    // overwritten or deleted since its row was read: answer for what is at the key now
    if ((opts.changed ?? 0) >= 3)
      throw new S3Error('ServiceUnavailable', 'The object kept changing while it was read; try again.');
    if (opts.part)
      throw new S3Error('ServiceUnavailable', 'The object changed while its part was read; try again.');
    const now = await requireObject(deps.db, obj.bucketId, obj.key);
    return objectResponse(deps, now, bucket, reqHeaders, { ...opts, changed: (opts.changed ?? 0) + 1 });
  }
  const body =
    end - start <= SMALL_RANGE_BYTES
      ? ((await readRange(deps.store, deps.digests, spans, start, end)) as Uint8Array<ArrayBuffer>)
      : await openRange(deps.store, deps.digests, spans, start, end);
  return new Reply(status, body, h);
}

export function readHandlers(deps: ReadDeps) {
  const read = async (call: ObjectCall, withBody: boolean) => {
    const partText = queryParam(call, 'partNumber');
    let obj = await objectToRead(deps, call.bucket.id, call.key);
    let part: PartSlice | undefined;
    for (let tries = 0; partText !== undefined && !part; tries++) {
      try {
        part = await partOf(deps.db, obj, partText, call.headers);
      } catch (e) {
        // the part rows go with their object: a missing part may mean the object was just replaced
        const now =
          isS3Error(e) && e.code === 'InvalidPartNumber' && tries < 3
            ? await findObject(deps.db, obj.bucketId, obj.key)
            : null;
        if (!now || now.id === obj.id) throw e;
        obj = now;
      }
    }
    return objectResponse(deps, obj, call.bucket, call.headers, {
      withBody,
      query: call.target.query,
      signed: call.principal.kind !== 'anonymous',
      part,
    });
  };
  return {
    ...attributeHandlers(deps),
    GetObject: (call: ObjectCall) => read(call, true),
    HeadObject: (call: ObjectCall) => read(call, false),
  };
}
