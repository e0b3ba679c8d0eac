/**
 * The S3 core cases every runtime must pass, written once: buckets, put/get/head/delete, listing,
 * ranges, presigned GETs and the errors a client sees. test/runtimes.test.ts runs them against Node,
 * Deno and Workers.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketLocationCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { expect, it } from 'vitest';
import { s3 } from './s3.ts';
import type { RunningServer } from './server.ts';

async function errorOf(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the request to fail');
}

export function coreS3Cases(server: () => RunningServer): void {
  const client = (): S3Client => s3(server().endpoint, server().creds);

  it('creates, lists, locates, heads and deletes buckets; a non-empty bucket stays', async () => {
    const c = client();
    await c.send(new CreateBucketCommand({ Bucket: 'rt-buckets' }));
    expect((await c.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain('rt-buckets');
    expect((await c.send(new HeadBucketCommand({ Bucket: 'rt-buckets' }))).$metadata.httpStatusCode).toBe(
      200,
    );
    expect(
      (await c.send(new GetBucketLocationCommand({ Bucket: 'rt-buckets' }))).$metadata.httpStatusCode,
    ).toBe(200);
    // S3's us-east-1 rule: creating a bucket you already own succeeds again
    expect((await c.send(new CreateBucketCommand({ Bucket: 'rt-buckets' }))).$metadata.httpStatusCode).toBe(
      200,
    );
    expect(await errorOf(c.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).toMatchObject({
      name: 'InvalidBucketName',
      status: 400,
    });
    await c.send(new PutObjectCommand({ Bucket: 'rt-buckets', Key: 'x', Body: 'x' }));
    expect(await errorOf(c.send(new DeleteBucketCommand({ Bucket: 'rt-buckets' })))).toMatchObject({
      name: 'BucketNotEmpty',
      status: 409,
    });
    await c.send(new DeleteObjectCommand({ Bucket: 'rt-buckets', Key: 'x' }));
    await c.send(new DeleteBucketCommand({ Bucket: 'rt-buckets' }));
    expect(await errorOf(c.send(new HeadBucketCommand({ Bucket: 'rt-buckets' })))).toMatchObject({
      status: 404,
    });
  });

  it('puts, gets, heads and deletes objects byte for byte, with their metadata', async () => {
    const c = client();
    await c.send(new CreateBucketCommand({ Bucket: 'rt-objects' }));
    // larger than a chunk (4 MiB), so it is stored as several
    const body = new Uint8Array(randomBytes(9 * 1024 * 1024 + 123));
    const put = await c.send(
      new PutObjectCommand({
        Bucket: 'rt-objects',
        Key: 'dir/big.bin',
        Body: body,
        ContentType: 'application/x-test',
        Metadata: { owner: 'tests' },
      }),
    );
    const head = await c.send(new HeadObjectCommand({ Bucket: 'rt-objects', Key: 'dir/big.bin' }));
    expect(head).toMatchObject({
      ContentLength: body.length,
      ContentType: 'application/x-test',
      ETag: put.ETag,
      Metadata: { owner: 'tests' },
    });
    const got = await c.send(new GetObjectCommand({ Bucket: 'rt-objects', Key: 'dir/big.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(body))).toBe(true);
    await c.send(new PutObjectCommand({ Bucket: 'rt-objects', Key: 'small.txt', Body: 'hello, runtime' }));
    const small = await c.send(new GetObjectCommand({ Bucket: 'rt-objects', Key: 'small.txt' }));
    expect(await small.Body!.transformToString()).toBe('hello, runtime');
    await c.send(new DeleteObjectCommand({ Bucket: 'rt-objects', Key: 'dir/big.bin' }));
    expect(
      await errorOf(c.send(new GetObjectCommand({ Bucket: 'rt-objects', Key: 'dir/big.bin' }))),
    ).toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(
      await errorOf(c.send(new GetObjectCommand({ Bucket: 'rt-no-such-bucket', Key: 'a' }))),
    ).toMatchObject({ name: 'NoSuchBucket', status: 404 });
  });

  it('lists with prefix, delimiter and continuation', async () => {
    const c = client();
    await c.send(new CreateBucketCommand({ Bucket: 'rt-list' }));
    const keys = ['a/1', 'a/2', 'a/3', 'b/1', 'top'];
    for (const Key of keys) await c.send(new PutObjectCommand({ Bucket: 'rt-list', Key, Body: Key }));
    const folders = await c.send(new ListObjectsV2Command({ Bucket: 'rt-list', Delimiter: '/' }));
    expect(folders.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/']);
    expect(folders.Contents?.map((o) => o.Key)).toEqual(['top']);
    const page1 = await c.send(new ListObjectsV2Command({ Bucket: 'rt-list', Prefix: 'a/', MaxKeys: 2 }));
    expect(page1.Contents?.map((o) => o.Key)).toEqual(['a/1', 'a/2']);
    expect(page1.IsTruncated).toBe(true);
    const page2 = await c.send(
      new ListObjectsV2Command({
        Bucket: 'rt-list',
        Prefix: 'a/',
        MaxKeys: 2,
        ContinuationToken: page1.NextContinuationToken,
      }),
    );
    expect(page2.Contents?.map((o) => o.Key)).toEqual(['a/3']);
    expect(page2.IsTruncated).toBe(false);
  });

  it('serves ranges, and refuses one past the end with 416', async () => {
    const c = client();
    await c.send(new CreateBucketCommand({ Bucket: 'rt-range' }));
    await c.send(new PutObjectCommand({ Bucket: 'rt-range', Key: 'digits', Body: '0123456789' }));
    const part = await c.send(
      new GetObjectCommand({ Bucket: 'rt-range', Key: 'digits', Range: 'bytes=2-5' }),
    );
    expect(part.$metadata.httpStatusCode).toBe(206);
    expect(part.ContentRange).toBe('bytes 2-5/10');
    expect(await part.Body!.transformToString()).toBe('2345');
    const tail = await c.send(new GetObjectCommand({ Bucket: 'rt-range', Key: 'digits', Range: 'bytes=-3' }));
    expect(await tail.Body!.transformToString()).toBe('789');
    expect(
      await errorOf(
        c.send(new GetObjectCommand({ Bucket: 'rt-range', Key: 'digits', Range: 'bytes=20-30' })),
      ),
    ).toMatchObject({ name: 'InvalidRange', status: 416 });
  });

  it('serves a presigned GET to a plain HTTP client, and refuses it once tampered with', async () => {
    const c = client();
    await c.send(new CreateBucketCommand({ Bucket: 'rt-presign' }));
    await c.send(
      new PutObjectCommand({ Bucket: 'rt-presign', Key: 'file name.txt', Body: 'shared by link' }),
    );
    const url = await getSignedUrl(c, new GetObjectCommand({ Bucket: 'rt-presign', Key: 'file name.txt' }), {
      expiresIn: 300,
    });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('shared by link');
    const tampered = await fetch(url.replace('file%20name.txt', 'other.txt'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const anonymous = await fetch(`${server().endpoint}/rt-presign/file%20name.txt`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
    // boto3's default presigned URL (SigV2, HMAC-SHA1 from Web Crypto on every runtime)
    const { accessKeyId, secretAccessKey } = server().creds;
    const expires = String(Math.floor(Date.now() / 1000) + 300);
    const path = '/rt-presign/file%20name.txt';
    const v2 = createHmac('sha1', secretAccessKey).update(`GET\n\n\n${expires}\n${path}`).digest('base64');
    const q = new URLSearchParams({ AWSAccessKeyId: accessKeyId, Expires: expires, Signature: v2 });
    const byV2 = await fetch(`${server().endpoint}${path}?${q}`);
    expect(byV2.status).toBe(200);
    expect(await byV2.text()).toBe('shared by link');
  });

  it('refuses a key that is not UTF-8 once percent-decoded with 400, not 404', async () => {
    for (const key of ['a%FFb', '%ED%A0%80', '%F0%9F%98']) {
      const res = await fetch(`${server().endpoint}/rt-presign/${key}`);
      expect(res.status, key).toBe(400);
      expect(await res.text()).toContain('<Code>InvalidArgument</Code>');
    }
  });

  it('multipart: a retried Complete, part-wise GETs with their checksums, GetObjectAttributes', async () => {
    const c = client();
    const [Bucket, Key] = ['rt-parts', 'two-parts'];
    await c.send(new CreateBucketCommand({ Bucket }));
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1000)];
    const { UploadId } = await c.send(
      new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: 'CRC32' }),
    );
    const Parts: { PartNumber: number; ETag?: string; ChecksumCRC32?: string }[] = [];
    for (const [i, Body] of parts.entries()) {
      const r = await c.send(
        new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: 'CRC32' }),
      );
      Parts.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
    }
    const complete = () =>
      c.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }));
    const done = await complete();
    expect((await complete()).ETag).toBe(done.ETag);
    const p2 = await c.send(new GetObjectCommand({ Bucket, Key, PartNumber: 2, ChecksumMode: 'ENABLED' }));
    expect(Buffer.from(await p2.Body!.transformToByteArray()).equals(parts[1]!)).toBe(true);
    expect(p2).toMatchObject({ PartsCount: 2, ChecksumCRC32: Parts[1]!.ChecksumCRC32 });
    const attrs = await c.send(
      new GetObjectAttributesCommand({ Bucket, Key, ObjectAttributes: ['ObjectParts', 'ObjectSize'] }),
    );
    expect(attrs.ObjectSize).toBe(5 * 1024 * 1024 + 1000);
    expect(attrs.ObjectParts?.Parts?.map((p) => p.Size)).toEqual([5 * 1024 * 1024, 1000]);
  });
}
