/**
 * The JSON API's own behaviour: OpenAPI document, authentication, validation errors, buckets, objects, CORS,
 * website, usage.
 */
import { GetBucketCorsCommand, GetBucketWebsiteCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract } from '../src/core/api/contract/index.ts';
import { api } from './helpers/api.ts';
import { s3 } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

describe('/admin API', () => {
  it('publishes an OpenAPI document describing every route', async () => {
    const res = await fetch(`${srv.endpoint}/admin/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/admin/buckets',
        '/admin/buckets/{name}',
        '/admin/buckets/{name}/presigned-post',
        '/admin/buckets/{name}/domains',
        '/admin/buckets/{name}/domains/{hostname}/certificate',
        '/admin/certificates',
      ]),
    );
    expect(
      doc.paths['/admin/buckets'].post.requestBody.content['application/json'].schema.properties.storageClass
        .enum,
    ).toEqual(['STANDARD', 'COLD']);
    // every route of the contract is served and documented, under the typed client's name for it
    for (const [name, route] of Object.entries(contract))
      expect(doc.paths[`/admin${route.path}`]?.[route.method]?.operationId, name).toBe(name);
  });

  it('refuses unsigned and wrongly signed calls', async () => {
    const anon = await fetch(`${srv.endpoint}/admin/buckets`);
    expect(anon.status).toBe(403);
    expect((await anon.json()).error.code).toBe('AccessDenied');
    const wrong = await api(
      { endpoint: srv.endpoint, creds: { ...srv.creds, secretAccessKey: 'nope-nope' } },
      'GET',
      '/admin/buckets',
    );
    expect((await wrong.json()).error.code).toBe('SignatureDoesNotMatch');
  });

  it('creates, reads, changes and deletes buckets, with zod-validated bodies', async () => {
    const created = await api(srv, 'POST', '/admin/buckets', { name: 'archive-2026', storageClass: 'COLD' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      name: 'archive-2026',
      storageClass: 'COLD',
      accessType: 'private',
      publicList: false,
      objectCount: 0,
    });
    const bad = await api(srv, 'POST', '/admin/buckets', { name: 'x-y-z', storageClass: 'GLACIER' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({
      code: 'InvalidArgument',
      message: expect.stringContaining('storageClass'),
    });
    const unknownField = await api(srv, 'PATCH', '/admin/buckets/archive-2026', { colour: 'blue' });
    expect(unknownField.status).toBe(400);
    const list = await (await api(srv, 'GET', '/admin/buckets')).json();
    expect(list.buckets.map((b: { name: string }) => b.name)).toContain('archive-2026');
    expect((await api(srv, 'DELETE', '/admin/buckets/archive-2026')).status).toBe(204);
    expect((await api(srv, 'GET', '/admin/buckets/archive-2026')).status).toBe(404);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await api(srv, 'GET', '/admin/nothing-here');
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('NoSuchKey');
  });
});

describe('/admin API: objects, CORS, website and the month by day', () => {
  const body = async (res: Response) => (res.status === 204 ? null : res.json());

  it('browses a bucket by folders, a page at a time, and deletes objects', async () => {
    await api(srv, 'POST', '/admin/buckets', { name: 'browse' });
    const s3c = s3(srv.endpoint, srv.creds);
    for (const Key of ['a.txt', 'docs/1.txt', 'docs/2.txt', 'docs/3.txt', 'img/x.png'])
      await s3c.send(new PutObjectCommand({ Bucket: 'browse', Key, Body: Key }));
    const top = await body(await api(srv, 'GET', '/admin/buckets/browse/objects'));
    expect(top).toMatchObject({ folders: ['docs/', 'img/'], nextAfter: null });
    expect(top.objects.map((o: { key: string }) => o.key)).toEqual(['a.txt']);
    const page1 = await body(await api(srv, 'GET', '/admin/buckets/browse/objects?prefix=docs/&limit=2'));
    expect(page1.objects.map((o: { key: string }) => o.key)).toEqual(['docs/1.txt', 'docs/2.txt']);
    const page2 = await body(
      await api(
        srv,
        'GET',
        `/admin/buckets/browse/objects?prefix=docs/&limit=2&after=${encodeURIComponent(page1.nextAfter)}`,
      ),
    );
    expect(page2).toMatchObject({
      objects: [expect.objectContaining({ key: 'docs/3.txt', size: 10 })],
      nextAfter: null,
    });
    expect((await api(srv, 'DELETE', '/admin/buckets/browse/objects?key=docs%2F3.txt')).status).toBe(204);
    expect(
      (await body(await api(srv, 'GET', '/admin/buckets/browse/objects?prefix=docs/'))).objects,
    ).toHaveLength(2);
    expect((await body(await api(srv, 'DELETE', '/admin/buckets/browse/objects'))).error.code).toBe(
      'InvalidArgument',
    );
    expect((await api(srv, 'GET', '/admin/buckets/browse/objects?limit=0')).status).toBe(400);
  });

  it('sets CORS rules as JSON, checked as S3 checks them, and visible through S3', async () => {
    await api(srv, 'POST', '/admin/buckets', { name: 'cors-json' });
    const rules = [
      {
        allowedOrigins: ['https://app.example.kz'],
        allowedMethods: ['GET', 'PUT'],
        allowedHeaders: ['*'],
        maxAgeSeconds: 600,
      },
    ];
    expect((await api(srv, 'PUT', '/admin/buckets/cors-json/cors', { rules })).status).toBe(200);
    const viaS3 = await s3(srv.endpoint, srv.creds).send(new GetBucketCorsCommand({ Bucket: 'cors-json' }));
    expect(viaS3.CORSRules).toEqual([
      expect.objectContaining({
        AllowedOrigins: ['https://app.example.kz'],
        AllowedMethods: ['GET', 'PUT'],
        MaxAgeSeconds: 600,
      }),
    ]);
    const wild = await api(srv, 'PUT', '/admin/buckets/cors-json/cors', {
      rules: [{ allowedOrigins: ['https://*.*.kz'], allowedMethods: ['GET'] }],
    });
    expect(wild.status).toBe(400);
    expect((await wild.json()).error.message).toContain('more than one wildcard');
    expect(
      (
        await api(srv, 'PUT', '/admin/buckets/cors-json/cors', {
          rules: [{ allowedOrigins: ['*'], allowedMethods: ['PATCH'] }],
        })
      ).status,
    ).toBe(400);
    expect(await body(await api(srv, 'PUT', '/admin/buckets/cors-json/cors', { rules: [] }))).toEqual({
      rules: [],
    });
    expect(await body(await api(srv, 'GET', '/admin/buckets/cors-json/cors'))).toEqual({ rules: [] });
  });

  it('turns the website on and off', async () => {
    await api(srv, 'POST', '/admin/buckets', { name: 'web-json' });
    expect(await body(await api(srv, 'GET', '/admin/buckets/web-json/website'))).toBeNull();
    expect(
      (await api(srv, 'PUT', '/admin/buckets/web-json/website', { indexDocument: 'pages/index.html' }))
        .status,
    ).toBe(400);
    expect(
      await body(
        await api(srv, 'PUT', '/admin/buckets/web-json/website', {
          indexDocument: 'index.html',
          errorDocument: '404.html',
        }),
      ),
    ).toEqual({ indexDocument: 'index.html', errorDocument: '404.html' });
    const viaS3 = await s3(srv.endpoint, srv.creds).send(new GetBucketWebsiteCommand({ Bucket: 'web-json' }));
    expect(viaS3.IndexDocument?.Suffix).toBe('index.html');
    expect((await api(srv, 'DELETE', '/admin/buckets/web-json/website')).status).toBe(204);
    expect(await body(await api(srv, 'GET', '/admin/buckets/web-json/website'))).toBeNull();
  });

  it('gives the month day by day, today included', async () => {
    const month = new Date().toISOString().slice(0, 7);
    await new Promise((r) => setTimeout(r, 1200)); // the request log's flush
    const series = await body(await api(srv, 'GET', `/admin/usage/daily/${month}`));
    expect(series.source).toBe('log');
    const today = series.days[series.days.length - 1];
    expect(today.day).toBe(new Date().toISOString().slice(0, 10));
    expect(today.requests).toBeGreaterThan(5);
    expect(today.storedBytes).toBeGreaterThan(0);
    expect(series.days).toHaveLength(new Date().getUTCDate());
    expect((await api(srv, 'GET', '/admin/usage/daily/2026-13')).status).toBe(400);
  });

  it('keys follow their scopes here too', async () => {
    const res = await api(srv, 'POST', '/admin/keys', {
      name: 'reader',
      scopes: [{ bucket: 'browse', actions: ['list'] }],
      expiresInSeconds: 3600,
    });
    const key = await res.json();
    const asKey = {
      endpoint: srv.endpoint,
      creds: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    };
    expect((await api(asKey, 'GET', '/admin/buckets/browse/objects')).status).toBe(200);
    expect((await api(asKey, 'DELETE', '/admin/buckets/browse/objects?key=a.txt')).status).toBe(403);
    expect((await api(asKey, 'PUT', '/admin/buckets/browse/cors', { rules: [] })).status).toBe(403);
  });
});
