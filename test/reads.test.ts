/** Reads: ranges (206/416), conditional requests (304/412), response-* overrides. */
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, presign, randomBytes, s3, signedFetch } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
const B = 'reads';
const big = randomBytes(3 * 1024 * 1024 + 333); // several chunks
const small = new TextEncoder().encode('0123456789abcdefghij'); // inline
let etag = '';
let lastModified = new Date();

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: B }));
  await client.send(new PutObjectCommand({ Bucket: B, Key: 'big', Body: big }));
  await client.send(
    new PutObjectCommand({ Bucket: B, Key: 'small', Body: small, ContentType: 'text/plain' }),
  );
  await client.send(new PutObjectCommand({ Bucket: B, Key: 'empty', Body: new Uint8Array() }));
  const head = await client.send(new HeadObjectCommand({ Bucket: B, Key: 'small' }));
  etag = head.ETag!;
  lastModified = head.LastModified!;
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

const get = (key: string, headers: Record<string, string> = {}, query: Record<string, string> = {}) =>
  signedFetch(srv.endpoint, srv.creds, { path: `/${B}/${key}`, headers, query });

describe('ranges', () => {
  const cases: [string, string, number, number][] = [
    ['first byte', 'bytes=0-0', 0, 0],
    [
      'a middle slice across chunk boundaries',
      `bytes=${1024 * 1024 - 10}-${2 * 1024 * 1024 + 10}`,
      1024 * 1024 - 10,
      2 * 1024 * 1024 + 10,
    ],
    ['open-ended', `bytes=${big.length - 100}-`, big.length - 100, big.length - 1],
    ['suffix', 'bytes=-500', big.length - 500, big.length - 1],
    ['suffix longer than the object', `bytes=-${big.length + 10}`, 0, big.length - 1],
    ['end past the object', `bytes=10-${big.length + 1000}`, 10, big.length - 1],
  ];
  for (const [name, range, start, end] of cases) {
    it(`serves ${name} (${range}) with 206 and Content-Range`, async () => {
      const res = await get('big', { range });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${big.length}`);
      expect(res.headers.get('content-length')).toBe(String(end - start + 1));
      expect(
        Buffer.compare(Buffer.from(await res.arrayBuffer()), Buffer.from(big.subarray(start, end + 1))),
      ).toBe(0);
    });
  }

  it('serves ranges of inline objects', async () => {
    const res = await get('small', { range: 'bytes=5-9' });
    expect(res.status).toBe(206);
    expect(await res.text()).toBe('56789');
  });

  it('answers 416 InvalidRange with Content-Range */size when the start is past the end', async () => {
    const res = await get('small', { range: 'bytes=20-30' });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe('bytes */20');
    expect(await errorCode(res)).toBe('InvalidRange');
    expect((await get('empty', { range: 'bytes=0-' })).status).toBe(416);
    expect((await get('small', { range: 'bytes=-0' })).status).toBe(416);
  });

  it('ignores a Range it cannot parse or multiple ranges, sending the whole object (as S3)', async () => {
    for (const range of ['bytes=5-1', 'lines=1-2', 'bytes=0-1,5-6']) {
      const res = await get('small', { range });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('0123456789abcdefghij');
    }
  });

  it('the SDK gets a range too', async () => {
    const r = await client.send(new GetObjectCommand({ Bucket: B, Key: 'big', Range: 'bytes=100-199' }));
    expect(r.ContentRange).toBe(`bytes 100-199/${big.length}`);
    expect(
      Buffer.compare(Buffer.from(await r.Body!.transformToByteArray()), Buffer.from(big.subarray(100, 200))),
    ).toBe(0);
  });
});

describe('conditional requests', () => {
  const past = new Date(Date.now() - 86400_000).toUTCString();
  const future = new Date(Date.now() + 86400_000).toUTCString();

  it('If-None-Match with the ETag: 304 with the ETag and no body', async () => {
    const res = await get('small', { 'if-none-match': etag });
    expect(res.status).toBe(304);
    expect(res.headers.get('etag')).toBe(etag);
    expect(await res.text()).toBe('');
    expect((await get('small', { 'if-none-match': '"other"' })).status).toBe(200);
    expect((await get('small', { 'if-none-match': '*' })).status).toBe(304);
  });

  it('If-Match: 412 PreconditionFailed when it differs, 200 when it matches', async () => {
    const res = await get('small', { 'if-match': '"other"' });
    expect(res.status).toBe(412);
    expect(await errorCode(res)).toBe('PreconditionFailed');
    expect((await get('small', { 'if-match': etag })).status).toBe(200);
  });

  it('If-Modified-Since: 304 when not modified since, 200 when modified', async () => {
    expect((await get('small', { 'if-modified-since': future })).status).toBe(304);
    expect((await get('small', { 'if-modified-since': lastModified.toUTCString() })).status).toBe(304);
    expect((await get('small', { 'if-modified-since': past })).status).toBe(200);
  });

  it('If-Unmodified-Since: 412 when modified after, 200 otherwise', async () => {
    expect((await get('small', { 'if-unmodified-since': past })).status).toBe(412);
    expect((await get('small', { 'if-unmodified-since': future })).status).toBe(200);
  });

  it('combines as S3 does: If-Match true wins over If-Unmodified-Since false; If-None-Match false wins over If-Modified-Since', async () => {
    expect((await get('small', { 'if-match': etag, 'if-unmodified-since': past })).status).toBe(200);
    expect((await get('small', { 'if-none-match': etag, 'if-modified-since': past })).status).toBe(304);
    expect((await get('small', { 'if-none-match': '"other"', 'if-modified-since': future })).status).toBe(
      200,
    );
  });

  it('applies to HEAD too', async () => {
    const res = await signedFetch(srv.endpoint, srv.creds, {
      method: 'HEAD',
      path: `/${B}/small`,
      headers: { 'if-none-match': etag },
    });
    expect(res.status).toBe(304);
  });
});

describe('response-* overrides', () => {
  it('override the response headers of a signed GET (the SDK and presigned URLs)', async () => {
    const r = await client.send(
      new GetObjectCommand({
        Bucket: B,
        Key: 'small',
        ResponseContentType: 'application/x-custom',
        ResponseContentDisposition: 'attachment; filename="x.txt"',
        ResponseCacheControl: 'no-store',
        ResponseContentLanguage: 'ru',
        ResponseContentEncoding: 'identity',
        ResponseExpires: new Date('2031-01-01T00:00:00Z'),
      }),
    );
    expect(r).toMatchObject({
      ContentType: 'application/x-custom',
      ContentDisposition: 'attachment; filename="x.txt"',
      CacheControl: 'no-store',
      ContentLanguage: 'ru',
      ContentEncoding: 'identity',
    });
    const url = await presign(srv.endpoint, srv.creds, {
      path: `/${B}/small`,
      expiresIn: 60,
      query: { 'response-content-disposition': 'attachment; filename="download.txt"' },
    });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="download.txt"');
  });
});
