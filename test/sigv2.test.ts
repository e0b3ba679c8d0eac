/**
 * Signature Version 2, as boto3 signs presigned URLs and POST forms by default: boto3 itself (Debian's
 * python3-boto3, test/clients/boto3-presign.py) with its default config and with s3v4, the links used
 * with fetch; and hand-built V2 requests for every refusal, and with QOIMA_SIGV2=0.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { execFile, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { postForm } from './helpers/forms.ts';
import { errorCode, s3, signedFetch } from './helpers/s3.ts';
import { type Creds, ROOT, type RunningServer, removeDir, startServer } from './helpers/server.ts';

const B = 'sigv2';

interface Links {
  get: string;
  get_disposition: string;
  put: string;
  post: { url: string; fields: Record<string, string> };
  expired: string;
}

type Boto3Output = { default: Links; s3v4: Links; metadata: string };

/** Debian's python3 with python3-boto3 and, where it is another one (a pyenv), the python3 on PATH. */
const PYTHONS = [...new Set(['/usr/bin/python3', 'python3'])].filter(
  (py) => spawnSync(py, ['-c', 'import boto3'], { stdio: 'ignore' }).status === 0,
);

function boto3(srv: RunningServer, python = PYTHONS[0]!): Promise<Boto3Output> {
  const script = join(ROOT, 'test/clients/boto3-presign.py');
  const args = [script, srv.endpoint, srv.creds.accessKeyId, srv.creds.secretAccessKey, B];
  return new Promise((resolve, reject) =>
    execFile(python, args, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    ),
  );
}

const sign = (secret: string, text: string) =>
  createHmac('sha1', secret).update(text, 'utf8').digest('base64');

/** A request signed with V2 in the Authorization header, built here from the specification. */
function v2Fetch(
  srv: RunningServer,
  creds: Creds,
  r: { method?: string; path: string; headers?: Record<string, string>; body?: string; date?: Date },
): Promise<Response> {
  const method = r.method ?? 'GET';
  const date = (r.date ?? new Date()).toUTCString();
  const headers: Record<string, string> = { date, ...(r.headers ?? {}) };
  const amz = Object.entries(headers)
    .filter(([k]) => k.startsWith('x-amz-'))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}:${v}\n`)
    .join('');
  const std = `${method}\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${date}\n`;
  const toSign = `${std}${amz}${r.path}`;
  headers.authorization = `AWS ${creds.accessKeyId}:${sign(creds.secretAccessKey, toSign)}`;
  return fetch(`${srv.endpoint}${r.path}`, { method, headers, body: r.body });
}

/** A V2 presigned URL built by hand. */
function v2Url(srv: RunningServer, creds: Creds, path: string, expires: number, method = 'GET'): string {
  const signature = sign(creds.secretAccessKey, `${method}\n\n\n${expires}\n${path}`);
  const q = new URLSearchParams({
    AWSAccessKeyId: creds.accessKeyId,
    Expires: String(expires),
    Signature: signature,
  });
  return `${srv.endpoint}${path}?${q}`;
}

const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;

async function expectError(res: Response, status: number, code: string, message?: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(/<Code>([^<]+)<\/Code>/.exec(text)?.[1]).toBe(code);
  if (message) expect(text).toContain(message);
}

describe('SigV2 on', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer();
    const c = s3(srv.endpoint, srv.creds);
    await c.send(new CreateBucketCommand({ Bucket: B }));
    await c.send(
      new PutObjectCommand({ Bucket: B, Key: 'hello.txt', Body: 'hello', ContentType: 'text/plain' }),
    );
  });
  afterAll(async () => {
    await srv.stop();
    await removeDir(srv.dataDir);
  });

  it.each(PYTHONS)(
    "boto3's presigned URLs and POST forms work with its defaults (SigV2) and with s3v4 (%s)",
    async (python) => {
      const links = await boto3(srv, python);
      expect(links.default.get).toContain('AWSAccessKeyId=');
      expect(links.s3v4.get).toContain('X-Amz-Signature=');
      const c = s3(srv.endpoint, srv.creds);
      for (const name of ['default', 's3v4'] as const) {
        const l = links[name];
        const got = await fetch(l.get);
        expect(got.status, name).toBe(200);
        expect(await got.text()).toBe('hello');
        const named = await fetch(l.get_disposition);
        expect(named.status, name).toBe(200);
        expect(named.headers.get('content-disposition')).toBe('attachment; filename="h i.txt"');
        await named.arrayBuffer();
        const put = await fetch(l.put, {
          method: 'PUT',
          body: 'put by link',
          headers: { 'content-type': 'text/plain' },
        });
        expect(put.status, `${name}: ${await put.clone().text()}`).toBe(200);
        const stored = await c.send(new GetObjectCommand({ Bucket: B, Key: `${name}/put.txt` }));
        expect(await stored.Body!.transformToString()).toBe('put by link');
        const posted = await postForm(l.post, { content: 'from a form' });
        expect(posted.status, `${name}: ${await posted.clone().text()}`).toBe(204);
        const form = await c.send(new GetObjectCommand({ Bucket: B, Key: `${name}/form.txt` }));
        expect(await form.Body!.transformToString()).toBe('from a form');
        // made to last a second: refused once it has passed
        let expired = await fetch(l.expired);
        for (let i = 0; i < 100 && expired.status === 200; i++) {
          await expired.arrayBuffer();
          await new Promise((r) => setTimeout(r, 50));
          expired = await fetch(l.expired);
        }
        await expectError(expired, 403, 'AccessDenied', 'Request has expired');
      }
      // boto3 (urllib3) sends the metadata's é as UTF-8 and signs it so; the same bytes come back
      expect(Buffer.from(links.metadata, 'latin1').toString('utf8')).toBe('Hello World\xe9');
    },
    60_000,
  );

  it('takes non-ASCII header values signed as the bytes sent or as Latin-1 text, V2 and V4', async () => {
    // fetch sends \xe9 as one byte; both signers sign the UTF-8 of the text
    const v2 = await v2Fetch(srv, srv.creds, {
      method: 'PUT',
      path: `/${B}/cafe.txt`,
      headers: { 'content-type': 'text/plain', 'x-amz-meta-name': 'caf\xe9' },
      body: 'x',
    });
    expect(v2.status, await v2.clone().text()).toBe(200);
    const v4 = await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: `/${B}/cafe4.txt`,
      headers: { 'x-amz-meta-name': 'caf\xe9' },
      body: 'x',
    });
    expect(v4.status, await v4.clone().text()).toBe(200);
    const head = await signedFetch(srv.endpoint, srv.creds, { method: 'HEAD', path: `/${B}/cafe4.txt` });
    expect(head.headers.get('x-amz-meta-name')).toBe('caf\xe9');
  });

  it('accepts V2 in the Authorization header, and on the host-style address', async () => {
    const res = await v2Fetch(srv, srv.creds, { path: `/${B}/hello.txt` });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
    const put = await v2Fetch(srv, srv.creds, {
      method: 'PUT',
      path: `/${B}/v2.txt`,
      headers: { 'content-type': 'text/plain', 'x-amz-meta-who': 'v2' },
      body: 'v2 body',
    });
    expect(put.status, await put.clone().text()).toBe(200);
    const head = await v2Fetch(srv, srv.creds, { method: 'HEAD', path: `/${B}/v2.txt` });
    expect(head.headers.get('x-amz-meta-who')).toBe('v2');
    // sub-resources are signed: ?acl names the bucket's ACL
    expect((await v2Fetch(srv, srv.creds, { path: `/${B}?acl` })).status).toBe(200);
  });

  it('refuses a bad signature, a skewed date, an expired or too distant link, an unknown key', async () => {
    await expectError(
      await v2Fetch(srv, { ...srv.creds, secretAccessKey: 'wrong' }, { path: `/${B}/hello.txt` }),
      403,
      'SignatureDoesNotMatch',
    );
    await expectError(
      await v2Fetch(srv, srv.creds, { path: `/${B}/hello.txt`, date: new Date(Date.now() - 3600_000) }),
      403,
      'RequestTimeTooSkewed',
    );
    await expectError(
      await v2Fetch(srv, { ...srv.creds, accessKeyId: 'NOPE' }, { path: `/${B}/hello.txt` }),
      403,
      'InvalidAccessKeyId',
    );
    expect((await fetch(v2Url(srv, srv.creds, `/${B}/hello.txt`, inSeconds(60)))).status).toBe(200);
    await expectError(
      await fetch(v2Url(srv, srv.creds, `/${B}/hello.txt`, inSeconds(-5))),
      403,
      'AccessDenied',
      'Request has expired',
    );
    await expectError(
      await fetch(v2Url(srv, srv.creds, `/${B}/hello.txt`, inSeconds(8 * 86400))),
      400,
      'AuthorizationQueryParametersError',
    );
    const tampered = v2Url(srv, srv.creds, `/${B}/hello.txt`, inSeconds(60)).replace('hello.txt', 'v2.txt');
    await expectError(await fetch(tampered), 403, 'SignatureDoesNotMatch');
  });

  it("applies an access key's scopes to V2 as to V4", async () => {
    const res = await api(srv, 'POST', '/admin/keys', {
      name: 'reader',
      scopes: [{ bucket: B, actions: ['read'] }],
      expiresInSeconds: 3600,
    });
    const key = (await res.json()) as Creds;
    expect((await fetch(v2Url(srv, key, `/${B}/hello.txt`, inSeconds(60)))).status).toBe(200);
    await expectError(
      await v2Fetch(srv, key, {
        method: 'PUT',
        path: `/${B}/no.txt`,
        body: 'x',
        headers: { 'content-type': 'text/plain' },
      }),
      403,
      'AccessDenied',
    );
  });
});

describe('SigV2 off (QOIMA_SIGV2=0)', () => {
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await startServer({ env: { QOIMA_SIGV2: '0' } });
    await s3(srv.endpoint, srv.creds).send(new CreateBucketCommand({ Bucket: B }));
  });
  afterAll(async () => {
    await srv.stop();
    await removeDir(srv.dataDir);
  });

  it('refuses V2 headers, URLs and forms with InvalidRequest, and SigV4 still works', async () => {
    const mechanism = 'Please use AWS4-HMAC-SHA256';
    await expectError(await v2Fetch(srv, srv.creds, { path: `/${B}` }), 400, 'InvalidRequest', mechanism);
    await expectError(await fetch(v2Url(srv, srv.creds, `/${B}`, inSeconds(60))), 400, 'InvalidRequest');
    const links = await boto3(srv).catch((e: Error) => e);
    // the script's own PutObject is SigV4 and succeeds; only its V2 links are refused
    expect(links).not.toBeInstanceOf(Error);
    const { default: v2, s3v4 } = links as Awaited<ReturnType<typeof boto3>>;
    await expectError(await postForm(v2.post), 400, 'InvalidRequest');
    expect((await postForm(s3v4.post)).status).toBe(204);
    expect(await errorCode(await fetch(v2.put, { method: 'PUT', body: 'x' }))).toBe('InvalidRequest');
  });
});
