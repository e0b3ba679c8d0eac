/** CORS: bucket rules through the S3 calls, preflights, and the grant on real responses and errors. */
import {
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  GetBucketCorsCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { s3 } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: 'cors' }));
  await client.send(new PutObjectCommand({ Bucket: 'cors', Key: 'a.txt', Body: 'a' }));
  await api(srv, 'PATCH', '/admin/buckets/cors', { accessType: 'public-read' });
  await client.send(
    new PutBucketCorsCommand({
      Bucket: 'cors',
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: ['https://app.example.com'],
            AllowedMethods: ['GET', 'PUT', 'POST'],
            AllowedHeaders: ['Content-Type', 'x-amz-*'],
            ExposeHeaders: ['ETag'],
            MaxAgeSeconds: 600,
          },
          { AllowedOrigins: ['https://*.partner.example'], AllowedMethods: ['GET'] },
          { AllowedOrigins: ['*'], AllowedMethods: ['HEAD'] },
        ],
      },
    }),
  );
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

const preflight = (origin: string, method: string, headers?: string) =>
  fetch(`${srv.endpoint}/cors/a.txt`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': method,
      ...(headers ? { 'access-control-request-headers': headers } : {}),
    },
  });

describe('CORS configuration', () => {
  it('round-trips through Get/Put/DeleteBucketCors', async () => {
    const got = await client.send(new GetBucketCorsCommand({ Bucket: 'cors' }));
    expect(got.CORSRules?.[0]).toMatchObject({
      AllowedOrigins: ['https://app.example.com'],
      AllowedMethods: ['GET', 'PUT', 'POST'],
      MaxAgeSeconds: 600,
      ExposeHeaders: ['ETag'],
    });
    await client.send(new CreateBucketCommand({ Bucket: 'cors-gone' }));
    await client.send(
      new PutBucketCorsCommand({
        Bucket: 'cors-gone',
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET'] }] },
      }),
    );
    await client.send(new DeleteBucketCorsCommand({ Bucket: 'cors-gone' }));
    await expect(client.send(new GetBucketCorsCommand({ Bucket: 'cors-gone' }))).rejects.toMatchObject({
      name: 'NoSuchCORSConfiguration',
    });
  });

  it('refuses an unsupported method in a rule', async () => {
    await expect(
      client.send(
        new PutBucketCorsCommand({
          Bucket: 'cors',
          CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }] },
        }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });
});

describe('preflight', () => {
  it('grants a matching origin, method and headers, echoing them with Vary: Origin', async () => {
    const res = await preflight('https://app.example.com', 'PUT', 'content-type, x-amz-meta-owner');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, PUT, POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type, x-amz-meta-owner');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('matches wildcard origins, and answers * for a rule allowing every origin', async () => {
    expect(
      (await preflight('https://shop.partner.example', 'GET')).headers.get('access-control-allow-origin'),
    ).toBe('https://shop.partner.example');
    expect(
      (await preflight('https://anyone.example', 'HEAD')).headers.get('access-control-allow-origin'),
    ).toBe('*');
  });

  it('refuses what no rule allows with 403 (origin, method, header), and buckets without CORS', async () => {
    for (const [origin, method, headers] of [
      ['https://evil.example', 'GET', undefined],
      ['https://app.example.com', 'DELETE', undefined],
      ['https://app.example.com', 'PUT', 'authorization'],
    ] as const) {
      const res = await preflight(origin, method, headers);
      expect(res.status, `${origin} ${method} ${headers}`).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    await client.send(new CreateBucketCommand({ Bucket: 'no-cors' }));
    const res = await fetch(`${srv.endpoint}/no-cors/x`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('CORS is not enabled for this bucket');
  });
});

describe('actual requests', () => {
  it('carry the grant on success and on errors, and Vary: Origin always', async () => {
    const ok = await fetch(`${srv.endpoint}/cors/a.txt`, { headers: { origin: 'https://app.example.com' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-expose-headers')).toBe('ETag');
    expect(ok.headers.get('vary')).toContain('Origin');
    const missing = await fetch(`${srv.endpoint}/cors/missing.txt`, {
      headers: { origin: 'https://app.example.com' },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const stranger = await fetch(`${srv.endpoint}/cors/a.txt`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(stranger.status).toBe(200);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    expect(stranger.headers.get('vary')).toContain('Origin');
  });
});
