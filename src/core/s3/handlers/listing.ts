/** ListObjectsV2 and ListObjects (v1). Pagination is keyset-based (model/listing.ts). */
import type { Outgoing } from '../../http/reply.ts';
import { uriEncode } from '../../auth/sigv4.ts';
import type { Db } from '../../db/index.ts';
import { fromBase64Url, toBase64Url, utf8 } from '../../digests.ts';
import { S3Error } from '../../errors.ts';
import { type ListResult, type ListedObject, listObjects } from '../../model/listing.ts';
import { document, leaf, node } from '../../xml.ts';
import { type BucketCall, queryParam, xmlResponse } from '../call.ts';
import { isoDate, quoteEtag } from '../headers.ts';

export interface ListingDeps {
  db: Db;
}

const MAX_KEYS = 1000;

function maxKeysOf(call: BucketCall): number {
  const v = queryParam(call, 'max-keys');
  if (v === undefined || v === '') return MAX_KEYS;
  if (!/^\d+$/.test(v))
    throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', {
      fields: { ArgumentName: 'max-keys', ArgumentValue: v },
    });
  return Math.min(Number(v), MAX_KEYS);
}

function encoderOf(call: BucketCall): (s: string) => string {
  const enc = queryParam(call, 'encoding-type');
  if (enc === undefined) return (s) => s;
  if (enc !== 'url')
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', {
      fields: { ArgumentName: 'encoding-type', ArgumentValue: enc },
    });
  return (s) => uriEncode(s, true);
}

function contents(
  o: ListedObject,
  storageClass: string,
  enc: (s: string) => string,
  owner: string | null,
): string {
  return node(
    'Contents',
    leaf('Key', enc(o.key)),
    leaf('LastModified', isoDate(o.lastModified)),
    leaf('ETag', quoteEtag(o.etag)),
    o.checksumAlgorithm ? leaf('ChecksumAlgorithm', o.checksumAlgorithm) : '',
    o.checksumType ? leaf('ChecksumType', o.checksumType) : '',
    leaf('Size', o.size),
    owner !== null ? node('Owner', leaf('ID', owner), leaf('DisplayName', owner)) : '',
    leaf('StorageClass', storageClass),
  );
}

function entries(r: ListResult, call: BucketCall, enc: (s: string) => string, withOwner: boolean): string[] {
  const owner = withOwner ? call.bucket.accountId : null;
  return [
    ...r.contents.map((o) => contents(o, call.bucket.storageClass, enc, owner)),
    ...r.commonPrefixes.map((p) => node('CommonPrefixes', leaf('Prefix', enc(p)))),
  ];
}

export function listingHandlers(deps: ListingDeps) {
  return {
    async ListObjectsV2(call: BucketCall): Promise<Outgoing> {
      const prefix = queryParam(call, 'prefix') ?? '';
      const delimiter = queryParam(call, 'delimiter') ?? '';
      const maxKeys = maxKeysOf(call);
      const enc = encoderOf(call);
      // an empty token is the first page, as in S3 (SDK paginators send one)
      const token = queryParam(call, 'continuation-token') || undefined;
      const startAfter = queryParam(call, 'start-after');
      let after = startAfter ?? '';
      if (token !== undefined) {
        const bytes = fromBase64Url(token);
        if (!bytes)
          throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', {
            fields: { ArgumentName: 'continuation-token' },
          });
        after = new TextDecoder().decode(bytes);
      }
      const r = await listObjects(deps.db, {
        bucketId: call.bucket.id,
        prefix,
        delimiter,
        after,
        afterIsResumePoint: token !== undefined,
        maxKeys,
      });
      return xmlResponse(
        document(
          'ListBucketResult',
          leaf('Name', call.bucket.name),
          leaf('Prefix', enc(prefix)),
          delimiter ? leaf('Delimiter', enc(delimiter)) : '',
          leaf('MaxKeys', maxKeys),
          leaf('KeyCount', r.contents.length + r.commonPrefixes.length),
          leaf('IsTruncated', r.isTruncated),
          token !== undefined ? leaf('ContinuationToken', token) : '',
          r.isTruncated && r.last !== null ? leaf('NextContinuationToken', toBase64Url(utf8(r.last))) : '',
          startAfter !== undefined ? leaf('StartAfter', enc(startAfter)) : '',
          queryParam(call, 'encoding-type') ? leaf('EncodingType', 'url') : '',
          ...entries(r, call, enc, queryParam(call, 'fetch-owner') === 'true'),
        ),
      );
    },

    async ListObjects(call: BucketCall): Promise<Outgoing> {
      const prefix = queryParam(call, 'prefix') ?? '';
      const delimiter = queryParam(call, 'delimiter') ?? '';
      const marker = queryParam(call, 'marker') ?? '';
      const maxKeys = maxKeysOf(call);
      const enc = encoderOf(call);
      const r = await listObjects(deps.db, {
        bucketId: call.bucket.id,
        prefix,
        delimiter,
        after: marker,
        afterIsResumePoint: true,
        maxKeys,
      });
      return xmlResponse(
        document(
          'ListBucketResult',
          leaf('Name', call.bucket.name),
          leaf('Prefix', enc(prefix)),
          leaf('Marker', enc(marker)),
          delimiter ? leaf('Delimiter', enc(delimiter)) : '',
          leaf('MaxKeys', maxKeys),
          leaf('IsTruncated', r.isTruncated),
          // S3 sends NextMarker only with a delimiter; without one, clients resume from the last key
          r.isTruncated && delimiter && r.last !== null ? leaf('NextMarker', enc(r.last)) : '',
          queryParam(call, 'encoding-type') ? leaf('EncodingType', 'url') : '',
          ...entries(r, call, enc, true),
        ),
      );
    },
  };
}
