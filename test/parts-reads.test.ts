/**
 * What today's clients do when reading multipart objects, with the real AWS SDK: part-wise downloads
 * (partNumber on GET and HEAD) and GetObjectAttributes with its parts.
 */
import {
  CopyObjectCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { b64, partsMultipart } from './helpers/multipart.ts';
import { errorCode, randomBytes, signedFetch, serverPerFile } from './helpers/s3.ts';
import type { RunningServer } from './helpers/server.ts';

const MiB = 1024 * 1024;
const B = 'parts';
let srv: RunningServer;
let client: S3Client;

serverPerFile([B], (s) => ({ srv, client } = s));

const { upload, complete } = partsMultipart(() => client, B);

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

  it(
    'HeadObject with PartNumber gives the part size; past the last part is 416 ' + 'InvalidPartNumber',
    async () => {
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
    },
  );

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

  it(
    'a plain object has no ObjectParts; a missing or unknown attribute name is ' + 'InvalidArgument',
    async () => {
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
    },
  );
});
