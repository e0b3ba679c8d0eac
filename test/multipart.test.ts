/** Multipart uploads through the AWS SDK: parts, completion, refusals, abort, expiry, listing uploads. */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sdkMultipart } from './helpers/multipart.ts';
import { errorCode, randomBytes, signedFetch, serverPerFile } from './helpers/s3.ts';
import { type RunningServer, admin } from './helpers/server.ts';

const MiB = 1024 * 1024;
const B = 'mpu';
let srv: RunningServer;
let client: S3Client;

serverPerFile([B], (s) => ({ srv, client } = s), {
  env: { QOIMA_GC_DELAY_SECONDS: '0', QOIMA_GC_INTERVAL_SECONDS: '3600' },
});

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest();
const { readAll, uploadParts } = sdkMultipart(() => client, B);

describe('multipart upload with the SDK', () => {
  it('assembles parts into one object with the S3 multipart ETag, byte for byte', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB + 3), randomBytes(1000)];
    const { UploadId, done } = await uploadParts('assembled.bin', parts, {
      ContentType: 'video/mp4',
      Metadata: { origin: 'camera' },
    });
    const listed = await client.send(new ListPartsCommand({ Bucket: B, Key: 'assembled.bin', UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, 5 * MiB],
      [2, 5 * MiB + 3],
      [3, 1000],
    ]);
    const res = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'assembled.bin',
        UploadId,
        MultipartUpload: { Parts: done },
      }),
    );
    const expected = `"${createHash('md5')
      .update(Buffer.concat(parts.map(md5)))
      .digest('hex')}-3"`;
    expect(res.ETag).toBe(expected);
    const head = await client.send(new HeadObjectCommand({ Bucket: B, Key: 'assembled.bin' }));
    expect(head).toMatchObject({
      ETag: expected,
      ContentLength: 10 * MiB + 1003,
      ContentType: 'video/mp4',
      Metadata: { origin: 'camera' },
      PartsCount: 3,
    });
    expect(Buffer.compare(await readAll('assembled.bin'), Buffer.concat(parts))).toBe(0);
    // ranges across part boundaries
    const r = await client.send(
      new GetObjectCommand({ Bucket: B, Key: 'assembled.bin', Range: `bytes=${5 * MiB - 5}-${5 * MiB + 5}` }),
    );
    expect(
      Buffer.compare(
        Buffer.from(await r.Body!.transformToByteArray()),
        Buffer.concat(parts).subarray(5 * MiB - 5, 5 * MiB + 6),
      ),
    ).toBe(0);
  });

  it('a re-uploaded part replaces the earlier one', async () => {
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: B, Key: 'replaced.bin' }),
    );
    await client.send(
      new UploadPartCommand({
        Bucket: B,
        Key: 'replaced.bin',
        UploadId,
        PartNumber: 1,
        Body: randomBytes(5 * MiB),
      }),
    );
    const final = randomBytes(5 * MiB);
    const p1 = await client.send(
      new UploadPartCommand({ Bucket: B, Key: 'replaced.bin', UploadId, PartNumber: 1, Body: final }),
    );
    const p2 = await client.send(
      new UploadPartCommand({ Bucket: B, Key: 'replaced.bin', UploadId, PartNumber: 2, Body: 'tail' }),
    );
    const listed = await client.send(new ListPartsCommand({ Bucket: B, Key: 'replaced.bin', UploadId }));
    expect(listed.Parts?.length).toBe(2);
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'replaced.bin',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    expect(Buffer.compare(await readAll('replaced.bin'), Buffer.concat([final, Buffer.from('tail')]))).toBe(
      0,
    );
  });

  it('refuses a wrong ETag (InvalidPart), a wrong order (InvalidPartOrder), a small middle part (EntityTooSmall)', async () => {
    const { UploadId, done } = await uploadParts('refused.bin', [
      randomBytes(5 * MiB),
      randomBytes(1024),
      randomBytes(10),
    ]);
    const complete = (Parts: { PartNumber: number; ETag: string }[]) =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: B,
          Key: 'refused.bin',
          UploadId,
          MultipartUpload: { Parts },
        }),
      );
    await expect(
      complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }]),
    ).rejects.toMatchObject({ name: 'InvalidPart', $metadata: { httpStatusCode: 400 } });
    await expect(complete([{ PartNumber: 4, ETag: done[0]!.ETag }])).rejects.toMatchObject({
      name: 'InvalidPart',
    });
    await expect(complete([done[1]!, done[0]!])).rejects.toMatchObject({ name: 'InvalidPartOrder' });
    await expect(complete(done)).rejects.toMatchObject({ name: 'EntityTooSmall' });
    // the upload is still there and can be completed properly (skipping the small middle part)
    await complete([done[0]!, done[2]!]);
    expect((await readAll('refused.bin')).length).toBe(5 * MiB + 10);
  });

  it('refuses part numbers outside 1..10000 and unknown upload ids', async () => {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'numbers' }));
    for (const n of ['0', '10001', 'x']) {
      const res = await signedFetch(srv.endpoint, srv.creds, {
        method: 'PUT',
        path: `/${B}/numbers`,
        query: { partNumber: n, uploadId: UploadId! },
        body: 'x',
      });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('InvalidArgument');
    }
    await expect(
      client.send(
        new UploadPartCommand({ Bucket: B, Key: 'numbers', UploadId: 'nope', PartNumber: 1, Body: 'x' }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
    await expect(
      client.send(new UploadPartCommand({ Bucket: B, Key: 'other-key', UploadId, PartNumber: 1, Body: 'x' })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('abort drops the upload and releases its chunks', async () => {
    const chunks = async () =>
      (await readdir(join(srv.dataDir, 'chunks'), { recursive: true, withFileTypes: true })).filter((e) =>
        e.isFile(),
      ).length;
    await admin(srv.dataDir, ['gc'], { QOIMA_GC_DELAY_SECONDS: '0' });
    const before = await chunks();
    const { UploadId } = await uploadParts('aborted.bin', [randomBytes(5 * MiB), randomBytes(MiB)]);
    expect(await chunks()).toBe(before + 3); // 5 MiB part: a 4 MiB and a 1 MiB chunk; 1 MiB part: one
    await client.send(new AbortMultipartUploadCommand({ Bucket: B, Key: 'aborted.bin', UploadId }));
    await expect(
      client.send(new ListPartsCommand({ Bucket: B, Key: 'aborted.bin', UploadId })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await expect(
      client.send(new AbortMultipartUploadCommand({ Bucket: B, Key: 'aborted.bin', UploadId })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await admin(srv.dataDir, ['gc'], { QOIMA_GC_DELAY_SECONDS: '0' });
    expect(await chunks()).toBe(before);
  });

  it('abandoned uploads are aborted after the configured age', async () => {
    await uploadParts('abandoned.bin', [randomBytes(MiB)]);
    const fresh = JSON.parse(
      await admin(srv.dataDir, ['gc', '--json'], { QOIMA_MULTIPART_MAX_AGE_SECONDS: '3600' }),
    );
    expect(fresh.abandonedUploads).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    const report = JSON.parse(
      await admin(srv.dataDir, ['gc', '--json'], {
        QOIMA_MULTIPART_MAX_AGE_SECONDS: '1',
        QOIMA_GC_DELAY_SECONDS: '0',
      }),
    );
    expect(report.abandonedUploads).toBeGreaterThanOrEqual(1);
    const list = await client.send(new ListMultipartUploadsCommand({ Bucket: B, Prefix: 'abandoned' }));
    expect(list.Uploads ?? []).toEqual([]);
  });

  it('lists uploads in progress by key, with prefix and pagination', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'uploads-list' }));
    const ids: string[] = [];
    for (const key of ['a/1', 'a/2', 'b/1', 'c']) {
      ids.push(
        (await client.send(new CreateMultipartUploadCommand({ Bucket: 'uploads-list', Key: key }))).UploadId!,
      );
    }
    const all = await client.send(new ListMultipartUploadsCommand({ Bucket: 'uploads-list' }));
    expect(all.Uploads?.map((u) => u.Key)).toEqual(['a/1', 'a/2', 'b/1', 'c']);
    const a = await client.send(new ListMultipartUploadsCommand({ Bucket: 'uploads-list', Prefix: 'a/' }));
    expect(a.Uploads?.map((u) => u.UploadId)).toEqual(ids.slice(0, 2));
    const folders = await client.send(
      new ListMultipartUploadsCommand({ Bucket: 'uploads-list', Delimiter: '/' }),
    );
    expect(folders.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/']);
    expect(folders.Uploads?.map((u) => u.Key)).toEqual(['c']);
    const p1 = await client.send(new ListMultipartUploadsCommand({ Bucket: 'uploads-list', MaxUploads: 3 }));
    expect(p1.IsTruncated).toBe(true);
    const p2 = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: 'uploads-list',
        MaxUploads: 3,
        KeyMarker: p1.NextKeyMarker,
        UploadIdMarker: p1.NextUploadIdMarker,
      }),
    );
    expect(p2.Uploads?.map((u) => u.Key)).toEqual(['c']);
  });
});
