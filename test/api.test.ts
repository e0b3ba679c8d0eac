/** The JSON API's own behaviour: OpenAPI document, authentication, validation errors, bucket CRUD. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
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
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/admin/buckets', '/admin/buckets/{name}', '/admin/buckets/{name}/presigned-post', '/admin/buckets/{name}/domains',
      '/admin/buckets/{name}/domains/{hostname}/certificate', '/admin/certificates',
    ]));
    expect(doc.paths['/admin/buckets'].post.requestBody.content['application/json'].schema.properties.storageClass.enum).toEqual(['STANDARD', 'COLD']);
  });

  it('refuses unsigned and wrongly signed calls', async () => {
    const anon = await fetch(`${srv.endpoint}/admin/buckets`);
    expect(anon.status).toBe(403);
    expect((await anon.json()).error.code).toBe('AccessDenied');
    const wrong = await api({ endpoint: srv.endpoint, creds: { ...srv.creds, secretAccessKey: 'nope-nope' } }, 'GET', '/admin/buckets');
    expect((await wrong.json()).error.code).toBe('SignatureDoesNotMatch');
  });

  it('creates, reads, changes and deletes buckets, with zod-validated bodies', async () => {
    const created = await api(srv, 'POST', '/admin/buckets', { name: 'archive-2026', storageClass: 'COLD' });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: 'archive-2026', storageClass: 'COLD', accessType: 'private', publicList: false, objectCount: 0 });
    const bad = await api(srv, 'POST', '/admin/buckets', { name: 'x-y-z', storageClass: 'GLACIER' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'InvalidArgument', message: expect.stringContaining('storageClass') });
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
