/**
 * What browsers and CDNs run into: resumed downloads (If-Range), non-Latin file names in links and
 * forms, CORS on refusals, preflights and uploads on website hosts, routing rules on folders, the
 * Location a form upload answers with.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketCorsCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { hostRequest } from './helpers/http.ts';
import { s3 } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
const B = 'edgy';
const ORIGIN = 'https://app.example.com';

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: B }));
  await client.send(
    new PutBucketCorsCommand({
      Bucket: B,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: [ORIGIN],
            AllowedMethods: ['GET', 'PUT', 'POST'],
            AllowedHeaders: ['*'],
            ExposeHeaders: ['ETag'],
          },
        ],
      },
    }),
  );
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

describe('downloads', () => {
  it('a resumed download of a changed object gets the whole new object, not a spliced tail (If-Range)', async () => {
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'big.bin', Body: 'A'.repeat(1000) }));
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: B, Key: 'big.bin' }), {
      expiresIn: 300,
    });
    const first = await fetch(url, { headers: { range: 'bytes=0-99' } });
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    await first.arrayBuffer();
    for (const validator of [etag, lastModified]) {
      const same = await fetch(url, { headers: { range: 'bytes=100-', 'if-range': validator } });
      expect(same.status).toBe(206);
      expect((await same.text()).length).toBe(900);
    }
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'big.bin', Body: 'B'.repeat(1200) }));
    const changed = await fetch(url, { headers: { range: 'bytes=100-', 'if-range': etag } });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toBe('B'.repeat(1200));
  });

  it('a presigned link may name the file in any script (response-content-disposition)', async () => {
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'report.pdf', Body: '%PDF' }));
    const url = await getSignedUrl(
      client,
      new GetObjectCommand({
        Bucket: B,
        Key: 'report.pdf',
        ResponseContentDisposition: 'attachment; filename="Отчёт 2026.pdf"',
      }),
      { expiresIn: 300 },
    );
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const raw = res.headers.get('content-disposition')!;
    // UTF-8 bytes on the wire
    expect(Buffer.from(raw, 'latin1').toString('utf8')).toBe('attachment; filename="Отчёт 2026.pdf"');
  });
});

describe('browser forms', () => {
  it("store non-Latin metadata from a form and answer with the object's URL as the browser reached us", async () => {
    const form = await (
      await api(srv, 'POST', `/admin/buckets/${B}/presigned-post`, {
        keyPrefix: 'forms/',
        fields: { 'x-amz-meta-title': 'Қойма' },
        successActionStatus: '201',
      })
    ).json();
    const fd = new FormData();
    for (const [k, v] of Object.entries(form.fields as Record<string, string>)) fd.append(k, v);
    fd.append('file', new Blob(['hello']), 'hello.txt');
    const res = await fetch(form.url, { method: 'POST', body: fd });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`${srv.endpoint}/${B}/forms/hello.txt`);
    const got = await client.send(new GetObjectCommand({ Bucket: B, Key: 'forms/hello.txt' }));
    expect(Buffer.from(got.Metadata!.title!, 'latin1').toString('utf8')).toBe('Қойма');
  });
});

describe('CORS on refusals', () => {
  it("an expired or tampered link is refused with the bucket's CORS grant, so the page can read why", async () => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: B, Key: 'big.bin' }), {
      expiresIn: 300,
    });
    const tampered = url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`);
    const res = await fetch(tampered, { headers: { origin: ORIGIN } });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(await res.text()).toContain('SignatureDoesNotMatch');
  });
});

describe('websites', () => {
  beforeAll(async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'www' }));
    await api(srv, 'PATCH', '/admin/buckets/www', { accessType: 'public-read' });
    await client.send(
      new PutObjectCommand({ Bucket: 'www', Key: 'index.html', Body: 'home', ContentType: 'text/html' }),
    );
    await client.send(
      new PutObjectCommand({
        Bucket: 'www',
        Key: 'documents/index.html',
        Body: 'docs',
        ContentType: 'text/html',
      }),
    );
    await client.send(
      new PutBucketCorsCommand({
        Bucket: 'www',
        CORSConfiguration: {
          CORSRules: [{ AllowedOrigins: [ORIGIN], AllowedMethods: ['GET'], AllowedHeaders: ['*'] }],
        },
      }),
    );
    await client.send(
      new PutBucketWebsiteCommand({
        Bucket: 'www',
        WebsiteConfiguration: {
          IndexDocument: { Suffix: 'index.html' },
          RoutingRules: [
            { Condition: { KeyPrefixEquals: 'docs/' }, Redirect: { ReplaceKeyPrefixWith: 'documents/' } },
          ],
        },
      }),
    );
  });
  const site = () => `www.web.localhost:${srv.port}`;

  it('answer CORS preflights instead of 405', async () => {
    const res = await hostRequest(srv.port, site(), '/index.html', {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-custom',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('match routing rules against the folder as requested, not its index document', async () => {
    const res = await hostRequest(srv.port, site(), '/docs/');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(`http://${site()}/documents/`);
  });

  it('refuse per-object website redirects they would not honour (501), storing nothing', async () => {
    await expect(
      client.send(
        new PutObjectCommand({
          Bucket: 'www',
          Key: 'moved.html',
          Body: 'x',
          WebsiteRedirectLocation: '/index.html',
        }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 501 } });
  });
});
