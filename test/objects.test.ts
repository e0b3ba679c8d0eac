/**
 * Objects through the real AWS SDK: put/get/head/delete, metadata, integrity, and features refused
 * (copy, conditional writes and batch delete: objects-copy-delete.test.ts).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytesOf, errorCode, md5hex, randomBytes, serverPerFile, signedFetch } from './helpers/s3.ts';
import type { RunningServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
const B = 'objects';

serverPerFile([B], (s) => ({ srv, client } = s));

describe('put, get, head, delete', () => {
  it('round-trips bytes and returns the MD5 as ETag, small and chunked', async () => {
    for (const size of [0, 1, 100, 8 * 1024, 8 * 1024 + 1, 1024 * 1024, 3 * 1024 * 1024 + 17]) {
      const body = randomBytes(size);
      const put = await client.send(new PutObjectCommand({ Bucket: B, Key: `sizes/${size}`, Body: body }));
      expect(put.ETag).toBe(`"${md5hex(body)}"`);
      const got = await client.send(new GetObjectCommand({ Bucket: B, Key: `sizes/${size}` }));
      expect(got.ContentLength).toBe(size);
      expect(got.ETag).toBe(`"${md5hex(body)}"`);
      expect(Buffer.compare(await bytesOf(got), Buffer.from(body))).toBe(0);
    }
  });

  it('stores and returns content headers and user metadata', async () => {
    await client.send(
      new PutObjectCommand({
        Bucket: B,
        Key: 'meta/report.pdf',
        Body: 'pdf bytes',
        ContentType: 'application/pdf',
        CacheControl: 'public, max-age=3600',
        ContentDisposition: 'attachment; filename="report.pdf"',
        ContentEncoding: 'identity',
        ContentLanguage: 'kk-KZ',
        Expires: new Date('2030-01-01T00:00:00Z'),
        Metadata: { author: 'Aigerim', 'project-code': 'Q-7' },
      }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket: B, Key: 'meta/report.pdf' }));
    expect(head).toMatchObject({
      ContentType: 'application/pdf',
      CacheControl: 'public, max-age=3600',
      ContentDisposition: 'attachment; filename="report.pdf"',
      ContentEncoding: 'identity',
      ContentLanguage: 'kk-KZ',
      Metadata: { author: 'Aigerim', 'project-code': 'Q-7' },
      ContentLength: 9,
      StorageClass: 'STANDARD',
      AcceptRanges: 'bytes',
    });
    expect(head.Expires?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(head.LastModified).toBeInstanceOf(Date);
  });

  it('gives every object a unique id, a new one on overwrite', async () => {
    const id = async () =>
      (await signedFetch(srv.endpoint, srv.creds, { method: 'HEAD', path: `/${B}/ids` })).headers.get(
        'x-qoima-object-id',
      );
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'ids', Body: 'one' }));
    const first = await id();
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'ids', Body: 'one' }));
    const second = await id();
    expect(first).toMatch(/^obj/);
    expect(second).toMatch(/^obj/);
    expect(first).not.toBe(second);
  });

  it('overwrites, deletes, and answers NoSuchKey afterwards (HEAD: 404 without a body)', async () => {
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'gone', Body: 'v1' }));
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'gone', Body: 'v2' }));
    expect(
      (await bytesOf(await client.send(new GetObjectCommand({ Bucket: B, Key: 'gone' })))).toString(),
    ).toBe('v2');
    await client.send(new DeleteObjectCommand({ Bucket: B, Key: 'gone' }));
    await expect(client.send(new GetObjectCommand({ Bucket: B, Key: 'gone' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    const head = await signedFetch(srv.endpoint, srv.creds, { method: 'HEAD', path: `/${B}/gone` });
    expect(head.status).toBe(404);
    expect(await head.text()).toBe('');
    // deleting what is not there is not an error (S3)
    await client.send(new DeleteObjectCommand({ Bucket: B, Key: 'gone' }));
  });

  it('keeps keys with spaces, unicode, plus signs, dots and double slashes apart', async () => {
    const keys = [
      'with space.txt',
      'ünïcödé/қойма.txt',
      'a+b=c&d',
      'dir//double',
      'dots/../not-a-parent',
      'x?y#z',
      '%41 literal percent',
    ];
    for (const k of keys) await client.send(new PutObjectCommand({ Bucket: B, Key: `odd/${k}`, Body: k }));
    for (const k of keys)
      expect(
        (await bytesOf(await client.send(new GetObjectCommand({ Bucket: B, Key: `odd/${k}` })))).toString(),
      ).toBe(k);
  });

  it('refuses a key over 1024 bytes with KeyTooLongError', async () => {
    await expect(
      client.send(new PutObjectCommand({ Bucket: B, Key: 'k'.repeat(1025), Body: 'x' })),
    ).rejects.toMatchObject({ name: 'KeyTooLongError' });
  });

  it('refuses user metadata over 2 KB with MetadataTooLarge', async () => {
    await expect(
      client.send(
        new PutObjectCommand({ Bucket: B, Key: 'fat-meta', Body: 'x', Metadata: { big: 'v'.repeat(2100) } }),
      ),
    ).rejects.toMatchObject({ name: 'MetadataTooLarge' });
  });
});

describe('integrity', () => {
  it('verifies Content-MD5: good passes, wrong is BadDigest and stores nothing', async () => {
    const body = 'checked body';
    const good = createHash('md5').update(body).digest('base64');
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'md5/good', Body: body, ContentMD5: good }));
    const wrong = createHash('md5').update('something else').digest('base64');
    await expect(
      client.send(new PutObjectCommand({ Bucket: B, Key: 'md5/bad', Body: body, ContentMD5: wrong })),
    ).rejects.toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
    await expect(client.send(new HeadObjectCommand({ Bucket: B, Key: 'md5/bad' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    const res = await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: `/${B}/md5/malformed`,
      body,
      headers: { 'content-md5': 'not-base64!' },
    });
    expect(await errorCode(res)).toBe('InvalidDigest');
  });

  for (const alg of ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'] as const) {
    it(`verifies and returns ${alg} checksums (the SDK sends them as an aws-chunked trailer)`, async () => {
      const body = randomBytes(200_000);
      const put = await client.send(
        new PutObjectCommand({ Bucket: B, Key: `sum/${alg}`, Body: body, ChecksumAlgorithm: alg }),
      );
      const field = `Checksum${alg}` as const;
      expect(put[field]).toBeTruthy();
      const head = await client.send(
        new HeadObjectCommand({ Bucket: B, Key: `sum/${alg}`, ChecksumMode: 'ENABLED' }),
      );
      expect(head[field]).toBe(put[field]);
      const got = await client.send(
        new GetObjectCommand({ Bucket: B, Key: `sum/${alg}`, ChecksumMode: 'ENABLED' }),
      );
      expect(got[field]).toBe(put[field]);
      // the SDK validated the checksum too
      expect(Buffer.compare(await bytesOf(got), Buffer.from(body))).toBe(0);
    });
  }

  it('refuses a wrong checksum header with BadDigest and keeps the old object', async () => {
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'sum/keep', Body: 'original' }));
    const res = await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: `/${B}/sum/keep`,
      body: 'replacement',
      headers: { 'x-amz-checksum-crc32': 'AAAAAA==' },
    });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('BadDigest');
    expect(
      (await bytesOf(await client.send(new GetObjectCommand({ Bucket: B, Key: 'sum/keep' })))).toString(),
    ).toBe('original');
  });

  it('checks a signed payload hash: a body that does not match is XAmzContentSHA256Mismatch', async () => {
    const wrongHash = createHash('sha256').update('another body').digest('hex');
    const res = await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: `/${B}/sha/mismatch`,
      body: 'the body',
      payloadHash: wrongHash,
    });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('XAmzContentSHA256Mismatch');
  });

  it('refuses a PUT without Content-Length (411 MissingContentLength)', async () => {
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('streamed'));
        c.close();
      },
    });
    const res = await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: `/${B}/nolength`,
      payloadHash: 'UNSIGNED-PAYLOAD',
      body: stream,
    });
    expect(res.status).toBe(411);
    expect(await errorCode(res)).toBe('MissingContentLength');
  });
});

describe('features not offered yet are refused, never silently dropped', () => {
  it('refuses server-side encryption, tagging and object lock on PUT with 501 NotImplemented and stores nothing', async () => {
    const asks = [
      { ServerSideEncryption: 'AES256' as const },
      { SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'k'.repeat(32) },
      { Tagging: 'team=web' },
      { ObjectLockMode: 'GOVERNANCE' as const, ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000) },
    ];
    for (const [i, ask] of asks.entries()) {
      await expect(
        client.send(new PutObjectCommand({ Bucket: B, Key: `refused/${i}`, Body: 'x', ...ask })),
      ).rejects.toMatchObject({
        name: 'NotImplemented',
        $metadata: { httpStatusCode: 501 },
        message: expect.stringMatching(/not supported/),
      });
      await expect(
        client.send(new HeadObjectCommand({ Bucket: B, Key: `refused/${i}` })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    }
  });

  it('refuses turning versioning on, and answers that buckets are unversioned', async () => {
    const res = await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: `/${B}`,
      query: { versioning: '' },
      body: '<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>',
    });
    expect(res.status).toBe(501);
    expect(await errorCode(res)).toBe('NotImplemented');
    const get = await signedFetch(srv.endpoint, srv.creds, {
      method: 'GET',
      path: `/${B}`,
      query: { versioning: '' },
    });
    expect(get.status).toBe(200);
    expect(await get.text()).not.toMatch(/Enabled/);
  });
});
