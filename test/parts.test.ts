/**
 * What today's clients do when writing multipart objects, with the real AWS SDK: retried completions,
 * parts re-uploaded concurrently, conditional writes, checksums (reading them part-wise:
 * parts-reads.test.ts).
 */
import {
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { describe, expect, it } from 'vitest';
import { b64, partsMultipart } from './helpers/multipart.ts';
import { errorCode, md5hex, randomBytes, signedFetch, serverPerFile } from './helpers/s3.ts';
import type { RunningServer } from './helpers/server.ts';

const MiB = 1024 * 1024;
const B = 'parts';
let srv: RunningServer;
let client: S3Client;

serverPerFile([B], (s) => ({ srv, client } = s));

const { upload, complete } = partsMultipart(() => client, B);

describe('retried CompleteMultipartUpload', () => {
  it('the same part list again answers 200 with the same object; another list is NoSuchUpload', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(1000)];
    const { UploadId, done } = await upload('retry.bin', parts);
    const first = await complete('retry.bin', UploadId, done);
    const again = await complete('retry.bin', UploadId, done);
    expect(again.ETag).toBe(first.ETag);
    expect(again.Location).toBe(first.Location);
    await expect(complete('retry.bin', UploadId, done.slice(0, 1))).rejects.toMatchObject({
      name: 'NoSuchUpload',
      $metadata: { httpStatusCode: 404 },
    });
    // once another object replaced it, the upload is gone for good
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'retry.bin', Body: 'newer' }));
    await expect(complete('retry.bin', UploadId, done)).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('two concurrent completions of one upload both succeed with one object', async () => {
    const { UploadId, done } = await upload('retry-race.bin', [randomBytes(5 * MiB), randomBytes(10)]);
    const [a, b] = await Promise.all([
      complete('retry-race.bin', UploadId, done),
      complete('retry-race.bin', UploadId, done),
    ]);
    expect(a.ETag).toBe(b.ETag);
    const head = await client.send(new HeadObjectCommand({ Bucket: B, Key: 'retry-race.bin' }));
    expect(head.ETag).toBe(a.ETag);
  });

  it('a part uploaded twice at once: the upload that finishes last is the part', async () => {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'twice' }));
    const slow = new TextEncoder().encode('slow body, finishes last');
    let finish!: () => void;
    const held = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(slow.subarray(0, 5));
        finish = () => {
          c.enqueue(slow.subarray(5));
          c.close();
        };
      },
    });
    const first = signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: `/${B}/twice`,
      query: { partNumber: '1', uploadId: UploadId! },
      headers: { 'content-length': String(slow.length) },
      body: held,
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    const quick = await client.send(
      new UploadPartCommand({ Bucket: B, Key: 'twice', UploadId, PartNumber: 1, Body: 'quick body' }),
    );
    finish();
    const slowRes = await first;
    expect(slowRes.status).toBe(200);
    const slowEtag = slowRes.headers.get('etag')!;
    expect(slowEtag).toBe(`"${md5hex(slow)}"`);
    await expect(complete('twice', UploadId!, [{ PartNumber: 1, ETag: quick.ETag! }])).rejects.toMatchObject({
      name: 'InvalidPart',
    });
    await complete('twice', UploadId!, [{ PartNumber: 1, ETag: slowEtag }]);
    const got = await client.send(new GetObjectCommand({ Bucket: B, Key: 'twice' }));
    expect(await got.Body!.transformToString()).toBe('slow body, finishes last');
  });
});

describe('conditional writes', () => {
  it('If-Match on PutObject: 404 NoSuchKey without an object, 412 on another ETag, 200 on the same', async () => {
    await expect(
      client.send(new PutObjectCommand({ Bucket: B, Key: 'cw/put', Body: 'x', IfMatch: '"abc"' })),
    ).rejects.toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'cw/put', Body: 'one' }));
    await expect(
      client.send(new PutObjectCommand({ Bucket: B, Key: 'cw/put', Body: 'two', IfMatch: '"abc"' })),
    ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    await client.send(
      new PutObjectCommand({ Bucket: B, Key: 'cw/put', Body: 'two', IfMatch: `"${md5hex('one')}"` }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: B, Key: 'cw/put' }));
    expect(await got.Body!.transformToString()).toBe('two');
    // If-Match: * is any object at all
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'cw/put', Body: 'three', IfMatch: '*' }));
    await expect(
      client.send(new PutObjectCommand({ Bucket: B, Key: 'cw/none', Body: 'x', IfMatch: '*' })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('If-Match writers racing on one version: exactly one wins', async () => {
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'cw/race', Body: 'base' }));
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        client.send(
          new PutObjectCommand({ Bucket: B, Key: 'cw/race', Body: `w${i}`, IfMatch: `"${md5hex('base')}"` }),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ name: 'PreconditionFailed' });
  });

  it('If-Match and If-None-Match on CompleteMultipartUpload', async () => {
    const parts = [randomBytes(100)];
    const a = await upload('cw/mpu', parts);
    await expect(complete('cw/mpu', a.UploadId, a.done, { IfMatch: '"abc"' })).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'cw/mpu', Body: 'one' }));
    await expect(complete('cw/mpu', a.UploadId, a.done, { IfNoneMatch: '*' })).rejects.toMatchObject({
      name: 'PreconditionFailed',
    });
    await expect(complete('cw/mpu', a.UploadId, a.done, { IfMatch: '"abc"' })).rejects.toMatchObject({
      name: 'PreconditionFailed',
    });
    const r = await complete('cw/mpu', a.UploadId, a.done, { IfMatch: `"${md5hex('one')}"` });
    expect(r.ETag).toMatch(/-1"$/);
  });
});

describe('checksums as the SDKs send them', () => {
  it('a part checksum listed at Complete that differs from the part is BadDigest', async () => {
    const { UploadId, done } = await upload('cs/listed', [randomBytes(100)], { alg: 'CRC32C' });
    const wrong = [{ ...done[0]!, ChecksumCRC32C: b64('CRC32C', Buffer.from('other')) }];
    await expect(complete('cs/listed', UploadId, wrong)).rejects.toMatchObject({
      name: 'BadDigest',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(complete('cs/listed', UploadId, done, { MpuObjectSize: 99 })).rejects.toMatchObject({
      name: 'InvalidRequest',
    });
    await complete('cs/listed', UploadId, done, { MpuObjectSize: 100 });
  });

  it('FULL_OBJECT: the whole-object checksum sent at Complete is checked', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(321)];
    const whole = Buffer.concat(parts);
    for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
      const key = `cs/full-${alg}`;
      const { UploadId, done } = await upload(key, parts, { alg, type: 'FULL_OBJECT' });
      const field = `Checksum${alg}`;
      await expect(
        complete(key, UploadId, done, { ChecksumType: 'FULL_OBJECT', [field]: b64(alg, Buffer.from('x')) }),
      ).rejects.toMatchObject({ name: 'BadDigest' });
      const r = await complete(key, UploadId, done, {
        ChecksumType: 'FULL_OBJECT',
        [field]: b64(alg, whole),
      });
      expect((r as unknown as Record<string, unknown>)[field]).toBe(b64(alg, whole));
      // a whole-object GET is checked by the SDK against the full-object checksum
      const g = await client.send(new GetObjectCommand({ Bucket: B, Key: key, ChecksumMode: 'ENABLED' }));
      expect(Buffer.compare(Buffer.from(await g.Body!.transformToByteArray()), whole)).toBe(0);
      expect(g.ChecksumType).toBe('FULL_OBJECT');
    }
  });

  it('lib-storage Upload with each checksum algorithm; part GETs pass the SDK checksum validation', async () => {
    const body = randomBytes(11 * MiB);
    for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const) {
      const key = `cs/lib-${alg}`;
      await new Upload({
        client,
        params: { Bucket: B, Key: key, Body: body, ChecksumAlgorithm: alg },
        partSize: 5 * MiB,
      }).done();
      const a = await client.send(
        new GetObjectAttributesCommand({
          Bucket: B,
          Key: key,
          ObjectAttributes: ['Checksum', 'ObjectParts'],
        }),
      );
      expect(a.ObjectParts?.TotalPartsCount).toBe(3);
      expect(a.Checksum?.[`Checksum${alg}`]).toBeTruthy();
      const p = await client.send(
        new GetObjectCommand({ Bucket: B, Key: key, PartNumber: 3, ChecksumMode: 'ENABLED' }),
      );
      const bytes = await p.Body!.transformToByteArray();
      expect(Buffer.compare(Buffer.from(bytes), Buffer.from(body.subarray(10 * MiB)))).toBe(0);
    }
  });

  it('a wrong x-amz-checksum-* header on PutObject is 400 BadDigest', async () => {
    for (const alg of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const) {
      const res = await signedFetch(srv.endpoint, srv.creds, {
        method: 'PUT',
        path: `/${B}/cs/bad-${alg}`,
        body: 'the bytes',
        headers: { [`x-amz-checksum-${alg.toLowerCase()}`]: b64(alg, Buffer.from('other bytes')) },
      });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('BadDigest');
    }
  });
});
