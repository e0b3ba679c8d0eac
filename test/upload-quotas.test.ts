/**
 * Every way an upload comes in holds the account's largest object (maxObjectSize) and byte quota
 * (maxBytes), alone and concurrently: PUT (also aws-chunked without Content-Length), browser POST forms
 * (with and without Content-Length), multipart parts, UploadPartCopy, CopyObject and completion.
 * After every refusal nothing is kept and no reservation is left behind.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_TOKEN, type TestAccount, account } from './helpers/accounts.ts';
import { api } from './helpers/api.ts';
import { errorCode, randomBytes, signedFetch } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;

beforeAll(async () => {
  srv = await startServer({ env: { QOIMA_OPERATOR_TOKEN: OPERATOR_TOKEN } });
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

interface Form {
  url: string;
  fields: Record<string, string>;
}

async function formFor(a: TestAccount, bucket: string, body: Record<string, unknown>): Promise<Form> {
  const res = await api(a, 'POST', `/admin/buckets/${bucket}/presigned-post`, body);
  expect(res.status).toBe(200);
  return res.json();
}

/** The form as a browser encodes it: the multipart body and its content type. */
async function encoded(
  form: Form,
  file: Uint8Array,
  filename: string,
): Promise<{ body: Uint8Array; type: string }> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(form.fields)) fd.append(k, v);
  fd.append('file', new Blob([file as BlobPart]), filename);
  const r = new Response(fd);
  return { body: new Uint8Array(await r.arrayBuffer()), type: r.headers.get('content-type')! };
}

/**
 * Posts a form with Content-Length (as browsers do), or chunked without one (as scripts may). A form
 * refused while its file arrives gets its answer and a closed connection: a client still sending may
 * see only the closed connection (null here).
 */
async function post(
  form: Form,
  file: Uint8Array,
  filename: string,
  chunked = false,
): Promise<Response | null> {
  const { body, type } = await encoded(form, file, filename);
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < body.length; i += 1000) c.enqueue(body.slice(i, i + 1000));
      c.close();
    },
  });
  const sent = chunked ? { body: stream, duplex: 'half' } : { body: body as BodyInit };
  return fetch(form.url, { method: 'POST', headers: { 'content-type': type }, ...sent } as RequestInit).catch(
    (e: Error) => {
      if (/EPIPE|ECONNRESET|other side closed/.test(String(e.cause ?? e))) return null;
      throw e;
    },
  );
}

/** A form refused for the account's quota (or cut off while it was still being sent). */
async function expectQuotaExceeded(res: Response | null): Promise<void> {
  if (res === null) return;
  expect(res.status).toBe(403);
  expect(await errorCode(res)).toBe('QuotaExceeded');
}

/** What the account stores must stay within its quota, with no reservation left over. */
async function expectWithin(a: TestAccount, maxBytes: number): Promise<{ bytes: number; objects: number }> {
  const { usage } = await a.usage();
  expect(usage.bytes + usage.uploadBytes).toBeLessThanOrEqual(maxBytes);
  expect(usage.reservedBytes).toBe(0);
  return { bytes: usage.bytes, objects: usage.objects };
}

async function keys(a: TestAccount, bucket: string): Promise<string[]> {
  return ((await a.client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [])
    .map((c) => c.Key!)
    .sort();
}

describe('browser upload forms', () => {
  it('cannot store more than the largest object or the byte quota (the operator set 1000 and 20000)', async () => {
    const a = await account(srv.endpoint, { maxObjectSize: 1000, maxBytes: 20_000 });
    await a.client.send(new CreateBucketCommand({ Bucket: 'form-limits' }));
    const form = await formFor(a, 'form-limits', { keyPrefix: 'up/' });
    for (const size of [5000, 200_000]) {
      await expectQuotaExceeded(await post(form, randomBytes(size), `f${size}.bin`));
    }
    expect((await post(form, randomBytes(1000), 'fits.bin'))?.status).toBe(204);
    expect(await keys(a, 'form-limits')).toEqual(['up/fits.bin']);
    expect(await expectWithin(a, 20_000)).toEqual({ bytes: 1000, objects: 1 });
  });

  it('a form sent without Content-Length is held to the same limits', async () => {
    const a = await account(srv.endpoint, { maxObjectSize: 1000, maxBytes: 20_000 });
    await a.client.send(new CreateBucketCommand({ Bucket: 'form-chunked' }));
    const form = await formFor(a, 'form-chunked', { keyPrefix: 'up/' });
    await expectQuotaExceeded(await post(form, randomBytes(50_000), 'big.bin', true));
    expect((await post(form, randomBytes(900), 'small.bin', true))?.status).toBe(204);
    expect(await keys(a, 'form-chunked')).toEqual(['up/small.bin']);
    expect(await expectWithin(a, 20_000)).toEqual({ bytes: 900, objects: 1 });
  });

  for (const chunked of [false, true]) {
    it(`parallel forms${chunked ? ' without Content-Length' : ''} together stay within the byte quota`, async () => {
      const a = await account(srv.endpoint, { maxObjectSize: 100_000, maxBytes: 20_000 });
      const bucket = chunked ? 'form-race-chunked' : 'form-race';
      await a.client.send(new CreateBucketCommand({ Bucket: bucket }));
      const form = await formFor(a, bucket, { keyPrefix: 'up/' });
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => post(form, randomBytes(6000), `f${i}.bin`, chunked)),
      );
      const ok = results.filter((r) => r?.status === 204).length;
      expect(ok).toBeGreaterThanOrEqual(1);
      expect(ok).toBeLessThanOrEqual(3);
      for (const r of results.filter((r) => r?.status !== 204)) await expectQuotaExceeded(r);
      expect(await expectWithin(a, 20_000)).toEqual({ bytes: ok * 6000, objects: ok });
      expect((await keys(a, bucket)).length).toBe(ok);
    });
  }
});

describe('PUT', () => {
  /** A PutObject with a stream body: the SDK sends it aws-chunked, without Content-Length. */
  const streamed = (a: TestAccount, bucket: string, key: string, size: number) =>
    a.client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: Readable.from([Buffer.from(randomBytes(size))]),
        ContentLength: size,
      }),
    );

  it('aws-chunked uploads without Content-Length hold the largest object and the byte quota, also in parallel', async () => {
    const a = await account(srv.endpoint, { maxObjectSize: 10_000, maxBytes: 20_000 });
    await a.client.send(new CreateBucketCommand({ Bucket: 'put-chunked' }));
    await expect(streamed(a, 'put-chunked', 'too-big', 12_000)).rejects.toMatchObject({
      name: 'QuotaExceeded',
    });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => streamed(a, 'put-chunked', `k${i}`, 8000)),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBe(2);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as Error).name).toBe('QuotaExceeded');
    expect(await expectWithin(a, 20_000)).toEqual({ bytes: 16_000, objects: 2 });
  });

  it('a chunked body longer than it declared, or with no decoded length at all, is refused and leaves nothing', async () => {
    const a = await account(srv.endpoint, { maxObjectSize: 1000, maxBytes: 20_000 });
    await a.client.send(new CreateBucketCommand({ Bucket: 'put-lies' }));
    const frame = (data: Uint8Array) => {
      const head = new TextEncoder().encode(`${data.length.toString(16)}\r\n`);
      const tail = new TextEncoder().encode('\r\n0\r\n\r\n');
      const out = new Uint8Array(head.length + data.length + tail.length);
      out.set(head);
      out.set(data, head.length);
      out.set(tail, head.length + data.length);
      return out;
    };
    const send = (key: string, decoded: string | null) =>
      signedFetch(srv.endpoint, a.creds, {
        method: 'PUT',
        path: `/put-lies/${key}`,
        payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        headers: {
          'content-encoding': 'aws-chunked',
          ...(decoded === null ? {} : { 'x-amz-decoded-content-length': decoded }),
        },
        body: new ReadableStream({
          start(c) {
            c.enqueue(frame(randomBytes(5000)));
            c.close();
          },
        }),
      });
    const lying = await send('lying', '500');
    expect(lying.status).toBe(400);
    const unknown = await send('unknown', null);
    expect(unknown.status).toBe(411);
    expect(await keys(a, 'put-lies')).toEqual([]);
    expect(await expectWithin(a, 20_000)).toEqual({ bytes: 0, objects: 0 });
  });
});

describe('multipart uploads and copies', () => {
  it('parts, UploadPartCopy and CopyObject hold the largest object and the byte quota', async () => {
    const a = await account(srv.endpoint, { maxObjectSize: 1000, maxBytes: 3000 });
    const c = a.client;
    await c.send(new CreateBucketCommand({ Bucket: 'mp-copies' }));
    await c.send(new PutObjectCommand({ Bucket: 'mp-copies', Key: 'src', Body: randomBytes(800) }));
    await c.send(new CopyObjectCommand({ Bucket: 'mp-copies', Key: 'copy1', CopySource: 'mp-copies/src' }));
    // two copies race for the room of one (800 + 800 used, 3000 allowed)
    const copies = await Promise.allSettled(
      ['copy2', 'copy3'].map((k) =>
        c.send(new CopyObjectCommand({ Bucket: 'mp-copies', Key: k, CopySource: 'mp-copies/src' })),
      ),
    );
    expect(copies.filter((r) => r.status === 'fulfilled').length).toBe(1);
    for (const r of copies)
      if (r.status === 'rejected') expect((r.reason as Error).name).toBe('QuotaExceeded');
    expect(await expectWithin(a, 3000)).toEqual({ bytes: 2400, objects: 3 });

    const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: 'mp-copies', Key: 'mp' }));
    await expect(
      c.send(
        new UploadPartCommand({
          Bucket: 'mp-copies',
          Key: 'mp',
          UploadId,
          PartNumber: 1,
          Body: randomBytes(1200),
        }),
      ),
    ).rejects.toMatchObject({
      name: 'QuotaExceeded',
      message: expect.stringMatching(/larger than the largest/),
    });
    await c.send(
      new UploadPartCommand({
        Bucket: 'mp-copies',
        Key: 'mp',
        UploadId,
        PartNumber: 1,
        Body: randomBytes(500),
      }),
    );
    await expect(
      c.send(
        new UploadPartCopyCommand({
          Bucket: 'mp-copies',
          Key: 'mp',
          UploadId,
          PartNumber: 2,
          CopySource: 'mp-copies/src',
        }),
      ),
    ).rejects.toMatchObject({ name: 'QuotaExceeded' });
    expect((await a.usage()).usage.uploadBytes).toBe(500);
    await c.send(new AbortMultipartUploadCommand({ Bucket: 'mp-copies', Key: 'mp', UploadId }));
    expect(await expectWithin(a, 3000)).toEqual({ bytes: 2400, objects: 3 });
  });

  it('completing an upload larger than the largest object is refused, and its parts stay counted until aborted', async () => {
    const MiB = 1024 * 1024;
    const a = await account(srv.endpoint, { maxObjectSize: 6 * MiB, maxBytes: 20 * MiB });
    const c = a.client;
    await c.send(new CreateBucketCommand({ Bucket: 'mp-complete' }));
    const { UploadId } = await c.send(
      new CreateMultipartUploadCommand({ Bucket: 'mp-complete', Key: 'big' }),
    );
    const p1 = await c.send(
      new UploadPartCommand({
        Bucket: 'mp-complete',
        Key: 'big',
        UploadId,
        PartNumber: 1,
        Body: randomBytes(5 * MiB),
      }),
    );
    const p2 = await c.send(
      new UploadPartCommand({
        Bucket: 'mp-complete',
        Key: 'big',
        UploadId,
        PartNumber: 2,
        Body: randomBytes(2 * MiB),
      }),
    );
    await expect(
      c.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'mp-complete',
          Key: 'big',
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: p1.ETag },
              { PartNumber: 2, ETag: p2.ETag },
            ],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'QuotaExceeded' });
    expect((await a.usage()).usage).toMatchObject({ bytes: 0, uploadBytes: 7 * MiB, reservedBytes: 0 });
    await c.send(new AbortMultipartUploadCommand({ Bucket: 'mp-complete', Key: 'big', UploadId }));
    expect(await expectWithin(a, 20 * MiB)).toEqual({ bytes: 0, objects: 0 });
  });
});
