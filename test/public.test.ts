/** Public links: access types through policies, ACLs and the API; presigned URLs from the SDK presigner. */
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetObjectCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, s3, signedFetch } from './helpers/s3.ts';
import { type RunningServer, admin, removeDir, startServer } from './helpers/server.ts';
import { api } from './helpers/api.ts';

let srv: RunningServer;
let client: S3Client;

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  for (const b of ['pub', 'priv']) {
    await client.send(new CreateBucketCommand({ Bucket: b }));
    await client.send(
      new PutObjectCommand({
        Bucket: b,
        Key: 'cat.jpg',
        Body: 'meow',
        ContentType: 'image/jpeg',
        CacheControl: 'public, max-age=60',
      }),
    );
  }
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

const anon = (path: string, init: RequestInit = {}) => fetch(`${srv.endpoint}${path}`, init);

/** A GET with an explicit Host header (virtual-hosted style and custom domains). */
function getWithHost(
  host: string,
  path: string,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: srv.port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    })
      .on('error', reject)
      .end();
  });
}

const PUBLIC_READ = (bucket: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PublicRead',
        Effect: 'Allow',
        Principal: '*',
        Action: ['s3:GetObject'],
        Resource: [`arn:aws:s3:::${bucket}/*`],
      },
    ],
  });

describe('access type', () => {
  it('private buckets refuse anonymous reads; a public-read policy opens object reads, takes effect on the next request', async () => {
    expect((await anon('/pub/cat.jpg')).status).toBe(403);
    await client.send(new PutBucketPolicyCommand({ Bucket: 'pub', Policy: PUBLIC_READ('pub') }));
    const res = await anon('/pub/cat.jpg');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('meow');
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const status = await client.send(new GetBucketPolicyStatusCommand({ Bucket: 'pub' }));
    expect(status.PolicyStatus?.IsPublic).toBe(true);
    const policy = JSON.parse((await client.send(new GetBucketPolicyCommand({ Bucket: 'pub' }))).Policy!);
    expect(policy.Statement[0]).toMatchObject({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject' });
    // private stays private
    expect((await anon('/priv/cat.jpg')).status).toBe(403);
  });

  it('anonymous listing and every anonymous write stay refused on a public-read bucket', async () => {
    await client.send(new PutBucketPolicyCommand({ Bucket: 'pub', Policy: PUBLIC_READ('pub') }));
    for (const [path, init] of [
      ['/pub', {}],
      ['/pub?list-type=2', {}],
      ['/pub/new.txt', { method: 'PUT', body: 'x' }],
      ['/pub/cat.jpg', { method: 'DELETE' }],
      ['/pub/new.bin?uploads', { method: 'POST' }],
      ['/', {}],
    ] as [string, RequestInit][]) {
      const res = await anon(path, init);
      expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(403);
    }
  });

  it('anonymous listing works once explicitly enabled (s3:ListBucket for everyone)', async () => {
    await client.send(
      new PutBucketPolicyCommand({
        Bucket: 'pub',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: '*' },
              Action: 's3:GetObject',
              Resource: 'arn:aws:s3:::pub/*',
            },
            { Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::pub' },
          ],
        }),
      }),
    );
    const res = await anon('/pub?list-type=2');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<Key>cat.jpg</Key>');
    await client.send(new DeleteBucketPolicyCommand({ Bucket: 'pub' }));
    expect((await anon('/pub?list-type=2')).status).toBe(403);
    expect((await anon('/pub/cat.jpg')).status).toBe(403);
  });

  it('refuses policies it cannot honour, clearly, and keeps the bucket as it was', async () => {
    const bad = [
      { Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::priv/*' },
      { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::priv/*' },
      {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::123:user/x' },
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::priv/*',
      },
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::priv/public/*' },
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::priv/*',
        Condition: { IpAddress: { 'aws:SourceIp': '1.2.3.4/32' } },
      },
    ];
    for (const st of bad) {
      await expect(
        client.send(
          new PutBucketPolicyCommand({
            Bucket: 'priv',
            Policy: JSON.stringify({ Version: '2012-10-17', Statement: [st] }),
          }),
        ),
      ).rejects.toMatchObject({
        $metadata: { httpStatusCode: 501 },
        message: expect.stringMatching(/cannot be honoured/),
      });
    }
    await expect(
      client.send(new PutBucketPolicyCommand({ Bucket: 'priv', Policy: '{not json' })),
    ).rejects.toMatchObject({ name: 'MalformedPolicy' });
    expect((await anon('/priv/cat.jpg')).status).toBe(403);
    await expect(client.send(new GetBucketPolicyCommand({ Bucket: 'priv' }))).rejects.toMatchObject({
      name: 'NoSuchBucketPolicy',
    });
  });

  it('PutBucketAcl public-read / private switches the access type; GetBucketAcl shows the AllUsers grant', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'acl-bucket' }));
    await client.send(new PutObjectCommand({ Bucket: 'acl-bucket', Key: 'a.txt', Body: 'a' }));
    await client.send(new PutBucketAclCommand({ Bucket: 'acl-bucket', ACL: 'public-read' }));
    expect((await anon('/acl-bucket/a.txt')).status).toBe(200);
    const acl = await client.send(new GetBucketAclCommand({ Bucket: 'acl-bucket' }));
    expect(acl.Grants?.some((g) => g.Grantee?.URI?.endsWith('/AllUsers') && g.Permission === 'READ')).toBe(
      true,
    );
    await client.send(new PutBucketAclCommand({ Bucket: 'acl-bucket', ACL: 'private' }));
    expect((await anon('/acl-bucket/a.txt')).status).toBe(403);
    await expect(
      client.send(new PutBucketAclCommand({ Bucket: 'acl-bucket', ACL: 'public-read-write' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 501 } });
    // object ACLs follow the bucket: asking for another is refused, not ignored
    await expect(
      client.send(
        new PutObjectCommand({ Bucket: 'acl-bucket', Key: 'b.txt', Body: 'b', ACL: 'public-read' }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 501 } });
  });

  it('buckets can be created public-read (x-amz-acl) and switched through the API', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'born-public', ACL: 'public-read' }));
    await client.send(new PutObjectCommand({ Bucket: 'born-public', Key: 'x', Body: 'x' }));
    expect((await anon('/born-public/x')).status).toBe(200);
    const updated = await api(srv, 'PATCH', '/admin/buckets/born-public', { accessType: 'private' });
    expect(updated.status).toBe(200);
    expect((await updated.json()).accessType).toBe('private');
    expect((await anon('/born-public/x')).status).toBe(403);
    const refused = await api(srv, 'PATCH', '/admin/buckets/born-public', { storageClass: 'COLD' });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error).toMatchObject({
      code: 'InvalidStorageClass',
      message: expect.stringMatching(/cannot be changed/),
    });
  });

  it('anonymous reads work virtual-hosted-style too', async () => {
    await api(srv, 'PATCH', '/admin/buckets/pub', { accessType: 'public-read' });
    const r = await getWithHost(`pub.localhost:${srv.port}`, '/cat.jpg');
    expect(r.status).toBe(200);
    expect(r.body).toBe('meow');
    expect((await getWithHost(`priv.localhost:${srv.port}`, '/cat.jpg')).status).toBe(403);
  });

  it('public responses are CDN-friendly: ETag, Last-Modified, Cache-Control (or the bucket default), ranges, 304', async () => {
    const res = await anon('/pub/cat.jpg');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('last-modified')).toBeTruthy();
    const etag = res.headers.get('etag')!;
    expect((await anon('/pub/cat.jpg', { headers: { 'if-none-match': etag } })).status).toBe(304);
    const part = await anon('/pub/cat.jpg', { headers: { range: 'bytes=1-2' } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe('eo');
    expect((await anon('/pub/cat.jpg', { method: 'HEAD' })).headers.get('content-length')).toBe('4');
    await client.send(new PutObjectCommand({ Bucket: 'pub', Key: 'no-cc.txt', Body: 'plain' }));
    await api(srv, 'PATCH', '/admin/buckets/pub', {
      defaultCacheControl: 'public, max-age=86400, immutable',
    });
    expect((await anon('/pub/no-cc.txt')).headers.get('cache-control')).toBe(
      'public, max-age=86400, immutable',
    );
    expect((await anon('/pub/cat.jpg')).headers.get('cache-control')).toBe('public, max-age=60');
  });

  it('anonymous requests cannot use response-* overrides (as S3)', async () => {
    const res = await anon('/pub/cat.jpg?response-content-type=text/html');
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('InvalidRequest');
  });
});

describe('presigned URLs from @aws-sdk/s3-request-presigner', () => {
  it('GET with response-content-disposition, HEAD, PUT and DELETE', async () => {
    const get = await getSignedUrl(
      client,
      new GetObjectCommand({
        Bucket: 'priv',
        Key: 'cat.jpg',
        ResponseContentDisposition: 'attachment; filename="kitty.jpg"',
      }),
      { expiresIn: 60 },
    );
    const res = await fetch(get);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="kitty.jpg"');
    const put = await getSignedUrl(client, new PutObjectCommand({ Bucket: 'priv', Key: 'via-url.txt' }), {
      expiresIn: 60,
    });
    expect((await fetch(put, { method: 'PUT', body: 'hello' })).status).toBe(200);
    const check = await signedFetch(srv.endpoint, srv.creds, { path: '/priv/via-url.txt' });
    expect(await check.text()).toBe('hello');
  });

  it('the API hands out presigned URLs too', async () => {
    const res = await api(srv, 'POST', '/admin/buckets/priv/presigned-url', {
      key: 'cat.jpg',
      expiresInSeconds: 120,
      responseContentDisposition: 'inline',
    });
    const { url, expiresAt } = await res.json();
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
    const got = await fetch(url);
    expect(await got.text()).toBe('meow');
    expect(got.headers.get('content-disposition')).toBe('inline');
  });

  it('a URL used after its expiry, or with any signed part changed, is refused', async () => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'priv', Key: 'cat.jpg' }), {
      expiresIn: 1,
    });
    expect((await fetch(url)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    const late = await fetch(url);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('Request has expired');
    const fresh = await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket: 'priv', Key: 'cat.jpg', ResponseContentType: 'text/plain' }),
      { expiresIn: 60 },
    );
    for (const tampered of [
      fresh.replace('cat.jpg', 'dog.jpg'),
      fresh.replace('text%2Fplain', 'text%2Fhtml'),
      fresh.replace('/priv/', '/pub/'),
    ]) {
      expect((await fetch(tampered)).status).toBe(403);
    }
  });
});

describe('accounts stay apart', () => {
  it('another account cannot change access, read policies or ACLs of your bucket', async () => {
    const other = JSON.parse(await admin(srv.dataDir, ['accounts', 'create', '--name', 'other', '--json']));
    const them = s3(srv.endpoint, other);
    await expect(
      them.send(new PutBucketPolicyCommand({ Bucket: 'priv', Policy: PUBLIC_READ('priv') })),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(them.send(new GetBucketAclCommand({ Bucket: 'priv' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
    const res = await api({ ...srv, creds: other }, 'PATCH', '/admin/buckets/priv', {
      accessType: 'public-read',
    });
    expect(res.status).toBe(403);
    expect((await anon('/priv/cat.jpg')).status).toBe(403);
  });
});
