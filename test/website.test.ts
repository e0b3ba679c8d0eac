/** Static websites: index and error documents, folder redirects, routing rules, HTML errors. */
import {
  CreateBucketCommand,
  DeleteBucketWebsiteCommand,
  GetBucketWebsiteCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { hostRequest } from './helpers/http.ts';
import { s3 } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
const site = () => `site.web.localhost:${srv.port}`;
const get = (path: string, opts: { method?: string; headers?: Record<string, string> } = {}) =>
  hostRequest(srv.port, site(), path, opts);

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: 'site' }));
  const put = (Key: string, Body: string) =>
    client.send(new PutObjectCommand({ Bucket: 'site', Key, Body, ContentType: 'text/html' }));
  await put('index.html', '<h1>home</h1>');
  await put('docs/index.html', '<h1>docs</h1>');
  await put('docs/guide.html', '<h1>guide</h1>');
  await put('404.html', '<h1>not here</h1>');
  await put('new/page.html', '<h1>new page</h1>');
  await api(srv, 'PATCH', '/admin/buckets/site', { accessType: 'public-read' });
  await client.send(
    new PutBucketWebsiteCommand({
      Bucket: 'site',
      WebsiteConfiguration: {
        IndexDocument: { Suffix: 'index.html' },
        ErrorDocument: { Key: '404.html' },
        RoutingRules: [
          {
            Condition: { KeyPrefixEquals: 'old/' },
            Redirect: { ReplaceKeyPrefixWith: 'new/', HttpRedirectCode: '301' },
          },
          {
            Condition: { KeyPrefixEquals: 'blog/', HttpErrorCodeReturnedEquals: '404' },
            Redirect: { HostName: 'blog.example.com', Protocol: 'https' },
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

describe('website configuration', () => {
  it('round-trips through GetBucketWebsite', async () => {
    const cfg = await client.send(new GetBucketWebsiteCommand({ Bucket: 'site' }));
    expect(cfg.IndexDocument?.Suffix).toBe('index.html');
    expect(cfg.ErrorDocument?.Key).toBe('404.html');
    expect(cfg.RoutingRules).toHaveLength(2);
  });
});

describe('serving', () => {
  it('serves the index document at / and in folders, as HTML', async () => {
    const home = await get('/');
    expect(home.status).toBe(200);
    expect(home.body).toBe('<h1>home</h1>');
    expect(home.headers['content-type']).toBe('text/html');
    expect((await get('/docs/')).body).toBe('<h1>docs</h1>');
    expect((await get('/docs/guide.html')).body).toBe('<h1>guide</h1>');
  });

  it('redirects /docs to /docs/ when only docs/index.html exists (as S3)', async () => {
    const r = await get('/docs');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/docs/');
  });

  it('serves the error document with status 404, and HTML for HEAD too', async () => {
    const r = await get('/nothing.html');
    expect(r.status).toBe(404);
    expect(r.body).toBe('<h1>not here</h1>');
    expect(r.headers['content-type']).toBe('text/html');
    const head = await get('/nothing.html', { method: 'HEAD' });
    expect(head.status).toBe(404);
  });

  it('applies routing rules before lookup and on errors', async () => {
    const moved = await get('/old/page.html');
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe(`http://${site()}/new/page.html`);
    const blog = await get('/blog/post-1');
    expect(blog.status).toBe(301);
    expect(blog.headers.location).toBe('https://blog.example.com/blog/post-1');
  });

  it('is CDN-friendly: ETag and 304, ranges', async () => {
    const first = await get('/docs/guide.html');
    const again = await get('/docs/guide.html', { headers: { 'if-none-match': String(first.headers.etag) } });
    expect(again.status).toBe(304);
    const part = await get('/docs/guide.html', { headers: { range: 'bytes=0-3' } });
    expect(part.status).toBe(206);
    expect(part.body).toBe('<h1>');
  });

  it('answers only GET and HEAD, with HTML errors', async () => {
    const r = await get('/index.html', { method: 'DELETE' });
    expect(r.status).toBe(405);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('MethodNotAllowed');
  });

  it('needs the bucket to be public-read, and a website configuration', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'hidden-site' }));
    await client.send(
      new PutBucketWebsiteCommand({
        Bucket: 'hidden-site',
        WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } },
      }),
    );
    const hidden = await hostRequest(srv.port, `hidden-site.web.localhost:${srv.port}`, '/');
    expect(hidden.status).toBe(403);
    expect(hidden.body).toContain('<h1>403 Forbidden</h1>');
    await client.send(new CreateBucketCommand({ Bucket: 'plain' }));
    await api(srv, 'PATCH', '/admin/buckets/plain', { accessType: 'public-read' });
    const plain = await hostRequest(srv.port, `plain.web.localhost:${srv.port}`, '/');
    expect(plain.status).toBe(404);
    expect(plain.body).toContain('NoSuchWebsiteConfiguration');
    // error pages and documents go out whole, with their length (no chunked encoding)
    expect(plain.headers['content-length']).toBe(String(Buffer.byteLength(plain.body)));
    const noKey = await hostRequest(srv.port, `127.0.0.1:${srv.port}`, '/plain/nothing.txt');
    expect(noKey.status).toBe(404);
    expect(noKey.body).toContain('<Code>NoSuchKey</Code>');
    expect(noKey.headers['content-length']).toBe(String(Buffer.byteLength(noKey.body)));
    expect(noKey.headers['transfer-encoding']).toBeUndefined();
    const nobody = await hostRequest(srv.port, `nobody.web.localhost:${srv.port}`, '/');
    expect(nobody.status).toBe(404);
    expect(nobody.body).toContain('NoSuchBucket');
  });

  it('RedirectAllRequestsTo sends every path to another host', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'old-site' }));
    await client.send(
      new PutBucketWebsiteCommand({
        Bucket: 'old-site',
        WebsiteConfiguration: { RedirectAllRequestsTo: { HostName: 'www.example.com', Protocol: 'https' } },
      }),
    );
    const r = await hostRequest(srv.port, `old-site.web.localhost:${srv.port}`, '/about?x=1');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('https://www.example.com/about?x=1');
    await client.send(new DeleteBucketWebsiteCommand({ Bucket: 'old-site' }));
    await expect(client.send(new GetBucketWebsiteCommand({ Bucket: 'old-site' }))).rejects.toMatchObject({
      name: 'NoSuchWebsiteConfiguration',
    });
  });
});
