/** Objects through the real AWS SDK: copy (within and across buckets), conditional writes, batch delete. */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
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

serverPerFile([B, 'objects-2'], (s) => ({ srv, client } = s));

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
