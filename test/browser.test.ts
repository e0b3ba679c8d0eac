/**
 * What browsers do, in real Chromium: a page served from one origin uploads to Qoima on another origin
 * through a classic POST form and through a presigned PUT (CORS), then opens the public link; and a
 * static website with index and 404 pages is browsed.
 */
import {
  CreateBucketCommand,
  PutBucketCorsCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { launchBrowser } from './helpers/browser.ts';
import { s3, signedFetch } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer, tempDir } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
let browser: Browser;
let app: Server;
let appOrigin = '';
let fileDir = '';

/** The customer's web app: its backend asks Qoima's API for an upload form and a presigned PUT URL. */
function appPage(
  qoima: string,
  form: { url: string; fields: Record<string, string> },
  putUrl: string,
): string {
  const hidden = Object.entries(form.fields)
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/"/g, '&quot;')}">`)
    .join('\n');
  return `<!doctype html><html><body>
<h1>Upload</h1>
<form id="form" action="${form.url}" method="post" enctype="multipart/form-data">
${hidden}
<input type="file" name="file" id="file">
<button id="send">Send with a form</button>
</form>
<input type="file" id="putfile"><button id="put">Send with a presigned PUT</button>
<p id="status"></p>
<a id="link"></a>
<script>
document.getElementById('put').onclick = async () => {
  const f = document.getElementById('putfile').files[0];
  const res = await fetch(${JSON.stringify(putUrl)}, { method: 'PUT', body: f, headers: { 'content-type': f.type || 'text/plain' } });
  const etag = res.headers.get('etag');
  const link = ${JSON.stringify(qoima)} + '/uploads/via-put.txt';
  const again = await fetch(link);
  document.getElementById('status').textContent = 'put ' + res.status + ' etag ' + etag + ' read back: ' + (await again.text());
  const a = document.getElementById('link'); a.href = link; a.textContent = 'public link';
};
const q = new URLSearchParams(location.search);
if (q.get('key')) {
  const link = ${JSON.stringify(qoima)} + '/' + q.get('bucket') + '/' + q.get('key');
  document.getElementById('status').textContent = 'uploaded ' + q.get('key') + ' etag ' + q.get('etag');
  const a = document.getElementById('link'); a.href = link; a.textContent = 'public link';
}
</script></body></html>`;
}

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  browser = await launchBrowser();
  fileDir = await tempDir('qoima-files-');
  app = createServer();
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
  appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;

  await client.send(new CreateBucketCommand({ Bucket: 'uploads' }));
  await api(srv, 'PATCH', '/admin/buckets/uploads', { accessType: 'public-read' });
  await client.send(
    new PutBucketCorsCommand({
      Bucket: 'uploads',
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: [appOrigin],
            AllowedMethods: ['GET', 'PUT', 'POST'],
            AllowedHeaders: ['*'],
            ExposeHeaders: ['ETag'],
          },
        ],
      },
    }),
  );
  const form = await (
    await api(srv, 'POST', '/admin/buckets/uploads/presigned-post', {
      keyPrefix: 'forms/',
      maxSize: 5 * 1024 * 1024,
      successActionRedirect: `${appOrigin}/done`,
    })
  ).json();
  const { url: putUrl } = await (
    await api(srv, 'POST', '/admin/buckets/uploads/presigned-url', {
      key: 'via-put.txt',
      method: 'PUT',
      expiresInSeconds: 600,
    })
  ).json();
  const page = appPage(srv.endpoint, form, putUrl);
  app.on('request', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  app?.close();
  await srv.stop();
  await removeDir(srv.dataDir);
  await removeDir(fileDir);
});

describe('uploads from a page on another origin', () => {
  it('a classic POST form uploads the file, redirects back, and the public link serves it', async () => {
    const { writeFile } = await import('node:fs/promises');
    const path = `${fileDir}/holiday.txt`;
    await writeFile(path, 'sunny beach');
    const page = await browser.newPage();
    await page.goto(`${appOrigin}/`);
    await page.setInputFiles('#file', path);
    await Promise.all([page.waitForURL(`${appOrigin}/done?**`), page.click('#send')]);
    expect(await page.textContent('#status')).toMatch(/^uploaded forms\/holiday\.txt etag "[0-9a-f]{32}"$/);
    const href = await page.getAttribute('#link', 'href');
    expect(href).toBe(`${srv.endpoint}/uploads/forms/holiday.txt`);
    await page.click('#link');
    await page.waitForURL(href!);
    expect(await page.textContent('body')).toBe('sunny beach');
    await page.close();
  });

  it('a presigned PUT from script works across origins (CORS), exposing the ETag, and reads back', async () => {
    const { writeFile } = await import('node:fs/promises');
    const path = `${fileDir}/notes.txt`;
    await writeFile(path, 'written by fetch');
    const page = await browser.newPage();
    await page.goto(`${appOrigin}/`);
    await page.setInputFiles('#putfile', path);
    await page.click('#put');
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('put'));
    expect(await page.textContent('#status')).toMatch(
      /^put 200 etag "[0-9a-f]{32}" read back: written by fetch$/,
    );
    const stored = await signedFetch(srv.endpoint, srv.creds, { path: '/uploads/via-put.txt' });
    expect(await stored.text()).toBe('written by fetch');
    await page.close();
  });
});

describe('a static website in the browser', () => {
  it('serves the index page, follows links into folders, and shows the 404 page for missing paths', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'docs-site' }));
    const put = (Key: string, Body: string) =>
      client.send(
        new PutObjectCommand({ Bucket: 'docs-site', Key, Body, ContentType: 'text/html; charset=utf-8' }),
      );
    await put(
      'index.html',
      '<!doctype html><title>Home</title><h1>Welcome</h1><a id="guide" href="/guide">Guide</a> <a id="lost" href="/nope">Lost</a>',
    );
    await put('guide/index.html', '<!doctype html><title>Guide</title><h1>The guide</h1>');
    await put('404.html', '<!doctype html><title>Missing</title><h1>Page not found</h1>');
    await api(srv, 'PATCH', '/admin/buckets/docs-site', { accessType: 'public-read' });
    await client.send(
      new PutBucketWebsiteCommand({
        Bucket: 'docs-site',
        WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' }, ErrorDocument: { Key: '404.html' } },
      }),
    );

    const site = `http://docs-site.web.localhost:${srv.port}`;
    const page = await browser.newPage();
    const home = await page.goto(`${site}/`);
    expect(home?.status()).toBe(200);
    expect(await page.title()).toBe('Home');
    await Promise.all([page.waitForURL(`${site}/guide/`), page.click('#guide')]); // /guide → 302 → /guide/
    expect(await page.textContent('h1')).toBe('The guide');
    const missing = await page.goto(`${site}/nope`);
    expect(missing?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('Page not found');
    await page.close();
  });
});
