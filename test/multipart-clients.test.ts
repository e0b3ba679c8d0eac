/**
 * Multipart uploads beyond the basics: UploadPartCopy, per-part and whole-object checksums, and real
 * clients (@aws-sdk/lib-storage, aws-cli, rclone) reading back byte-identical.
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createChecksum } from '../src/core/checksums.ts';
import { nodeDigests } from '../src/local/digests.ts';
import { sdkMultipart } from './helpers/multipart.ts';
import { errorCode, randomBytes, signedFetch, serverPerFile } from './helpers/s3.ts';
import { type RunningServer, removeDir, tempDir } from './helpers/server.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const B = 'mpu';
let srv: RunningServer;
let client: S3Client;

serverPerFile([B], (s) => ({ srv, client } = s), {
  env: { QOIMA_GC_DELAY_SECONDS: '0', QOIMA_GC_INTERVAL_SECONDS: '3600' },
});

const { readAll, uploadParts } = sdkMultipart(() => client, B);

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
