/** Browser upload forms (S3 POST policy), sent as raw multipart/form-data. */
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { errorCode, randomBytes, s3 } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
const B = 'forms';

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: B }));
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

interface Form {
  url: string;
  fields: Record<string, string>;
}

async function formFor(body: Record<string, unknown>): Promise<Form> {
  const res = await api(srv, 'POST', `/admin/buckets/${B}/presigned-post`, body);
  expect(res.status).toBe(200);
  return res.json();
}

function post(
  form: Form,
  file: Uint8Array | string,
  opts: {
    filename?: string;
    extra?: Record<string, string>;
    after?: Record<string, string>;
    omitFile?: boolean;
  } = {},
): Promise<Response> {
  const fd = new FormData();
  for (const [k, v] of Object.entries({ ...form.fields, ...(opts.extra ?? {}) })) fd.append(k, v);
  if (!opts.omitFile) fd.append('file', new Blob([file as BlobPart]), opts.filename ?? 'photo.jpg');
  for (const [k, v] of Object.entries(opts.after ?? {})) fd.append(k, v);
  return fetch(form.url, { method: 'POST', body: fd, redirect: 'manual' });
}

async function keys(prefix: string): Promise<string[]> {
  return ((await client.send(new ListObjectsV2Command({ Bucket: B, Prefix: prefix }))).Contents ?? []).map(
    (c) => c.Key!,
  );
}

describe('POST policy uploads', () => {
  it('uploads a file under a key prefix, substituting ${filename}, and answers 204 by default', async () => {
    const form = await formFor({
      keyPrefix: 'uploads/',
      maxSize: 1024 * 1024,
      fields: { 'Content-Type': 'image/jpeg' },
    });
    expect(form.url).toBe(`${srv.endpoint}/${B}`);
    const res = await post(form, 'jpeg bytes', { filename: 'holiday.jpg' });
    expect(res.status).toBe(204);
    expect(res.headers.get('etag')).toBe(`"${createHash('md5').update('jpeg bytes').digest('hex')}"`);
    const head = await client.send(new HeadObjectCommand({ Bucket: B, Key: 'uploads/holiday.jpg' }));
    expect(head).toMatchObject({ ContentType: 'image/jpeg', ContentLength: 10 });
  });

  it('answers 201 with XML, 200 empty, or 303 to success_action_redirect with bucket, key and ETag', async () => {
    const created = await post(await formFor({ key: 'status/201.txt', successActionStatus: '201' }), 'x');
    expect(created.status).toBe(201);
    const xml = await created.text();
    expect(xml).toContain('<Key>status/201.txt</Key>');
    expect(xml).toContain('<Bucket>forms</Bucket>');
    expect(xml).toMatch(/<ETag>&quot;[0-9a-f]{32}&quot;<\/ETag>/);
    const ok = await post(await formFor({ key: 'status/200.txt', successActionStatus: '200' }), 'x');
    expect(ok.status).toBe(200);
    const redirected = await post(
      await formFor({
        key: 'status/redirect.txt',
        successActionRedirect: 'https://app.example.com/done?from=form',
      }),
      'x',
    );
    expect(redirected.status).toBe(303);
    const location = new URL(redirected.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://app.example.com/done');
    expect(Object.fromEntries(location.searchParams)).toEqual({
      from: 'form',
      bucket: B,
      key: 'status/redirect.txt',
      etag: `"${createHash('md5').update('x').digest('hex')}"`,
    });
  });

  it('works with forms made by @aws-sdk/s3-presigned-post (x-amz-meta-* and Content-Type conditions)', async () => {
    const { url, fields } = await createPresignedPost(client, {
      Bucket: B,
      Key: 'sdk/${filename}',
      Expires: 300,
      Conditions: [
        ['content-length-range', 0, 10_000],
        ['starts-with', '$Content-Type', 'text/'],
      ],
      Fields: { 'x-amz-meta-uploader': 'browser', 'Content-Type': 'text/plain' },
    });
    const res = await post({ url, fields }, 'from the sdk form', { filename: 'note.txt' });
    expect(res.status).toBe(204);
    const head = await client.send(new HeadObjectCommand({ Bucket: B, Key: 'sdk/note.txt' }));
    expect(head).toMatchObject({ ContentType: 'text/plain', Metadata: { uploader: 'browser' } });
  });

  it('ignores fields after the file (as S3)', async () => {
    const res = await post(await formFor({ key: 'after/file.txt' }), 'body', {
      after: { 'x-amz-meta-late': 'ignored' },
    });
    expect(res.status).toBe(204);
    expect((await client.send(new HeadObjectCommand({ Bucket: B, Key: 'after/file.txt' }))).Metadata).toEqual(
      {},
    );
  });
});

describe('every condition is enforced, and nothing is kept when one fails', () => {
  it('content-length-range: too big is EntityTooLarge, too small EntityTooSmall', async () => {
    const form = await formFor({ keyPrefix: 'sized/', maxSize: 1000, minSize: 10 });
    const big = await post(form, randomBytes(1001), { filename: 'big.bin' });
    expect(big.status).toBe(400);
    expect(await errorCode(big)).toBe('EntityTooLarge');
    const small = await post(form, 'tiny', { filename: 'small.bin' });
    expect(small.status).toBe(400);
    expect(await errorCode(small)).toBe('EntityTooSmall');
    expect(await keys('sized/')).toEqual([]);
  });

  it('stops reading an oversized upload as soon as it passes the limit', async () => {
    const form = await formFor({ key: 'stream/huge.bin', maxSize: 1024 * 1024 });
    const boundary = 'qoimaboundary123';
    const head =
      Object.entries(form.fields)
        .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
        .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const total = 200 * 1024 * 1024; // 200 MiB, sent at most 2 MiB every 20 ms: ~2 s if fully read
    const started = Date.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${form.url}`,
        {
          method: 'POST',
          headers: {
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': String(Buffer.byteLength(head) + total + boundary.length + 8),
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          clearInterval(timer);
          req.destroy();
        },
      );
      req.on('error', (e) => (Date.now() - started < 100 ? reject(e) : undefined));
      req.write(head);
      let sent = 0;
      const chunk = randomBytes(2 * 1024 * 1024);
      const timer = setInterval(() => {
        if (sent >= total) return clearInterval(timer);
        req.write(chunk);
        sent += chunk.length;
      }, 20);
    });
    expect(status).toBe(400);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await keys('stream/')).toEqual([]);
  });

  it('refuses a key outside the allowed prefix, another bucket, an extra field, and a missing file', async () => {
    const form = await formFor({ keyPrefix: 'allowed/', maxSize: 1000 });
    const outside = await post({ ...form, fields: { ...form.fields, key: 'elsewhere/x.txt' } }, 'x');
    expect(outside.status).toBe(403);
    expect(await outside.text()).toContain('Policy Condition failed');
    await client.send(new CreateBucketCommand({ Bucket: 'forms-other' }));
    const wrongBucket = await post({ ...form, url: form.url.replace(`/${B}`, '/forms-other') }, 'x');
    expect(wrongBucket.status).toBe(403);
    const extra = await post(form, 'x', { extra: { 'x-amz-meta-sneaky': 'yes' } });
    expect(extra.status).toBe(403);
    expect(await extra.text()).toContain('Extra input fields: x-amz-meta-sneaky');
    const noFile = await post(form, '', { omitFile: true });
    expect(noFile.status).toBe(400);
    expect(await errorCode(noFile)).toBe('IncorrectNumberOfFilesInPostRequest');
    expect(await keys('allowed/')).toEqual([]);
    expect(await keys('elsewhere/')).toEqual([]);
  });

  it('refuses a form asking for server-side encryption or tags (501), storing nothing', async () => {
    for (const [i, fields] of [
      { 'x-amz-server-side-encryption': 'AES256' },
      { tagging: '<Tagging><TagSet/></Tagging>' },
    ].entries()) {
      const res = await post(await formFor({ key: `unsupported/${i}.txt`, fields }), 'x');
      expect(res.status).toBe(501);
      expect(await errorCode(res)).toBe('NotImplemented');
    }
    expect(await keys('unsupported/')).toEqual([]);
  });

  it('refuses an expired policy and a tampered policy or signature', async () => {
    const expired = await formFor({ keyPrefix: 'exp/', expiresInSeconds: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    const late = await post(expired, 'x');
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('Policy expired');
    const form = await formFor({ keyPrefix: 'tamper/', maxSize: 10 });
    const policy = JSON.parse(Buffer.from(form.fields.policy!, 'base64').toString());
    policy.conditions = policy.conditions.map((c: unknown) =>
      Array.isArray(c) && c[0] === 'content-length-range' ? ['content-length-range', 0, 10 ** 9] : c,
    );
    const forged = await post(
      { ...form, fields: { ...form.fields, policy: Buffer.from(JSON.stringify(policy)).toString('base64') } },
      randomBytes(100),
    );
    expect(forged.status).toBe(403);
    expect(await errorCode(forged)).toBe('SignatureDoesNotMatch');
    const badSig = await post(
      { ...form, fields: { ...form.fields, 'x-amz-signature': '0'.repeat(64) } },
      'x',
    );
    expect(await errorCode(badSig)).toBe('SignatureDoesNotMatch');
    expect(await keys('tamper/')).toEqual([]);
  });

  it("a form signed by one account cannot upload into another account's bucket", async () => {
    const { admin } = await import('./helpers/server.ts');
    const other = JSON.parse(await admin(srv.dataDir, ['accounts', 'create', '--name', 'mallory', '--json']));
    const them = s3(srv.endpoint, other);
    const { url, fields } = await createPresignedPost(them, { Bucket: B, Key: 'stolen.txt', Expires: 60 });
    const res = await post({ url, fields }, 'x');
    expect(res.status).toBe(403);
    await expect(client.send(new GetObjectCommand({ Bucket: B, Key: 'stolen.txt' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
    });
  });
});
