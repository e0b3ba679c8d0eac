/**
 * CompleteMultipartUpload, and its retry: completing again with the same part list once the upload is
 * done answers 200 with the object it made (while that object is still at its key), as S3 does for a
 * client whose first response was lost; any other part list then is NoSuchUpload.
 */
import type { Outgoing } from '../../http/reply.ts';
import {
  type ChecksumAlgorithm,
  CHECKSUM_ALGORITHMS,
  checksumHeader,
  combineCrc,
  createChecksum,
  isChecksumAlgorithm,
} from '../../checksums.ts';
import { fromBase64, fromHex, toBase64, toHex } from '../../digests.ts';
import { S3Error, isS3Error } from '../../errors.ts';
import {
  MAX_PART_NUMBER,
  type Part,
  type Upload,
  completeUpload,
  findUpload,
  partsOf,
} from '../../model/multipart.ts';
import type { StoredObject } from '../../model/objects.ts';
import { completedBy, objectPartList } from '../../model/parts.ts';
import { type XmlObject, children, document, leaf, parseXml, text } from '../../xml.ts';
import { incomingBody, readSmallBody } from '../../http/body.ts';
import { type ObjectCall, queryParam, xmlResponse } from '../call.ts';
import { quoteEtag } from '../headers.ts';
import { type WriteDeps, writeCondition } from './write.ts';

const MiB = 1024 * 1024;
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_OBJECT_SIZE = 5 * 1024 * 1024 * MiB;

interface ListedPart {
  partNumber: number;
  etag: string;
  /** The part's checksums as listed, by algorithm. */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

export function uploadAlgorithm(upload: Pick<Upload, 'checksumAlgorithm'>): ChecksumAlgorithm | null {
  return upload.checksumAlgorithm && isChecksumAlgorithm(upload.checksumAlgorithm)
    ? upload.checksumAlgorithm
    : null;
}

function parsePartList(doc: XmlObject): ListedPart[] {
  const listed = children(doc, 'Part').map((p) => {
    const n = Number(text(p, 'PartNumber'));
    const etag = text(p, 'ETag');
    if (!Number.isInteger(n) || etag === undefined)
      throw new S3Error('MalformedXML', 'Every <Part> needs a <PartNumber> and an <ETag>.');
    const checksums: ListedPart['checksums'] = {};
    for (const alg of CHECKSUM_ALGORITHMS) {
      const v = text(p, `Checksum${alg}`);
      if (v !== undefined) checksums[alg] = v.trim();
    }
    return { partNumber: n, etag: etag.trim().replace(/^"(.*)"$/, '$1'), checksums };
  });
  if (listed.length === 0) throw new S3Error('MalformedXML', 'You must specify at least one part.');
  if (listed.length > MAX_PART_NUMBER)
    throw new S3Error('MalformedXML', `An upload has at most ${MAX_PART_NUMBER} parts.`);
  for (let i = 1; i < listed.length; i++) {
    if (listed[i]!.partNumber <= listed[i - 1]!.partNumber) throw new S3Error('InvalidPartOrder');
  }
  return listed;
}

/**
 * The whole object's checksum from its parts': COMPOSITE (checksum of checksums, "-N") or FULL_OBJECT (CRC
 * combine).
 */
function objectChecksum(upload: Upload, parts: Part[], deps: WriteDeps): string | null {
  const alg = uploadAlgorithm(upload);
  if (!alg) return null;
  const values = parts.map((p) => {
    const v = p.checksumValue ? fromBase64(p.checksumValue) : null;
    if (!v) throw new S3Error('InvalidPart', `Part ${p.partNumber} has no ${alg} checksum.`);
    return v;
  });
  if (upload.checksumType === 'FULL_OBJECT') {
    let acc = values[0]!;
    for (let i = 1; i < values.length; i++) acc = combineCrc(alg, acc, values[i]!, parts[i]!.size);
    return toBase64(acc);
  }
  const h = createChecksum(alg, deps.digests);
  for (const v of values) h.update(v);
  return `${toBase64(h.digest())}-${parts.length}`;
}

/** A whole-object checksum sent with the Complete request must be the one the parts make. */
function checkSentChecksum(headers: Headers, upload: Upload, computed: string | null): void {
  const type = headers.get('x-amz-checksum-type')?.toUpperCase();
  if (type && type !== upload.checksumType)
    throw new S3Error(
      'InvalidRequest',
      `The upload was created with the ${upload.checksumType ?? 'no'} checksum type, not ${type}.`,
    );
  for (const alg of CHECKSUM_ALGORITHMS) {
    const sent = headers.get(checksumHeader(alg))?.trim();
    if (sent === undefined) continue;
    if (alg !== upload.checksumAlgorithm || computed === null)
      throw new S3Error(
        'InvalidRequest',
        `The upload was created with ${upload.checksumAlgorithm ?? 'no'} checksums; ${checksumHeader(alg)} cannot be checked.`,
      );
    if (sent.replace(/-\d+$/, '') !== computed.replace(/-\d+$/, ''))
      throw new S3Error('BadDigest', `The ${alg} you specified did not match the calculated checksum.`);
  }
}

function completeResult(call: ObjectCall, obj: StoredObject): Outgoing {
  const host = call.headers.get('host') ?? 'localhost';
  const path = call.key.split('/').map(encodeURIComponent).join('/');
  const location = `http://${host}/${encodeURIComponent(call.bucket.name)}/${path}`;
  const checksum = obj.checksumAlgorithm && obj.checksumValue ? obj.checksumAlgorithm : null;
  return xmlResponse(
    document(
      'CompleteMultipartUploadResult',
      leaf('Location', location),
      leaf('Bucket', call.bucket.name),
      leaf('Key', call.key),
      leaf('ETag', quoteEtag(obj.etag)),
      checksum ? leaf(`Checksum${checksum}`, obj.checksumValue) : '',
      checksum ? leaf('ChecksumType', obj.checksumType) : '',
    ),
    200,
    { 'x-qoima-object-id': obj.id },
  );
}

/**
 * A Complete for an upload that is gone: the same object again if this repeats the part list that made it.
 */
async function retried(deps: WriteDeps, call: ObjectCall, uploadId: string, listed: ListedPart[]) {
  const gone = new S3Error('NoSuchUpload', undefined, { fields: { UploadId: uploadId } });
  const obj = await completedBy(deps.db, call.bucket.id, call.key, uploadId);
  if (!obj) throw gone;
  const parts = await objectPartList(deps.db, obj.id, 0, MAX_PART_NUMBER + 1);
  const same =
    parts.length === listed.length &&
    parts.every((p, i) => p.partNumber === listed[i]!.partNumber && p.etag === listed[i]!.etag);
  if (!same) throw gone;
  return completeResult(call, obj);
}

export function completeHandlers(deps: WriteDeps) {
  return {
    async CompleteMultipartUpload(call: ObjectCall): Promise<Outgoing> {
      const uploadId = queryParam(call, 'uploadId')!;
      const upload = await findUpload(deps.db, call.bucket.id, call.key, uploadId).catch((e: unknown) => {
        if (isS3Error(e) && e.code === 'NoSuchUpload') return null;
        throw e;
      });
      const condition = writeCondition(call.headers);
      const bytes = await readSmallBody(
        incomingBody(call.body, call.headers, call.auth.payload, deps.digests),
        4 * MiB,
      );
      const doc = parseXml(new TextDecoder().decode(bytes))['CompleteMultipartUpload'];
      if (doc === undefined) throw new S3Error('MalformedXML');
      const listed = parsePartList(doc as XmlObject);
      if (!upload) return retried(deps, call, uploadId, listed);
      const alg = uploadAlgorithm(upload);
      const stored = await partsOf(
        deps.db,
        upload.id,
        listed.map((p) => p.partNumber),
      );
      const parts = listed.map((l, i) => {
        const p = stored.get(l.partNumber);
        if (!p || p.etag !== l.etag) {
          throw new S3Error('InvalidPart', undefined, {
            fields: { UploadId: upload.id, PartNumber: String(l.partNumber), ETag: l.etag },
          });
        }
        // (an upload created without an algorithm ignores listed checksums: SDKs send CRC32 for every
        // part by default, and list it)
        for (const [name, value] of alg ? Object.entries(l.checksums) : []) {
          if (name !== alg)
            throw new S3Error(
              'InvalidRequest',
              `The upload was created with ${alg ?? 'no'} checksums; part ${l.partNumber} lists a ${name} checksum.`,
            );
          if (value !== p.checksumValue)
            throw new S3Error(
              'BadDigest',
              `The ${alg} checksum listed for part ${l.partNumber} does not match the uploaded part.`,
            );
        }
        if (i < listed.length - 1 && p.size < MIN_PART_SIZE) {
          throw new S3Error('EntityTooSmall', undefined, {
            fields: {
              PartNumber: String(l.partNumber),
              ProposedSize: String(p.size),
              MinSizeAllowed: String(MIN_PART_SIZE),
            },
          });
        }
        return p;
      });
      const size = parts.reduce((n, p) => n + p.size, 0);
      if (size > MAX_OBJECT_SIZE) throw new S3Error('EntityTooLarge');
      const expectedSize = call.headers.get('x-amz-mp-object-size');
      if (expectedSize !== null && expectedSize.trim() !== String(size))
        throw new S3Error(
          'InvalidRequest',
          `x-amz-mp-object-size says ${expectedSize.trim().slice(0, 30)} bytes; the parts make ${size}.`,
        );
      const limits = await deps.accountLimits.limits(call.bucket.accountId);
      if (size > limits.maxObjectSize) {
        throw new S3Error(
          'QuotaExceeded',
          `An object of ${size} bytes is larger than the largest your account may store (${limits.maxObjectSize} bytes).`,
        );
      }
      const md5 = deps.digests.createHash('md5');
      for (const p of parts) md5.update(fromHex(p.etag)!);
      const etag = `${toHex(md5.digest())}-${parts.length}`;
      const checksum = objectChecksum(upload, parts, deps);
      checkSentChecksum(call.headers, upload, checksum);
      const facts = {
        size,
        etag,
        partsCount: parts.length,
        checksumAlgorithm: checksum ? upload.checksumAlgorithm : null,
        checksumValue: checksum,
        checksumType: checksum ? upload.checksumType : null,
      };
      const quota = { accountId: call.bucket.accountId, maxObjects: limits.maxObjects };
      try {
        return completeResult(call, await completeUpload(deps.db, upload, parts, facts, condition, quota));
      } catch (e) {
        // a concurrent Complete of the same upload won: the same part list gets the same answer
        if (isS3Error(e) && e.code === 'NoSuchUpload') return retried(deps, call, uploadId, listed);
        throw e;
      }
    },
  };
}
