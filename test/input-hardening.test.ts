/**
 * Hostile input, one case per bug found by trying the server as an attacker would (and by the fuzz
 * suite): nothing a client sends may stall the event loop, answer 500, or store a value that a later
 * GET cannot send back as a header; and rows stored before those checks are still served.
 */
import {
  CreateBucketCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type Client, createClient } from '@libsql/client';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { hostRequest } from './helpers/http.ts';
import { postForm, uploadForm } from './helpers/forms.ts';
import { withoutStall } from './helpers/probe.ts';
import { rawRequest } from './helpers/raw-http.ts';
import { errorCode, s3, signedFetch } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
let db: Client;
const B = 'hostile';

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: B }));
  await client.send(new PutObjectCommand({ Bucket: B, Key: 'a.txt', Body: 'hello' }));
  db = createClient({ url: `file:${join(srv.dataDir, 'qoima.db')}` });
  await db.execute('PRAGMA busy_timeout = 5000');
});
afterAll(async () => {
  db?.close();
  await srv?.stop();
  await removeDir(srv.dataDir);
});

const get = (key: string, query?: Record<string, string>, headers?: Record<string, string>) =>
  signedFetch(srv.endpoint, srv.creds, { path: `/${B}/${key}`, query, headers });

describe('no input makes the event loop work super-linearly', () => {
  it('the sign-up e-mail made to backtrack is refused at once, other requests served meanwhile', async () => {
    const signUp = (email: string) =>
      fetch(`${srv.endpoint}/console/sign-up`, {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams({ name: 'x', email, password: 'long enough password' }),
      });
    expect((await signUp('not an address')).status).toBe(400); // (the console's code warmed up first)
    const email = `a@${'a.'.repeat(64000)}@`;
    const res = await withoutStall(srv.endpoint, () => signUp(email), 'a sign-up with a 128 KB e-mail');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('is not an e-mail address');
  });

  it("the console's folder crumbs stay bounded however many slashes a prefix has", async () => {
    const signIn = await fetch(`${srv.endpoint}/console/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ ...srv.creds }),
    });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(
      await (await fetch(`${srv.endpoint}/console`, { headers: { cookie } })).text(),
    )![1]!;
    // deleting a key that is not there shows the folder page again, with the prefix the form carried
    const res = await withoutStall(
      srv.endpoint,
      () =>
        fetch(`${srv.endpoint}/console/buckets/${B}/delete-object`, {
          method: 'POST',
          headers: { cookie },
          body: new URLSearchParams({ _csrf: csrf, key: '', prefix: ' /'.repeat(3000) }),
        }),
      'a folder page for a prefix of 3000 slashes',
    );
    expect(res.status).toBe(400); // (the refusal to delete, on the bucket's page)
    expect((await res.text()).length).toBeLessThan(200_000); // not megabytes of crumbs
    // and the page a form returns to stays a URL a client can read
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'gone.txt', Body: 'x' }));
    const deleted = await fetch(`${srv.endpoint}/console/buckets/${B}/delete-object`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie },
      body: new URLSearchParams({ _csrf: csrf, key: 'gone.txt', prefix: '\0'.repeat(20_000) }),
    });
    expect([deleted.status, deleted.headers.get('location')]).toEqual([
      303,
      `/console/buckets/${B}?done=object-deleted`,
    ]);
    const deep = encodeURIComponent('a/'.repeat(2000));
    const page = await fetch(`${srv.endpoint}/console/buckets/${B}?prefix=${deep}`, { headers: { cookie } });
    expect(await page.text()).toContain('No folder has a name that long');
  });

  it('Range headers made of spaces are read in one pass, even many at once', async () => {
    const ranges = [
      `bytes=1-${' '.repeat(15000)}x`,
      `bytes=${' '.repeat(15000)}x`,
      `bytes=1${' '.repeat(15000)}x`,
    ];
    const answers = await withoutStall(
      srv.endpoint,
      () =>
        Promise.all(Array.from({ length: 12 }, (_, i) => get('a.txt', undefined, { range: ranges[i % 3]! }))),
      'twelve 15 KB Range headers',
    );
    for (const res of answers) {
      expect(res.status).toBe(200); // not a single byte range: the whole object, as S3 does
      expect(await res.text()).toBe('hello');
    }
  });
});

describe('every value that becomes a response header is checked on the way in', () => {
  it("a form file part's Content-Type beyond Latin-1 is stored as its UTF-8 bytes, as a form field's is", async () => {
    const form = await uploadForm(srv, B, { keyPrefix: 'forms/' });
    const res = await postForm(form, { filename: 'latin.txt', headers: ['Content-Type: text/Ā'] });
    expect(res.status).toBe(204);
    const back = await get('forms/latin.txt');
    expect(back.status).toBe(200);
    expect(back.headers.get('content-type')).toBe('text/\u00c4\u0080'); // the bytes C4 80, read as Latin-1
  });

  it("a form file part's Content-Type with a control character is refused, and nothing is stored", async () => {
    const form = await uploadForm(srv, B, { keyPrefix: 'forms/' });
    const res = await postForm(form, { filename: 'control.txt', headers: ['Content-Type: text/plain\x01'] });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('InvalidArgument');
    expect((await get('forms/control.txt')).status).toBe(404);
  });

  it('a form metadata field whose name no header could have is refused', async () => {
    const form = await uploadForm(srv, B, { keyPrefix: 'forms/', fields: { 'x-amz-meta-two words': 'v' } });
    const res = await postForm(form, { filename: 'meta.txt' });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('InvalidArgument');
  });

  it('success_action_redirect goes out percent-encoded; one that is no URL is ignored (S3)', async () => {
    const form = await uploadForm(srv, B, { keyPrefix: 'forms/' });
    const redirect = await postForm({ url: form.url, fields: { ...form.fields } }, { filename: 'r.txt' }, []);
    expect(redirect.status).toBe(204);
    const policy = await uploadForm(srv, B, {
      keyPrefix: 'forms/',
      fields: { success_action_redirect: 'https://app.example/готово\x01/x' },
    });
    const res = await postForm(policy, { filename: 'r.txt' });
    expect(res.status).toBe(303);
    const encoded =
      'https://app.example/%D0%B3%D0%BE%D1%82%D0%BE%D0%B2%D0%BE%01/x' + '?bucket=hostile&key=forms%2Fr.txt&';
    expect(res.headers.get('location')!.startsWith(encoded)).toBe(true);
    const notUrl = await postForm(
      await uploadForm(srv, B, { keyPrefix: 'forms/', fields: { success_action_redirect: 'not a url' } }),
      { filename: 'r.txt' },
    );
    expect(notUrl.status).toBe(204);
  });

  it('response-* overrides with control characters are refused', async () => {
    const res = await get('a.txt', { 'response-content-type': 'text/plain\x01' });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('InvalidArgument');
  });

  it('a presigned link cannot be made with a Content-Disposition no response could carry', async () => {
    const res = await api(srv, 'POST', `/admin/buckets/${B}/presigned-url`, {
      key: 'a.txt',
      responseContentDisposition: 'attachment\x01',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('InvalidArgument');
  });

  it("a bucket's default Cache-Control must be a header value", async () => {
    const res = await api(srv, 'PATCH', `/admin/buckets/${B}`, { defaultCacheControl: 'max-age=60\x01' });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('InvalidArgument');
    expect((await get('a.txt')).status).toBe(200);
  });

  it('CORS ExposeHeader must be header names; website HostName must be a host', async () => {
    await expect(
      client.send(
        new PutBucketCorsCommand({
          Bucket: B,
          CORSConfiguration: {
            CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET'], ExposeHeaders: ['x-Ā'] }],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidArgument' });
    const website = (host: string) =>
      signedFetch(srv.endpoint, srv.creds, {
        method: 'PUT',
        path: `/${B}`,
        query: { website: '' },
        body:
          `<WebsiteConfiguration><RedirectAllRequestsTo><HostName>${host}</HostName></RedirectAllRequestsTo>` +
          '</WebsiteConfiguration>',
      });
    const bad = await website('example.com/\x01');
    expect(bad.status).toBe(400);
    expect(await errorCode(bad)).toBe('InvalidArgument');
    expect((await website('example.com:8080')).status).toBe(200);
  });

  it('SignedHeaders naming no possible header is a malformed authorization, not a server error', async () => {
    const amzDate = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const credential = `${srv.creds.accessKeyId}/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
    const res = await fetch(`${srv.endpoint}/${B}/a.txt`, {
      headers: {
        'x-amz-date': amzDate,
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        authorization: `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;two words, Signature=${'0'.repeat(64)}`,
      },
    });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('AuthorizationHeaderMalformed');
  });
});

describe('limits', () => {
  it('a JSON API body over 1 MiB is EntityTooLarge (it is no XML)', async () => {
    // (on a connection of its own: the server stops reading at the limit and closes it)
    const res = await rawRequest(srv.endpoint, srv.creds, {
      method: 'POST',
      path: '/admin/outages',
      headers: { 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ description: 'x'.repeat(1024 * 1024) }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('EntityTooLarge');
  });
});

describe('keys', () => {
  it('a key with NUL is refused: the listing could not name it', async () => {
    const put = await rawRequest(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: `/${B}/nul%00key`,
      body: 'x',
    });
    expect(put.status).toBe(400);
    expect(await errorCode(put)).toBe('InvalidArgument');
    const list = await rawRequest(srv.endpoint, srv.creds, {
      path: `/${B}`,
      query: { 'list-type': '2', prefix: 'nul' },
    });
    expect(await list.text()).not.toContain('<Key>');
  });
});

describe('signatures', () => {
  it('a header value with a Latin-1 no-break space is signed as SigV4 says (only spaces and tabs collapse)', async () => {
    // (sent as its Latin-1 byte, as boto3 sends metadata; the JS SDK's own non-ASCII handling is another
    // matter)
    const put = await rawRequest(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: `/${B}/nbsp.txt`,
      headers: { 'x-amz-meta-note': 'a\u00a0b  c' },
      body: 'x',
    });
    expect(put.status).toBe(200);
    expect((await get('nbsp.txt')).headers.get('x-amz-meta-note')).toBe('a\u00a0b  c');
  });
});

describe('values stored before those checks are served, not a 500', () => {
  it('an object whose stored headers no response can carry is served without them', async () => {
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'old.txt', Body: 'old bytes' }));
    await db.execute({
      sql: 'UPDATE objects SET content_type = ?, cache_control = ?, expires = ?, user_meta = ? WHERE key = ?',
      args: [
        'text/plain\x01',
        'max-age=60\x7f',
        'Ā',
        JSON.stringify({ ok: 'fine', bad: 'b\x01', 'two words': 'x', wide: 'Ā' }),
        'old.txt',
      ],
    });
    for (const method of ['GET', 'HEAD']) {
      const res = await signedFetch(srv.endpoint, srv.creds, { method, path: `/${B}/old.txt` });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('cache-control')).toBeNull();
      expect(res.headers.get('expires')).toBe('\u00c4\u0080');
      expect(res.headers.get('x-amz-meta-ok')).toBe('fine');
      expect(res.headers.get('x-amz-meta-bad')).toBeNull();
      expect(res.headers.get('x-amz-meta-wide')).toBe('\u00c4\u0080');
      if (method === 'GET') expect(await res.text()).toBe('old bytes');
    }
  });

  it('stored CORS rules with an ExposeHeader no header can carry still grant, without it', async () => {
    const rules = [
      {
        allowedOrigins: ['https://app.example'],
        allowedMethods: ['GET'],
        allowedHeaders: [],
        exposeHeaders: ['x-a\x01'],
      },
    ];
    await db.execute({ sql: 'UPDATE buckets SET cors = ? WHERE name = ?', args: [JSON.stringify(rules), B] });
    const res = await get('a.txt', undefined, { origin: 'https://app.example' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('access-control-expose-headers')).toBeNull();
  });

  it("a website's stored redirect host that no header can carry goes out percent-encoded", async () => {
    await db.execute({
      sql: 'UPDATE buckets SET website = ? WHERE name = ?',
      args: [JSON.stringify({ redirectAll: { hostName: 'bad host\x01Ā' }, routingRules: [] }), B],
    });
    const res = await hostRequest(srv.port, `${B}.web.localhost`, '/page.html');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('http://bad%20host%01%C4%80/page.html');
  });
});
