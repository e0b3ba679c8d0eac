/** PutObject, CopyObject, DeleteObject, DeleteObjects. */
import type { Outgoing } from '../../http/reply.ts';
import type { BlockWriterDeps } from '../../block/writer.ts';
import { checksumHeader, isChecksumAlgorithm } from '../../checksums.ts';
import type { Digests } from '../../digests.ts';
import { S3Error, isS3Error } from '../../errors.ts';
import { type Bucket, findBucket } from '../../model/buckets.ts';
import {
  type CommitQuota,
  type StoredObject,
  type WriteCondition,
  commitObject,
  copyObject,
  deleteObject,
  headersOf,
} from '../../model/objects.ts';
import { Reservation } from '../../model/quotas.ts';
import type { AccountLimits } from '../../model/fair-use.ts';
import type { Db } from '../../db/index.ts';
import { children, document, leaf, node, parseXml, text } from '../../xml.ts';
import { BodyDigests, incomingBody, readSmallBody } from '../../http/body.ts';
import { accountOf, requireScope } from '../../auth/grants.ts';
import { parseCannedAcl } from '../policy.ts';
import { type BucketCall, type Handled, type ObjectCall, xmlResponse } from '../call.ts';
import { conditionHeaders, evaluateConditions } from '../conditions.ts';
import { isoDate, objectHeadersFrom, quoteEtag } from '../headers.ts';
import { type IngestLimits, ingest, orUndo } from '../ingest.ts';
import { MAX_KEY_BYTES, checkNewKey } from '../target.ts';
import { requireObject } from './read.ts';

export interface WriteDeps extends BlockWriterDeps {
  digests: Digests;
  limits: IngestLimits;
  accountLimits: AccountLimits;
}

/**
 * Reserves `bytes` of the bucket owner's byte quota for an upload, growing up to `cap` if more arrives;
 * the returned quota goes into the commit (which settles the reservation). Release it if the commit
 * does not happen.
 */
export async function reserveFor(
  deps: WriteDeps,
  bucket: Bucket,
  bytes: number,
  cap = bytes,
): Promise<{ quota: CommitQuota; reservation: Reservation; release: () => Promise<void> }> {
  const { accountId } = bucket;
  const limits = await deps.accountLimits.limits(accountId);
  const reservation = await Reservation.open(deps.db, { accountId, bytes, cap, nodeId: deps.nodeId, limits });
  const quota = { accountId, maxObjects: limits.maxObjects, reservationId: reservation.id };
  return { quota, reservation, release: () => reservation.release() };
}

/** Objects take their bucket's storage class; a request may restate it but never ask for another. */
export function checkStorageClass(headers: Headers, bucket: Bucket): void {
  const asked = headers.get('x-amz-storage-class');
  if (asked === null || asked.toUpperCase() === bucket.storageClass) return;
  throw new S3Error(
    'InvalidStorageClass',
    `Objects take the storage class of their bucket (${bucket.storageClass}), chosen when the bucket was created; "${asked}" cannot be set per object.`,
    { fields: { StorageClassRequested: asked } },
  );
}

/** Objects follow their bucket's access type: an ACL may restate it, never ask for another. */
export function checkAcl(acl: string | null, bucket: Bucket): void {
  if (acl === null) return;
  if (parseCannedAcl(acl) !== bucket.accessType) {
    throw new S3Error(
      'NotImplemented',
      `Objects follow their bucket's access type (${bucket.accessType}); an object ACL of "${acl}" is not supported. Change the bucket's access type instead.`,
    );
  }
}

export function writeCondition(headers: Headers): WriteCondition | undefined {
  const ifNoneMatch = headers.get('if-none-match');
  const ifMatch = headers.get('if-match');
  if (ifNoneMatch !== null && ifNoneMatch.trim() !== '*') {
    throw new S3Error('NotImplemented', 'Conditional writes support only If-None-Match: *', {
      fields: { Header: 'If-None-Match' },
    });
  }
  if (ifNoneMatch === null && ifMatch === null) return undefined;
  return { ifNoneMatchAny: ifNoneMatch !== null, ifMatch: ifMatch?.trim().replace(/^"(.*)"$/, '$1') };
}

/** `x-amz-copy-source`: "bucket/key" or "/bucket/key", URL-encoded, maybe with ?versionId=null. */
function parseCopySource(value: string): { bucket: string; key: string } {
  let v = value.startsWith('/') ? value.slice(1) : value;
  const q = v.indexOf('?');
  if (q >= 0) {
    const params = new URLSearchParams(v.slice(q + 1));
    const version = params.get('versionId');
    if (version !== null && version !== 'null')
      throw new S3Error('NotImplemented', 'Object versions are not supported; copy the current object.');
    v = v.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(v);
  } catch {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding.', {
      fields: { ArgumentName: 'x-amz-copy-source' },
    });
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw new S3Error(
      'InvalidArgument',
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey.',
      { fields: { ArgumentName: 'x-amz-copy-source' } },
    );
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

/** The object named by x-amz-copy-source, once the caller may read it and its x-amz-copy-source-if-* hold. */
export async function copySource(
  db: Db,
  call: ObjectCall,
): Promise<{ bucket: Bucket; object: StoredObject }> {
  const src = parseCopySource(call.headers.get('x-amz-copy-source')!);
  const bucket = await findBucket(db, src.bucket);
  if (!bucket)
    throw new S3Error('NoSuchBucket', 'The source bucket does not exist.', {
      fields: { BucketName: src.bucket },
    });
  const principal = accountOf(call);
  if (bucket.accountId !== principal.accountId)
    throw new S3Error('AccessDenied', 'You may copy only from buckets of your own account.');
  requireScope(principal, 'read', bucket.name, src.key);
  const object = await requireObject(db, bucket.id, src.key);
  if (
    evaluateConditions(
      conditionHeaders(call.headers, 'x-amz-copy-source-'),
      object.etag,
      object.lastModified,
    ) !== 'proceed'
  ) {
    throw new S3Error('PreconditionFailed', undefined, { fields: { Condition: 'x-amz-copy-source-If-*' } });
  }
  return { bucket, object };
}

export function writeHandlers(deps: WriteDeps) {
  return {
    async PutObject(call: ObjectCall): Promise<Outgoing> {
      checkNewKey(call.key);
      checkStorageClass(call.headers, call.bucket);
      checkAcl(call.headers.get('x-amz-acl'), call.bucket);
      const headers = objectHeadersFrom(call.headers);
      const condition = writeCondition(call.headers);
      const incoming = incomingBody(call.body, call.headers, call.auth.payload, deps.digests);
      if (incoming.length === null) throw new S3Error('MissingContentLength');
      const digests = new BodyDigests(call.headers, deps.digests);
      const reserved = await reserveFor(deps, call.bucket, incoming.length);
      const obj = await orUndo(reserved.release, async () => {
        const body = await ingest(deps, incoming, digests, deps.limits, reserved.reservation);
        return orUndo(body.abort, () =>
          commitObject(deps.db, {
            bucketId: call.bucket.id,
            key: call.key,
            headers,
            facts: {
              size: body.size,
              etag: body.md5Hex,
              checksumAlgorithm: body.checksum?.algorithm ?? null,
              checksumValue: body.checksum?.value ?? null,
              checksumType: body.checksum ? 'FULL_OBJECT' : null,
              partsCount: null,
            },
            body: body.body,
            condition,
            quota: reserved.quota,
          }),
        );
      });
      const out = new Headers({ etag: quoteEtag(obj.etag), 'x-qoima-object-id': obj.id });
      if (obj.checksumAlgorithm && isChecksumAlgorithm(obj.checksumAlgorithm)) {
        out.set(checksumHeader(obj.checksumAlgorithm), obj.checksumValue!);
        out.set('x-amz-checksum-type', 'FULL_OBJECT');
      }
      return new Response(null, { status: 200, headers: out });
    },

    async CopyObject(call: ObjectCall): Promise<Handled> {
      checkNewKey(call.key);
      const { bucket: srcBucket, object: source } = await copySource(deps.db, call);
      checkStorageClass(call.headers, call.bucket);
      const directive = (call.headers.get('x-amz-metadata-directive') ?? 'COPY').toUpperCase();
      if (directive !== 'COPY' && directive !== 'REPLACE') {
        throw new S3Error('InvalidArgument', 'Unknown metadata directive.', {
          fields: { ArgumentName: 'x-amz-metadata-directive' },
        });
      }
      const sameObject = srcBucket.id === call.bucket.id && source.key === call.key;
      if (sameObject && directive === 'COPY') {
        throw new S3Error(
          'InvalidRequest',
          "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        );
      }
      const wanted = call.headers.get('x-amz-checksum-algorithm')?.toUpperCase();
      if (wanted && (!isChecksumAlgorithm(wanted) || wanted !== source.checksumAlgorithm)) {
        throw new S3Error(
          'NotImplemented',
          'A copy keeps the checksum of its source; computing another algorithm during a copy is not supported.',
        );
      }
      const headers = directive === 'REPLACE' ? objectHeadersFrom(call.headers) : headersOf(source);
      const reserved = await reserveFor(deps, call.bucket, source.size);
      const obj = await orUndo(reserved.release, () =>
        copyObject(deps.db, source, {
          bucketId: call.bucket.id,
          key: call.key,
          headers,
          condition: writeCondition(call.headers),
          quota: reserved.quota,
        }),
      );
      // taking bytes out of COLD is a retrieval, even when the copy shares them rather than reading them
      const retrieved = srcBucket.storageClass === 'COLD' && call.bucket.storageClass !== 'COLD';
      const res = xmlResponse(
        document(
          'CopyObjectResult',
          leaf('LastModified', isoDate(obj.lastModified)),
          leaf('ETag', quoteEtag(obj.etag)),
          obj.checksumAlgorithm ? leaf(`Checksum${obj.checksumAlgorithm}`, obj.checksumValue) : '',
        ),
        200,
        { 'x-qoima-object-id': obj.id },
      );
      return retrieved ? { res, facts: { retrievalBytes: source.size } } : res;
    },

    async DeleteObject(call: ObjectCall): Promise<Outgoing> {
      await deleteObject(deps.db, call.bucket.id, call.key);
      return new Response(null, { status: 204 });
    },

    async DeleteObjects(call: BucketCall): Promise<Outgoing> {
      const hasIntegrity =
        call.headers.has('content-md5') ||
        [...call.headers.keys()].some(
          (h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-sdk-checksum-algorithm',
        );
      if (!hasIntegrity)
        throw new S3Error(
          'InvalidRequest',
          'Missing required header for this request: Content-MD5 or x-amz-checksum-*.',
        );
      const incoming = incomingBody(call.body, call.headers, call.auth.payload, deps.digests);
      const digests = new BodyDigests(call.headers, deps.digests);
      const bytes = await readSmallBody(incoming, 2 * 1024 * 1024);
      digests.update(bytes);
      digests.verify(incoming.trailers);
      const doc = parseXml(new TextDecoder().decode(bytes))['Delete'];
      if (doc === undefined) throw new S3Error('MalformedXML');
      const quiet = text(doc, 'Quiet') === 'true';
      const objectsToDelete = children(doc, 'Object');
      if (objectsToDelete.length === 0 || objectsToDelete.length > 1000) {
        throw new S3Error('MalformedXML', 'A Delete request names 1 to 1000 objects.');
      }
      const results: string[] = [];
      for (const o of objectsToDelete) {
        const key = text(o, 'Key');
        if (key === undefined) throw new S3Error('MalformedXML', 'Every <Object> needs a <Key>.');
        try {
          if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
          requireScope(accountOf(call), 'delete', call.bucket.name, key);
          const version = text(o, 'VersionId');
          if (version !== undefined && version !== 'null')
            throw new S3Error('NotImplemented', 'Object versions are not supported.');
          await deleteObject(deps.db, call.bucket.id, key);
          if (!quiet) results.push(node('Deleted', leaf('Key', key)));
        } catch (e) {
          if (!isS3Error(e)) throw e;
          results.push(node('Error', leaf('Key', key), leaf('Code', e.code), leaf('Message', e.message)));
        }
      }
      return xmlResponse(document('DeleteResult', ...results));
    },
  };
}
