/**
 * GetObjectAttributes (`GET /key?attributes`): what `x-amz-object-attributes` names of ETag, Checksum,
 * ObjectParts (paged by x-amz-max-parts / x-amz-part-number-marker), StorageClass and ObjectSize, in one
 * small XML answer without the bytes.
 */
import type { Outgoing } from '../../http/reply.ts';
import { isChecksumAlgorithm } from '../../checksums.ts';
import { S3Error } from '../../errors.ts';
import { MAX_PART_NUMBER } from '../../model/multipart.ts';
import { findObject } from '../../model/object-reads.ts';
import type { StoredObject } from '../../model/objects.ts';
import type { Db } from '../../db/index.ts';
import { objectPartList } from '../../model/parts.ts';
import { document, leaf, node } from '../../xml.ts';
import { type ObjectCall, xmlResponse } from '../call.ts';
import { httpDate } from '../headers.ts';

const ATTRIBUTES = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
type Attribute = (typeof ATTRIBUTES)[number];

function wanted(headers: Headers): Set<Attribute> {
  const names = (headers.get('x-amz-object-attributes') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new S3Error(
      'InvalidArgument',
      'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty',
      { fields: { ArgumentName: 'x-amz-object-attributes' } },
    );
  const out = new Set<Attribute>();
  for (const n of names) {
    const known = ATTRIBUTES.find((a) => a.toLowerCase() === n.toLowerCase());
    if (!known)
      throw new S3Error('InvalidArgument', 'Invalid attribute name specified.', {
        fields: { ArgumentName: 'x-amz-object-attributes', ArgumentValue: n },
      });
    out.add(known);
  }
  return out;
}

function intHeader(headers: Headers, name: string, fallback: number, max: number): number {
  const v = headers.get(name);
  if (v === null) return fallback;
  if (!/^\d{1,9}$/.test(v.trim()))
    throw new S3Error('InvalidArgument', `${name} must be a non-negative integer.`, {
      fields: { ArgumentName: name, ArgumentValue: v },
    });
  return Math.min(Number(v.trim()), max);
}

/** The checksum element of an object or part: Checksum<ALG> when the object has an algorithm. */
function checksumLeaf(obj: StoredObject, value: string | null): string {
  return obj.checksumAlgorithm && isChecksumAlgorithm(obj.checksumAlgorithm) && value
    ? leaf(`Checksum${obj.checksumAlgorithm}`, value)
    : '';
}

async function objectParts(deps: { db: Db }, obj: StoredObject, headers: Headers): Promise<string> {
  if (obj.partsCount === null) return '';
  const max = intHeader(headers, 'x-amz-max-parts', 1000, 1000);
  const marker = intHeader(headers, 'x-amz-part-number-marker', 0, MAX_PART_NUMBER);
  const rows = await objectPartList(deps.db, obj.id, marker, max + 1);
  const page = rows.slice(0, max);
  const truncated = rows.length > max;
  return node(
    'ObjectParts',
    leaf('PartsCount', obj.partsCount),
    leaf('PartNumberMarker', marker),
    leaf('NextPartNumberMarker', page.at(-1)?.partNumber ?? marker),
    leaf('MaxParts', max),
    leaf('IsTruncated', truncated),
    ...page.map((p) =>
      node(
        'Part',
        leaf('PartNumber', p.partNumber),
        leaf('Size', p.size),
        checksumLeaf(obj, p.checksumValue),
      ),
    ),
  );
}

export function attributeHandlers(deps: { db: Db }) {
  return {
    async GetObjectAttributes(call: ObjectCall): Promise<Outgoing> {
      const want = wanted(call.headers);
      const obj = await findObject(deps.db, call.bucket.id, call.key);
      if (!obj) throw new S3Error('NoSuchKey', undefined, { fields: { Key: call.key } });
      const checksum = checksumLeaf(obj, obj.checksumValue);
      return xmlResponse(
        document(
          'GetObjectAttributesResponse',
          want.has('ETag') ? leaf('ETag', obj.etag) : '',
          want.has('Checksum') && checksum
            ? node('Checksum', checksum, leaf('ChecksumType', obj.checksumType))
            : '',
          want.has('ObjectParts') ? await objectParts(deps, obj, call.headers) : '',
          want.has('StorageClass') ? leaf('StorageClass', call.bucket.storageClass) : '',
          want.has('ObjectSize') ? leaf('ObjectSize', obj.size) : '',
        ),
        200,
        { 'last-modified': httpDate(obj.lastModified) },
      );
    },
  };
}
