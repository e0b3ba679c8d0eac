/** Objects through the real AWS SDK: put/get/head/delete, metadata, integrity, copy, batch delete. */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, randomBytes, s3, signedFetch } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
const B = 'objects';

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: B }));
  await client.send(new CreateBucketCommand({ Bucket: 'objects-2' }));
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

const md5hex = (b: Uint8Array | string) => createHash('md5').update(b).digest('hex');
const bytesOf = async (r: { Body?: { transformToByteArray(): Promise<Uint8Array> } }) =>
  Buffer.from(await r.Body!.transformToByteArray());

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

describe('copy', () => {
  it('copies with metadata (COPY), replaces metadata (REPLACE), across buckets, sharing bytes', async () => {
    const body = randomBytes(2 * 1024 * 1024 + 5);
    await client.send(
      new PutObjectCommand({
        Bucket: B,
        Key: 'copy/src',
        Body: body,
        ContentType: 'image/png',
        Metadata: { a: '1' },
      }),
    );
    const c1 = await client.send(
      new CopyObjectCommand({ Bucket: 'objects-2', Key: 'copied', CopySource: `${B}/copy/src` }),
    );
    expect(c1.CopyObjectResult?.ETag).toBe(`"${md5hex(body)}"`);
    const h1 = await client.send(new HeadObjectCommand({ Bucket: 'objects-2', Key: 'copied' }));
    expect(h1).toMatchObject({ ContentType: 'image/png', Metadata: { a: '1' }, ContentLength: body.length });
    await client.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: 'copy/replaced',
        CopySource: `${B}/copy/src`,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/plain',
        Metadata: { b: '2' },
      }),
    );
    const h2 = await client.send(new HeadObjectCommand({ Bucket: B, Key: 'copy/replaced' }));
    expect(h2).toMatchObject({ ContentType: 'text/plain', Metadata: { b: '2' } });
    const got = await bytesOf(
      await client.send(new GetObjectCommand({ Bucket: 'objects-2', Key: 'copied' })),
    );
    expect(Buffer.compare(got, Buffer.from(body))).toBe(0);
    // deleting the source leaves the copy whole
    await client.send(new DeleteObjectCommand({ Bucket: B, Key: 'copy/src' }));
    expect(
      Buffer.compare(
        await bytesOf(await client.send(new GetObjectCommand({ Bucket: 'objects-2', Key: 'copied' }))),
        Buffer.from(body),
      ),
    ).toBe(0);
  });

  it('copies keys that need URL-encoding in x-amz-copy-source', async () => {
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'copy/a b+c ü', Body: 'odd' }));
    await client.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: 'copy/odd-copy',
        CopySource: encodeURI(`${B}/copy/a b+c ü`).replace(/\+/g, '%2B'),
      }),
    );
    expect(
      (
        await bytesOf(await client.send(new GetObjectCommand({ Bucket: B, Key: 'copy/odd-copy' })))
      ).toString(),
    ).toBe('odd');
  });

  it('refuses copying an object onto itself without changes, allows it with REPLACE', async () => {
    await client.send(
      new PutObjectCommand({ Bucket: B, Key: 'copy/self', Body: 'me', ContentType: 'text/plain' }),
    );
    await expect(
      client.send(new CopyObjectCommand({ Bucket: B, Key: 'copy/self', CopySource: `${B}/copy/self` })),
    ).rejects.toMatchObject({ name: 'InvalidRequest' });
    await client.send(
      new CopyObjectCommand({
        Bucket: B,
        Key: 'copy/self',
        CopySource: `${B}/copy/self`,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/markdown',
      }),
    );
    const h = await client.send(new HeadObjectCommand({ Bucket: B, Key: 'copy/self' }));
    expect(h.ContentType).toBe('text/markdown');
    expect(
      (await bytesOf(await client.send(new GetObjectCommand({ Bucket: B, Key: 'copy/self' })))).toString(),
    ).toBe('me');
  });

  it('honours x-amz-copy-source-if-match and reports a missing source', async () => {
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'copy/cond', Body: 'c' }));
    await expect(
      client.send(
        new CopyObjectCommand({
          Bucket: B,
          Key: 'copy/cond2',
          CopySource: `${B}/copy/cond`,
          CopySourceIfMatch: '"0000"',
        }),
      ),
    ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    await expect(
      client.send(new CopyObjectCommand({ Bucket: B, Key: 'copy/x', CopySource: `${B}/copy/missing` })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });
});

describe('conditional writes', () => {
  it('If-None-Match: * creates only when absent; If-Match replaces only the expected version', async () => {
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'cw', Body: 'first', IfNoneMatch: '*' }));
    await expect(
      client.send(new PutObjectCommand({ Bucket: B, Key: 'cw', Body: 'second', IfNoneMatch: '*' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    await expect(
      client.send(new PutObjectCommand({ Bucket: B, Key: 'cw', Body: 'third', IfMatch: '"deadbeef"' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    await client.send(
      new PutObjectCommand({ Bucket: B, Key: 'cw', Body: 'fourth', IfMatch: `"${md5hex('first')}"` }),
    );
    expect(
      (await bytesOf(await client.send(new GetObjectCommand({ Bucket: B, Key: 'cw' })))).toString(),
    ).toBe('fourth');
  });
});

describe('DeleteObjects', () => {
  it('deletes many keys in one request, reporting each (quiet mode reports only errors)', async () => {
    for (let i = 0; i < 5; i++)
      await client.send(new PutObjectCommand({ Bucket: B, Key: `batch/${i}`, Body: String(i) }));
    const res = await client.send(
      new DeleteObjectsCommand({
        Bucket: B,
        Delete: { Objects: [0, 1, 2, 9].map((i) => ({ Key: `batch/${i}` })) },
      }),
    );
    expect(res.Deleted?.map((d) => d.Key).sort()).toEqual(['batch/0', 'batch/1', 'batch/2', 'batch/9']);
    expect(res.Errors ?? []).toEqual([]);
    const quiet = await client.send(
      new DeleteObjectsCommand({
        Bucket: B,
        Delete: { Quiet: true, Objects: [{ Key: 'batch/3' }, { Key: 'batch/4' }] },
      }),
    );
    expect(quiet.Deleted ?? []).toEqual([]);
    await expect(client.send(new HeadObjectCommand({ Bucket: B, Key: 'batch/4' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('refuses malformed XML and more than 1000 keys', async () => {
    const body = '<Delete><Object><Key>a</Key></Object>';
    const md5 = createHash('md5').update(body).digest('base64');
    const res = await signedFetch(srv.endpoint, srv.creds, {
      method: 'POST',
      path: `/${B}`,
      query: { delete: '' },
      body,
      headers: { 'content-md5': md5 },
    });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('MalformedXML');
    await expect(
      client.send(
        new DeleteObjectsCommand({
          Bucket: B,
          Delete: { Objects: Array.from({ length: 1001 }, (_, i) => ({ Key: `k${i}` })) },
        }),
      ),
    ).rejects.toMatchObject({ name: 'MalformedXML' });
  });
});
