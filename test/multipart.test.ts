/** Multipart uploads through the AWS SDK, lib-storage, aws-cli and rclone. */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChecksum } from '../src/core/checksums.ts';
import { nodeDigests } from '../src/local/digests.ts';
import { errorCode, randomBytes, s3, signedFetch } from './helpers/s3.ts';
import { type RunningServer, admin, removeDir, startServer, tempDir } from './helpers/server.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const B = 'mpu';
let srv: RunningServer;
let client: S3Client;

beforeAll(async () => {
  srv = await startServer({ env: { QOIMA_GC_DELAY_SECONDS: '0', QOIMA_GC_INTERVAL_SECONDS: '3600' } });
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest();
const readAll = async (key: string) =>
  Buffer.from(
    await (await client.send(new GetObjectCommand({ Bucket: B, Key: key }))).Body!.transformToByteArray(),
  );

async function uploadParts(
  key: string,
  parts: Uint8Array[],
  create: Partial<ConstructorParameters<typeof CreateMultipartUploadCommand>[0]> = {},
) {
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({ Bucket: B, Key: key, ...create }),
  );
  const done = [];
  for (const [i, Body] of parts.entries()) {
    const r = await client.send(
      new UploadPartCommand({
        Bucket: B,
        Key: key,
        UploadId,
        PartNumber: i + 1,
        Body,
        ChecksumAlgorithm: create.ChecksumAlgorithm,
      }),
    );
    done.push({
      PartNumber: i + 1,
      ETag: r.ETag!,
      ChecksumCRC32: r.ChecksumCRC32,
      ChecksumCRC64NVME: r.ChecksumCRC64NVME,
      ChecksumSHA256: r.ChecksumSHA256,
    });
  }
  return { UploadId: UploadId!, done };
}

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

describe('UploadPartCopy', () => {
  it('builds an object from byte ranges of other objects', async () => {
    const src = randomBytes(12 * MiB + 77);
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'copy-src', Body: src }));
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'copy-dst' }));
    const ranges: [number, number][] = [
      [0, 5 * MiB - 1],
      [7 * MiB + 3, 12 * MiB + 76],
    ];
    const parts = [];
    for (const [i, [a, b]] of ranges.entries()) {
      const r = await client.send(
        new UploadPartCopyCommand({
          Bucket: B,
          Key: 'copy-dst',
          UploadId,
          PartNumber: i + 1,
          CopySource: `${B}/copy-src`,
          CopySourceRange: `bytes=${a}-${b}`,
        }),
      );
      parts.push({ PartNumber: i + 1, ETag: r.CopyPartResult!.ETag! });
    }
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'copy-dst',
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    const expected = Buffer.concat(ranges.map(([a, b]) => src.subarray(a, b + 1)));
    expect(Buffer.compare(await readAll('copy-dst'), expected)).toBe(0);
  });

  it('refuses a range outside the source', async () => {
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'copy-small', Body: 'tiny' }));
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'copy-bad' }));
    await expect(
      client.send(
        new UploadPartCopyCommand({
          Bucket: B,
          Key: 'copy-bad',
          UploadId,
          PartNumber: 1,
          CopySource: `${B}/copy-small`,
          CopySourceRange: 'bytes=0-100',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidArgument' });
  });
});

describe('multipart checksums', () => {
  it('COMPOSITE CRC32: per-part values checked, the object gets the checksum of checksums "-N"', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(100)];
    const { UploadId, done } = await uploadParts('crc32.bin', parts, { ChecksumAlgorithm: 'CRC32' });
    const res = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'crc32.bin',
        UploadId,
        MultipartUpload: { Parts: done },
      }),
    );
    const composite = createChecksum('CRC32', nodeDigests);
    for (const p of done) composite.update(Buffer.from(p.ChecksumCRC32!, 'base64'));
    expect(res.ChecksumCRC32).toBe(`${Buffer.from(composite.digest()).toString('base64')}-2`);
    const head = await client.send(
      new HeadObjectCommand({ Bucket: B, Key: 'crc32.bin', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ChecksumCRC32).toBe(res.ChecksumCRC32);
    expect(head.ChecksumType).toBe('COMPOSITE');
  });

  it('FULL_OBJECT CRC64NVME: the object checksum equals the CRC of all its bytes', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(12345)];
    const { UploadId, done } = await uploadParts('crc64.bin', parts, {
      ChecksumAlgorithm: 'CRC64NVME',
      ChecksumType: 'FULL_OBJECT',
    });
    const res = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: 'crc64.bin',
        UploadId,
        MultipartUpload: { Parts: done },
      }),
    );
    const whole = createChecksum('CRC64NVME', nodeDigests);
    for (const p of parts) whole.update(p);
    expect(res.ChecksumCRC64NVME).toBe(Buffer.from(whole.digest()).toString('base64'));
    expect(res.ChecksumType).toBe('FULL_OBJECT');
  });

  it('a part whose checksum does not match its bytes is refused with BadDigest', async () => {
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: B, Key: 'badpart', ChecksumAlgorithm: 'SHA256' }),
    );
    const res = await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: `/${B}/badpart`,
      query: { partNumber: '1', uploadId: UploadId! },
      body: 'part bytes',
      headers: { 'x-amz-checksum-sha256': createHash('sha256').update('other bytes').digest('base64') },
    });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('BadDigest');
  });
});

describe('real clients, byte-identical read-back', () => {
  it('@aws-sdk/lib-storage Upload streams a 40 MiB body in parts', async () => {
    const body = randomBytes(40 * MiB);
    const up = new Upload({
      client,
      params: {
        Bucket: B,
        Key: 'lib-storage.bin',
        Body: Readable.from([body.subarray(0, 13 * MiB), body.subarray(13 * MiB)]),
      },
      partSize: 8 * MiB,
      queueSize: 3,
    });
    const res = await up.done();
    expect(res.ETag).toMatch(/-5"$/);
    expect(Buffer.compare(await readAll('lib-storage.bin'), Buffer.from(body))).toBe(0);
  });

  it('aws s3 cp of a 1 GiB file with an 8 MiB threshold, and rclone, both read back identical', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir, 'big.bin');
      await pipeline(
        Readable.from(
          (function* () {
            for (let i = 0; i < 256; i++) yield randomBytes(4 * MiB);
          })(),
        ),
        createWriteStream(file),
      );
      const sum = async (path: string) => {
        const h = createHash('sha256');
        await pipeline(createReadStream(path, { highWaterMark: MiB }), h);
        return h.digest('hex');
      };
      const expected = await sum(file);
      const cfg = join(dir, 'aws-config');
      await import('node:fs/promises').then((fs) =>
        fs.writeFile(cfg, '[default]\ns3 =\n  multipart_threshold = 8MB\n  multipart_chunksize = 8MB\n'),
      );
      const env = {
        ...process.env,
        AWS_ACCESS_KEY_ID: srv.creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: srv.creds.secretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: cfg,
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
        AWS_CA_BUNDLE: '',
      };
      await run(
        '/usr/bin/aws',
        ['--endpoint-url', srv.endpoint, 's3', 'cp', '--no-progress', file, `s3://${B}/aws-1g.bin`],
        { env, maxBuffer: 1 << 24 },
      );
      const head = await client.send(new HeadObjectCommand({ Bucket: B, Key: 'aws-1g.bin' }));
      expect(head.ETag).toMatch(/-128"$/);
      await run(
        '/usr/bin/aws',
        [
          '--endpoint-url',
          srv.endpoint,
          's3',
          'cp',
          '--no-progress',
          `s3://${B}/aws-1g.bin`,
          join(dir, 'back.bin'),
        ],
        { env, maxBuffer: 1 << 24 },
      );
      expect(await sum(join(dir, 'back.bin'))).toBe(expected);
      await rm(join(dir, 'back.bin'));

      const rcloneEnv = {
        ...process.env,
        RCLONE_CONFIG: join(dir, 'rclone.conf'),
        RCLONE_CONFIG_Q_TYPE: 's3',
        RCLONE_CONFIG_Q_PROVIDER: 'Other',
        RCLONE_CONFIG_Q_ACCESS_KEY_ID: srv.creds.accessKeyId,
        RCLONE_CONFIG_Q_SECRET_ACCESS_KEY: srv.creds.secretAccessKey,
        RCLONE_CONFIG_Q_ENDPOINT: srv.endpoint,
        RCLONE_CONFIG_Q_REGION: 'us-east-1',
        RCLONE_CONFIG_Q_FORCE_PATH_STYLE: 'true',
        AWS_CA_BUNDLE: '',
      };
      await run(
        'rclone',
        ['copyto', '--s3-upload-cutoff', '16M', '--s3-chunk-size', '16M', file, `q:${B}/rclone-1g.bin`],
        { env: rcloneEnv },
      );
      await run('rclone', ['copyto', `q:${B}/rclone-1g.bin`, join(dir, 'back.bin')], { env: rcloneEnv });
      expect(await sum(join(dir, 'back.bin'))).toBe(expected);
    } finally {
      await removeDir(dir);
    }
  }, 300_000);
});
