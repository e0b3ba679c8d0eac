/**
 * Requests shaped to slip past a check: dot segments that a URL parser would resolve into /admin,
 * headers added to a presigned URL, an aws-chunked body under a signed hash, bad %-escapes.
 */
import {
  CreateBucketCommand,
  HeadObjectCommand,
  PutBucketAclCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, presign, s3, signedFetch } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: 'edges' }));
  await client.send(new PutBucketAclCommand({ Bucket: 'edges', ACL: 'public-read' }));
  await client.send(new CreateBucketCommand({ Bucket: 'secrets' }));
  await client.send(new PutObjectCommand({ Bucket: 'secrets', Key: 'secret.txt', Body: 'TOP SECRET' }));
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

/** Sends a request with its path exactly as given (fetch would resolve dot segments). */
function rawRequest(
  method: string,
  pathAndQuery: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, method, path: pathAndQuery, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a presigned link', () => {
  it('for a key with dot segments stays an S3 request: it never reaches the /admin API as the signer', async () => {
    const link = (
      await presign(srv.endpoint, srv.creds, { path: '/edges/uploads/../../admin/keys', expiresIn: 300 })
    ).slice(srv.endpoint.length);
    expect(link).toContain('/../'); // the link as the signer made it
    const res = await rawRequest('GET', link);
    expect(res.status).toBe(404);
    expect(res.body).toContain('<Code>NoSuchKey</Code>');
    expect(res.body).not.toContain('"keys"');
    for (const path of ['/edges/a/%2e%2e/%2e%2e/admin/keys', '/edges/a\\..\\..\\admin/keys']) {
      const other = await rawRequest('GET', path);
      expect(other.body).not.toContain('"keys"');
    }
  });

  it('for a PUT refuses headers that were not signed (x-amz-copy-source would turn it into a copy)', async () => {
    const url = await presign(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: '/edges/avatar.png',
      expiresIn: 300,
    });
    const res = await fetch(url, { method: 'PUT', headers: { 'x-amz-copy-source': '/secrets/secret.txt' } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('not signed: x-amz-copy-source');
    // named in any case, as a client may send it (Node hands the names over as sent)
    const sent = await rawRequest('PUT', url.slice(srv.endpoint.length), {
      'X-Amz-Copy-Source': '/secrets/secret.txt',
      'content-length': '0',
    });
    expect(sent.status).toBe(403);
    expect(sent.body).toContain('not signed: x-amz-copy-source');
    await expect(
      client.send(new HeadObjectCommand({ Bucket: 'edges', Key: 'avatar.png' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    // the upload it was made for still works, with an integrity check the uploader may add
    const body = 'png bytes';
    const ok = await fetch(url, {
      method: 'PUT',
      body,
      headers: { 'x-amz-checksum-sha256': createHash('sha256').update(body).digest('base64') },
    });
    expect(ok.status).toBe(200);
  });
});

describe("a presigned link's dates", () => {
  it('must agree: an X-Amz-Date on another day than its credential is refused before anything runs', async () => {
    const url = new URL(
      await presign(srv.endpoint, srv.creds, { path: '/edges/avatar.png', expiresIn: 300 }),
    );
    url.searchParams.set('X-Amz-Date', '20200101T000000Z');
    const res = await fetch(url);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('AuthorizationQueryParametersError');
  });
});

describe('bodies and URIs', () => {
  it('checks a signed payload hash over an aws-chunked body too', async () => {
    const framed = '5\r\nhello\r\n0\r\n\r\n';
    const headers = { 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '5' };
    const wrong = await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: '/edges/chunked.txt',
      body: framed,
      headers,
      payloadHash: createHash('sha256').update('something else').digest('hex'),
    });
    expect(wrong.status).toBe(400);
    expect(await errorCode(wrong)).toBe('XAmzContentSHA256Mismatch');
    await expect(
      client.send(new HeadObjectCommand({ Bucket: 'edges', Key: 'chunked.txt' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    const right = await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: '/edges/chunked.txt',
      body: framed,
      headers,
      payloadHash: createHash('sha256').update(framed).digest('hex'),
    });
    expect(right.status).toBe(200);
    expect(
      (await client.send(new HeadObjectCommand({ Bucket: 'edges', Key: 'chunked.txt' }))).ContentLength,
    ).toBe(5);
  });

  it('a bad %-escape in the query or a signed path is InvalidArgument (400), on S3 and on the API', async () => {
    for (const path of ['/admin/keys?a=%ZZ', '/edges?prefix=%ZZ']) {
      const res = await rawRequest('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body).toContain('InvalidArgument');
    }
    const signed = await signedFetch(srv.endpoint, srv.creds, { path: '/admin/buckets/%ZZ' });
    expect(signed.status).toBe(400);
  });
});
