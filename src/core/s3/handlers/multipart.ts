/**
 * Multipart upload: create, upload a part (or copy one), abort. Completing is in multipart-complete.ts,
 * listing in multipart-list.ts.
 */
import type { Outgoing } from '../../http/reply.ts';
import { openRange } from '../../block/reader.ts';
import {
  type ChecksumAlgorithm,
  checksumHeader,
  isChecksumAlgorithm,
  supportsFullObject,
} from '../../checksums.ts';
import { S3Error } from '../../errors.ts';
import {
  MAX_PART_NUMBER,
  type Upload,
  abortUpload,
  commitPart,
  createUpload,
  findUpload,
} from '../../model/multipart.ts';
import { spansOf } from '../../model/object-reads.ts';
import { document, leaf } from '../../xml.ts';
import { checkNewKey } from '../target.ts';
import { BodyDigests, type IncomingBody, incomingBody } from '../../http/body.ts';
import { type Handled, type ObjectCall, queryParam, xmlResponse } from '../call.ts';
import { isoDate, objectHeadersFrom, quoteEtag } from '../headers.ts';
import { ingest, orUndo } from '../ingest.ts';
import { completeHandlers, uploadAlgorithm } from './multipart-complete.ts';
import { type WriteDeps, checkAcl, checkStorageClass, copySource, reserveFor } from './write.ts';

const MiB = 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 * MiB;

function partNumberOf(call: ObjectCall): number {
  const v = queryParam(call, 'partNumber') ?? '';
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= MAX_PART_NUMBER)) {
    throw new S3Error(
      'InvalidArgument',
      `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`,
      { fields: { ArgumentName: 'partNumber', ArgumentValue: v } },
    );
  }
  return n;
}

async function storePart(
  deps: WriteDeps,
  call: ObjectCall,
  upload: Upload,
  partNumber: number,
  incoming: IncomingBody,
  digests: BodyDigests,
) {
  const reserved = await reserveFor(deps, call.bucket, incoming.length ?? 0, MAX_PART_SIZE);
  return orUndo(reserved.release, async () => {
    const limits = { ...deps.limits, inlineMax: -1, maxSize: MAX_PART_SIZE };
    const body = await ingest(deps, incoming, digests, limits, reserved.reservation);
    const part = await orUndo(body.abort, () =>
      commitPart(deps.db, upload, {
        partNumber,
        size: body.size,
        etag: body.md5Hex,
        checksumValue: body.checksum?.value ?? null,
        staged: body.body.kind === 'staged' ? body.body : null,
        reservationId: reserved.quota.reservationId,
      }),
    );
    return { part, checksum: body.checksum };
  });
}

export function multipartHandlers(deps: WriteDeps) {
  return {
    ...completeHandlers(deps),
    async CreateMultipartUpload(call: ObjectCall): Promise<Outgoing> {
      checkNewKey(call.key);
      checkStorageClass(call.headers, call.bucket);
      checkAcl(call.headers.get('x-amz-acl'), call.bucket);
      const headers = objectHeadersFrom(call.headers);
      const algText = call.headers.get('x-amz-checksum-algorithm')?.toUpperCase() ?? null;
      if (algText !== null && !isChecksumAlgorithm(algText))
        throw new S3Error('InvalidRequest', `Checksum algorithm "${algText}" is not supported.`);
      const alg = algText as ChecksumAlgorithm | null;
      const typeText = call.headers.get('x-amz-checksum-type')?.toUpperCase() ?? null;
      if (typeText !== null && typeText !== 'FULL_OBJECT' && typeText !== 'COMPOSITE')
        throw new S3Error('InvalidRequest', 'x-amz-checksum-type must be FULL_OBJECT or COMPOSITE.');
      if (typeText && !alg)
        throw new S3Error('InvalidRequest', 'x-amz-checksum-type needs x-amz-checksum-algorithm.');
      const type = alg
        ? ((typeText ?? (alg === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE')) as 'FULL_OBJECT' | 'COMPOSITE')
        : null;
      if (alg && type === 'FULL_OBJECT' && !supportsFullObject(alg))
        throw new S3Error('InvalidRequest', `The FULL_OBJECT checksum type cannot be used with ${alg}.`);
      if (alg === 'CRC64NVME' && type === 'COMPOSITE')
        throw new S3Error('InvalidRequest', 'The COMPOSITE checksum type cannot be used with CRC64NVME.');
      const upload = await createUpload(deps.db, {
        bucketId: call.bucket.id,
        key: call.key,
        headers,
        checksumAlgorithm: alg,
        checksumType: type,
      });
      const out: Record<string, string> = {};
      if (alg && type) Object.assign(out, { 'x-amz-checksum-algorithm': alg, 'x-amz-checksum-type': type });
      return xmlResponse(
        document(
          'InitiateMultipartUploadResult',
          leaf('Bucket', call.bucket.name),
          leaf('Key', call.key),
          leaf('UploadId', upload.id),
        ),
        200,
        out,
      );
    },

    async UploadPart(call: ObjectCall): Promise<Outgoing> {
      const partNumber = partNumberOf(call);
      const upload = await findUpload(deps.db, call.bucket.id, call.key, queryParam(call, 'uploadId')!);
      const incoming = incomingBody(call.body, call.headers, call.auth.payload, deps.digests);
      if (incoming.length === null) throw new S3Error('MissingContentLength');
      const digests = new BodyDigests(call.headers, deps.digests, uploadAlgorithm(upload));
      const { part, checksum } = await storePart(deps, call, upload, partNumber, incoming, digests);
      const out = new Headers({ etag: quoteEtag(part.etag) });
      if (checksum) out.set(checksumHeader(checksum.algorithm), checksum.value);
      return new Response(null, { status: 200, headers: out });
    },

    async UploadPartCopy(call: ObjectCall): Promise<Handled> {
      const partNumber = partNumberOf(call);
      const upload = await findUpload(deps.db, call.bucket.id, call.key, queryParam(call, 'uploadId')!);
      let { bucket: sourceBucket, object: source } = await copySource(deps.db, call);
      let spans = source.inlineData ? [] : await spansOf(deps.db, source);
      for (let tries = 0; !spans; tries++) {
        // the source was overwritten since its row was read: copy what is there now
        if (tries === 3)
          throw new S3Error(
            'ServiceUnavailable',
            'The source object kept changing while it was read; try again.',
          );
        ({ bucket: sourceBucket, object: source } = await copySource(deps.db, call));
        spans = source.inlineData ? [] : await spansOf(deps.db, source);
      }
      let start = 0;
      let end = source.size;
      const rangeText = call.headers.get('x-amz-copy-source-range');
      if (rangeText !== null) {
        const m = /^bytes=(\d+)-(\d+)$/.exec(rangeText.trim());
        if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= source.size) {
          throw new S3Error(
            'InvalidArgument',
            `Range specified is not valid for source object of size: ${source.size}`,
            { fields: { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: rangeText } },
          );
        }
        start = Number(m[1]);
        end = Number(m[2]) + 1;
      }
      if (end - start > MAX_PART_SIZE)
        throw new S3Error('EntityTooLarge', 'A copied part may be at most 5 GiB.');
      // The bytes are read and chunked again; where the range is chunk-aligned the chunks deduplicate.
      const stream = source.inlineData
        ? new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(source.inlineData!.subarray(start, end));
              c.close();
            },
          })
        : await openRange(deps.store, deps.digests, spans, start, end);
      const incoming: IncomingBody = { chunks: stream, length: end - start, trailers: new Map() };
      const digests = new BodyDigests(new Headers(), deps.digests, uploadAlgorithm(upload));
      const { part, checksum } = await storePart(deps, call, upload, partNumber, incoming, digests);
      const res = xmlResponse(
        document(
          'CopyPartResult',
          leaf('LastModified', isoDate(part.lastModified)),
          leaf('ETag', quoteEtag(part.etag)),
          checksum ? leaf(`Checksum${checksum.algorithm}`, checksum.value) : '',
        ),
      );
      // bytes read out of a COLD bucket are a retrieval
      if (sourceBucket.storageClass === 'COLD' && call.bucket.storageClass !== 'COLD')
        return { res, facts: { retrievalBytes: end - start } };
      return res;
    },

    async AbortMultipartUpload(call: ObjectCall): Promise<Outgoing> {
      const upload = await findUpload(deps.db, call.bucket.id, call.key, queryParam(call, 'uploadId')!);
      await abortUpload(deps.db, upload.id);
      return new Response(null, { status: 204 });
    },
  };
}
