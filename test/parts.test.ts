/**
 * What today's clients do around multipart objects, with the real AWS SDK: retried completions, parts
 * re-uploaded concurrently, part-wise downloads, GetObjectAttributes, conditional writes, checksums.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChecksum } from '../src/core/checksums.ts';
import { nodeDigests } from '../src/local/digests.ts';
import { errorCode, randomBytes, s3, signedFetch } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

const MiB = 1024 * 1024;
const B = 'parts';
let srv: RunningServer;
let client: S3Client;

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

const md5hex = (b: Uint8Array | string) => createHash('md5').update(b).digest('hex');
const b64 = (alg: 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256', data: Uint8Array) => {
  const h = createChecksum(alg, nodeDigests);
  h.update(data);
  return Buffer.from(h.digest()).toString('base64');
};

type Alg = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';
interface Done {
  PartNumber: number;
  ETag: string;
  [k: `Checksum${string}`]: string | undefined;
}

/**
 * Uploads `parts` under the given numbers (1..N by default); returns the upload id and the list to complete.
 */
async function upload(
  key: string,
  parts: Uint8Array[],
  opts: { alg?: Alg; type?: 'COMPOSITE' | 'FULL_OBJECT'; numbers?: number[] } = {},
) {
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: B,
      Key: key,
      ChecksumAlgorithm: opts.alg,
      ChecksumType: opts.type,
    }),
  );
  const done: Done[] = [];
  for (const [i, Body] of parts.entries()) {
    const PartNumber = opts.numbers?.[i] ?? i + 1;
    const r = await client.send(
      new UploadPartCommand({ Bucket: B, Key: key, UploadId, PartNumber, Body, ChecksumAlgorithm: opts.alg }),
    );
    const entry: Done = { PartNumber, ETag: r.ETag! };
    if (opts.alg) entry[`Checksum${opts.alg}`] = r[`Checksum${opts.alg}`];
    done.push(entry);
  }
  return { UploadId: UploadId!, done };
}

const complete = (key: string, UploadId: string, Parts: Done[], extra: Record<string, unknown> = {}) =>
  client.send(
    new CompleteMultipartUploadCommand({
      Bucket: B,
      Key: key,
      UploadId,
      MultipartUpload: { Parts },
      ...extra,
    }),
  );

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

describe('part-wise downloads (partNumber)', () => {
  const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB + 7), randomBytes(1234)];
  const whole = Buffer.concat(parts);
  beforeAll(async () => {
    const { UploadId, done } = await upload('three.bin', parts, { alg: 'CRC32' });
    await complete('three.bin', UploadId, done);
  });

  it('GetObject with PartNumber answers that part with PartsCount and Content-Range (206)', async () => {
    for (const n of [1, 2, 3]) {
      // the SDK asks for checksums and checks them against the bytes: the part's own checksum is sent
      const r = await client.send(
        new GetObjectCommand({ Bucket: B, Key: 'three.bin', PartNumber: n, ChecksumMode: 'ENABLED' }),
      );
      const bytes = await r.Body!.transformToByteArray();
      const start = parts.slice(0, n - 1).reduce((a, p) => a + p.length, 0);
      expect(Buffer.compare(Buffer.from(bytes), Buffer.from(parts[n - 1]!))).toBe(0);
      expect(r.$metadata.httpStatusCode).toBe(206);
      expect(r.PartsCount).toBe(3);
      expect(r.ContentRange).toBe(`bytes ${start}-${start + parts[n - 1]!.length - 1}/${whole.length}`);
      expect(r.ChecksumCRC32).toBe(b64('CRC32', parts[n - 1]!));
    }
  });

  it('HeadObject with PartNumber gives the part size; past the last part is 416 InvalidPartNumber', async () => {
    const h = await client.send(new HeadObjectCommand({ Bucket: B, Key: 'three.bin', PartNumber: 3 }));
    expect(h.ContentLength).toBe(1234);
    expect(h.PartsCount).toBe(3);
    const res = await signedFetch(srv.endpoint, srv.creds, {
      path: `/${B}/three.bin`,
      query: { partNumber: '4' },
    });
    expect(res.status).toBe(416);
    expect(await errorCode(res)).toBe('InvalidPartNumber');
    const both = await signedFetch(srv.endpoint, srv.creds, {
      path: `/${B}/three.bin`,
      query: { partNumber: '1' },
      headers: { range: 'bytes=0-1' },
    });
    expect(both.status).toBe(400);
    const zero = await signedFetch(srv.endpoint, srv.creds, {
      path: `/${B}/three.bin`,
      query: { partNumber: '0' },
    });
    expect(await errorCode(zero)).toBe('InvalidArgument');
  });

  it('part 1 of an object not uploaded in parts is the whole object; part 2 is 416', async () => {
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'single', Body: 'single object' }));
    const r = await client.send(new GetObjectCommand({ Bucket: B, Key: 'single', PartNumber: 1 }));
    expect(await r.Body!.transformToString()).toBe('single object');
    expect(r.PartsCount).toBe(1);
    await expect(
      client.send(new HeadObjectCommand({ Bucket: B, Key: 'single', PartNumber: 2 })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 416 } });
  });

  it('the one part of a one-part upload carries its own checksum, not the composite', async () => {
    const bytes = randomBytes(100);
    const { UploadId, done } = await upload('one-part.bin', [bytes], { alg: 'CRC32' });
    await complete('one-part.bin', UploadId, done);
    const r = await client.send(
      new GetObjectCommand({ Bucket: B, Key: 'one-part.bin', PartNumber: 1, ChecksumMode: 'ENABLED' }),
    );
    expect(Buffer.compare(Buffer.from(await r.Body!.transformToByteArray()), Buffer.from(bytes))).toBe(0);
    expect(r.ChecksumCRC32).toBe(b64('CRC32', bytes));
    expect(r.PartsCount).toBe(1);
  });

  it('parts keep the numbers they were uploaded under; a copy keeps its parts', async () => {
    const sparse = [randomBytes(5 * MiB), randomBytes(99)];
    const { UploadId, done } = await upload('sparse.bin', sparse, { numbers: [2, 7] });
    await complete('sparse.bin', UploadId, done);
    const r = await client.send(new GetObjectCommand({ Bucket: B, Key: 'sparse.bin', PartNumber: 7 }));
    expect((await r.Body!.transformToByteArray()).length).toBe(99);
    await expect(
      client.send(new HeadObjectCommand({ Bucket: B, Key: 'sparse.bin', PartNumber: 1 })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 416 } });
    await client.send(new CopyObjectCommand({ Bucket: B, Key: 'copy.bin', CopySource: `${B}/sparse.bin` }));
    const c = await client.send(new HeadObjectCommand({ Bucket: B, Key: 'copy.bin', PartNumber: 2 }));
    expect(c.ContentLength).toBe(5 * MiB);
  });
});

describe('GetObjectAttributes', () => {
  it('ETag, Checksum, ObjectParts with paging, StorageClass, ObjectSize', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(10)];
    const { UploadId, done } = await upload('attrs.bin', parts, { alg: 'SHA256' });
    const res = await complete('attrs.bin', UploadId, done);
    const all = ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] as const;
    const a = await client.send(
      new GetObjectAttributesCommand({
        Bucket: B,
        Key: 'attrs.bin',
        ObjectAttributes: [...all],
        MaxParts: 3,
      }),
    );
    expect(`"${a.ETag}"`).toBe(res.ETag);
    expect(a.Checksum).toMatchObject({ ChecksumSHA256: res.ChecksumSHA256, ChecksumType: 'COMPOSITE' });
    expect(a.StorageClass).toBe('STANDARD');
    expect(a.ObjectSize).toBe(15 * MiB + 10);
    expect(a.LastModified).toBeInstanceOf(Date);
    expect(a.ObjectParts).toMatchObject({ TotalPartsCount: 4, MaxParts: 3, IsTruncated: true });
    expect(a.ObjectParts!.Parts!.map((p) => p.PartNumber)).toEqual([1, 2, 3]);
    expect(a.ObjectParts!.Parts![0]).toMatchObject({
      Size: 5 * MiB,
      ChecksumSHA256: done[0]!.ChecksumSHA256,
    });
    const next = await client.send(
      new GetObjectAttributesCommand({
        Bucket: B,
        Key: 'attrs.bin',
        ObjectAttributes: ['ObjectParts'],
        PartNumberMarker: a.ObjectParts!.NextPartNumberMarker,
      }),
    );
    expect(next.ObjectParts).toMatchObject({ IsTruncated: false, Parts: [{ PartNumber: 4, Size: 10 }] });
    expect(next.ETag).toBeUndefined();
  });

  it('a plain object has no ObjectParts; a missing or unknown attribute name is InvalidArgument', async () => {
    await client.send(
      new PutObjectCommand({ Bucket: B, Key: 'plain', Body: 'abc', ChecksumAlgorithm: 'CRC32C' }),
    );
    const a = await client.send(
      new GetObjectAttributesCommand({
        Bucket: B,
        Key: 'plain',
        ObjectAttributes: ['ObjectParts', 'Checksum'],
      }),
    );
    expect(a.ObjectParts).toBeUndefined();
    expect(a.Checksum).toMatchObject({
      ChecksumCRC32C: b64('CRC32C', Buffer.from('abc')),
      ChecksumType: 'FULL_OBJECT',
    });
    for (const value of [undefined, 'Colour']) {
      const res = await signedFetch(srv.endpoint, srv.creds, {
        path: `/${B}/plain`,
        query: { attributes: '' },
        headers: value ? { 'x-amz-object-attributes': value } : {},
      });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('InvalidArgument');
    }
    await expect(
      client.send(new GetObjectAttributesCommand({ Bucket: B, Key: 'absent', ObjectAttributes: ['ETag'] })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
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
