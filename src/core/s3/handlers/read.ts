/** GetObject and HeadObject: conditional requests, ranges, response-* overrides, verified bytes. */
import { openRange } from '../../block/reader.ts';
import type { ChunkStore } from '../../block/store.ts';
import type { Db } from '../../db/index.ts';
import type { Digests } from '../../digests.ts';
import { S3Error } from '../../errors.ts';
import { chunkSpans, findObject, type StoredObject } from '../../model/objects.ts';
import type { ObjectCall } from '../call.ts';
import { conditionHeaders, evaluateConditions, parseRange } from '../conditions.ts';
import { applyOverrides, describeObject, httpDate, quoteEtag } from '../headers.ts';

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

async function bodyOf(deps: ReadDeps, obj: StoredObject, start: number, end: number): Promise<BodyInit> {
  if (obj.inlineData) return obj.inlineData.subarray(start, end) as Uint8Array<ArrayBuffer>;
  return openRange(deps.store, deps.digests, await chunkSpans(deps.db, obj.id), start, end);
}

export function readHandlers(deps: ReadDeps) {
  async function read(call: ObjectCall, withBody: boolean): Promise<Response> {
    const obj = await requireObject(deps.db, call.bucket.id, call.key);
    const outcome = evaluateConditions(conditionHeaders(call.headers), obj.etag, obj.lastModified);
    if (outcome === 'precondition-failed') throw new S3Error('PreconditionFailed', undefined, { fields: { Condition: 'If-Match or If-Unmodified-Since' } });
    if (outcome === 'not-modified') {
      const h = new Headers({ etag: quoteEtag(obj.etag), 'last-modified': httpDate(obj.lastModified) });
      if (obj.cacheControl) h.set('cache-control', obj.cacheControl);
      return new Response(null, { status: 304, headers: h });
    }
    const range = parseRange(call.headers.get('range'), obj.size);
    if (range === 'unsatisfiable') {
      throw new S3Error('InvalidRange', undefined, {
        fields: { RangeRequested: call.headers.get('range') ?? '', ActualObjectSize: String(obj.size) },
        headers: { 'content-range': `bytes */${obj.size}` },
      });
    }
    const h = describeObject(obj, {
      storageClass: call.bucket.storageClass,
      withChecksum: range === null && call.headers.get('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED',
    });
    applyOverrides(h, call.target.query, call.auth.principal.kind !== 'anonymous');
    const start = range?.start ?? 0;
    const end = range ? range.end + 1 : obj.size;
    h.set('content-length', String(end - start));
    if (range) h.set('content-range', `bytes ${range.start}-${range.end}/${obj.size}`);
    const status = range ? 206 : 200;
    if (!withBody) return new Response(null, { status, headers: h });
    return new Response(await bodyOf(deps, obj, start, end), { status, headers: h });
  }

  return {
    GetObject: (call: ObjectCall) => read(call, true),
    HeadObject: (call: ObjectCall) => read(call, false),
  };
}
