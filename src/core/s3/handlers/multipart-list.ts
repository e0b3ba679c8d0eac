/** ListParts and ListMultipartUploads. */
import type { Outgoing } from '../../http/reply.ts';
import { uriEncode } from '../../auth/sigv4.ts';
import type { Db } from '../../db/index.ts';
import { S3Error } from '../../errors.ts';
import { type Upload, findUpload, listParts, listUploads } from '../../model/multipart.ts';
import { document, leaf, node } from '../../xml.ts';
import { type BucketCall, type ObjectCall, queryParam, xmlResponse } from '../call.ts';
import { isoDate, quoteEtag } from '../headers.ts';

export interface MultipartListDeps {
  db: Db;
}

const PAGE = 1000;

function pageSize(call: BucketCall, name: string): number {
  const v = queryParam(call, name);
  if (v === undefined || v === '') return PAGE;
  if (!/^\d+$/.test(v))
    throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, {
      fields: { ArgumentName: name, ArgumentValue: v },
    });
  return Math.min(Number(v), PAGE);
}

function person(accountId: string) {
  return [
    node('Initiator', leaf('ID', accountId), leaf('DisplayName', accountId)),
    node('Owner', leaf('ID', accountId), leaf('DisplayName', accountId)),
  ];
}

export function multipartListHandlers(deps: MultipartListDeps) {
  return {
    async ListParts(call: ObjectCall): Promise<Outgoing> {
      const upload = await findUpload(deps.db, call.bucket.id, call.key, queryParam(call, 'uploadId')!);
      const max = pageSize(call, 'max-parts');
      const markerText = queryParam(call, 'part-number-marker') ?? '0';
      const marker = /^\d+$/.test(markerText) ? Number(markerText) : NaN;
      if (Number.isNaN(marker))
        throw new S3Error('InvalidArgument', 'part-number-marker must be an integer.', {
          fields: { ArgumentName: 'part-number-marker' },
        });
      const rows = await listParts(deps.db, upload.id, marker, max + 1);
      const page = rows.slice(0, max);
      const truncated = rows.length > max;
      return xmlResponse(
        document(
          'ListPartsResult',
          leaf('Bucket', call.bucket.name),
          leaf('Key', call.key),
          leaf('UploadId', upload.id),
          ...person(call.bucket.accountId),
          leaf('StorageClass', call.bucket.storageClass),
          leaf('PartNumberMarker', marker),
          page.length ? leaf('NextPartNumberMarker', page[page.length - 1]!.partNumber) : '',
          leaf('MaxParts', max),
          leaf('IsTruncated', truncated),
          upload.checksumAlgorithm ? leaf('ChecksumAlgorithm', upload.checksumAlgorithm) : '',
          upload.checksumType ? leaf('ChecksumType', upload.checksumType) : '',
          ...page.map((p) =>
            node(
              'Part',
              leaf('PartNumber', p.partNumber),
              leaf('LastModified', isoDate(p.lastModified)),
              leaf('ETag', quoteEtag(p.etag)),
              leaf('Size', p.size),
              p.checksumValue && upload.checksumAlgorithm
                ? leaf(`Checksum${upload.checksumAlgorithm}`, p.checksumValue)
                : '',
            ),
          ),
        ),
      );
    },

    async ListMultipartUploads(call: BucketCall): Promise<Outgoing> {
      const prefix = queryParam(call, 'prefix') ?? '';
      const delimiter = queryParam(call, 'delimiter') ?? '';
      const keyMarker = queryParam(call, 'key-marker') ?? '';
      const uploadIdMarker = queryParam(call, 'upload-id-marker') ?? '';
      const max = pageSize(call, 'max-uploads');
      const encoding = queryParam(call, 'encoding-type');
      if (encoding !== undefined && encoding !== 'url')
        throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', {
          fields: { ArgumentName: 'encoding-type' },
        });
      const enc = (s: string) => (encoding ? uriEncode(s, true) : s);

      // In-progress uploads are few per bucket; common prefixes are folded in as the pages are read.
      const uploads: Upload[] = [];
      const prefixes: string[] = [];
      let truncated = false;
      let last: { key: string; id: string } | null = null;
      let cursor = { key: keyMarker, id: uploadIdMarker };
      outer: for (;;) {
        const rows = await listUploads(deps.db, {
          bucketId: call.bucket.id,
          prefix,
          keyMarker: cursor.key,
          uploadIdMarker: cursor.id,
          limit: max + 1,
        });
        for (const u of rows) {
          cursor = { key: u.key, id: u.id };
          const at = delimiter ? u.key.indexOf(delimiter, prefix.length) : -1;
          const cp = at >= 0 ? u.key.slice(0, at + delimiter.length) : null;
          if (cp !== null && cp === prefixes[prefixes.length - 1]) continue;
          if (uploads.length + prefixes.length === max) {
            truncated = true;
            break outer;
          }
          if (cp !== null) prefixes.push(cp);
          else uploads.push(u);
          last = { key: u.key, id: u.id };
        }
        if (rows.length <= max) break;
      }
      return xmlResponse(
        document(
          'ListMultipartUploadsResult',
          leaf('Bucket', call.bucket.name),
          leaf('KeyMarker', enc(keyMarker)),
          leaf('UploadIdMarker', uploadIdMarker),
          truncated && last ? leaf('NextKeyMarker', enc(last.key)) : '',
          truncated && last ? leaf('NextUploadIdMarker', last.id) : '',
          prefix ? leaf('Prefix', enc(prefix)) : '',
          delimiter ? leaf('Delimiter', enc(delimiter)) : '',
          leaf('MaxUploads', max),
          leaf('IsTruncated', truncated),
          encoding ? leaf('EncodingType', 'url') : '',
          ...uploads.map((u) =>
            node(
              'Upload',
              leaf('Key', enc(u.key)),
              leaf('UploadId', u.id),
              ...person(call.bucket.accountId),
              leaf('StorageClass', call.bucket.storageClass),
              leaf('Initiated', isoDate(u.initiatedAt)),
              u.checksumAlgorithm ? leaf('ChecksumAlgorithm', u.checksumAlgorithm) : '',
              u.checksumType ? leaf('ChecksumType', u.checksumType) : '',
            ),
          ),
          ...prefixes.map((p) => node('CommonPrefixes', leaf('Prefix', enc(p)))),
        ),
      );
    },
  };
}
