/**
 * Fuzzing the JSON API's request bodies: any body and query on any route of the customer API, mostly
 * valid so the handler runs, seeded (see test/helpers/fuzz.ts); S3's XML bodies and bucket policies are
 * in fuzz-bodies.test.ts. For every case: a sane answer, no event-loop stall, a change that was
 * accepted still lets the bucket be served, nothing reaches the other account's bucket, and its object
 * is untouched.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { api } from './helpers/api.ts';
import { fuzz, hostileText } from './helpers/fuzz.ts';
import { CANARY_BUCKET, type FuzzServer, expectStillServed, startFuzzServer } from './helpers/fuzz-server.ts';
import { wellFormed } from './helpers/raw-http.ts';

const B = 'fuzz-bodies';
let f: FuzzServer;
let n = 0;

beforeAll(async () => {
  f = await startFuzzServer([B]);
  await api(f.srv, 'PATCH', `/admin/buckets/${B}`, { accessType: 'public-read' });
});
afterAll(() => f?.stop());

/** The bucket still serves its object: plainly, to a browser of another site, and as a website. */
const stillServed = () => expectStillServed(f, B);

describe('fuzz: request bodies', () => {
  it('the JSON API: any body on any route of the customer API', async () => {
    const ROUTES: [string, string][] = [
      ['POST', '/buckets'],
      ['PATCH', `/buckets/${B}`],
      ['PUT', `/buckets/${B}/cors`],
      ['PUT', `/buckets/${B}/website`],
      ['POST', `/buckets/${B}/presigned-url`],
      ['POST', `/buckets/${B}/presigned-post`],
      ['POST', '/keys'],
      ['POST', `/buckets/${B}/domains`],
      ['PUT', `/buckets/${B}/domains/files.example.com/certificate`],
      ['POST', '/outages'],
      ['GET', `/buckets/${B}/objects`],
      ['GET', '/usage/daily/x'],
      ['PATCH', `/buckets/${CANARY_BUCKET}`],
      ['PUT', `/buckets/${CANARY_BUCKET}/cors`],
      ['DELETE', `/buckets/${B}/objects`],
      ['GET', '/invoices/2026-13'],
    ];
    const FIELDS = [
      'name',
      'storageClass',
      'accessType',
      'publicList',
      'defaultCacheControl',
      'rules',
      'allowedOrigins',
      'allowedMethods',
      'exposeHeaders',
      'maxAgeSeconds',
      'indexDocument',
      'errorDocument',
      'key',
      'keyPrefix',
      'method',
      'expiresInSeconds',
      'responseContentDisposition',
      'maxSize',
      'minSize',
      'contentTypePrefix',
      'successActionStatus',
      'successActionRedirect',
      'fields',
      'scopes',
      'bucket',
      'prefix',
      'actions',
      'hostname',
      'certificatePem',
      'privateKeyPem',
      'from',
      'to',
      'description',
    ];
    const leaf: fc.Arbitrary<unknown> = fc.oneof(
      hostileText(2000).map(wellFormed),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('GET', 'PUT', 'public-read', 'STANDARD', 'COLD', 'read', 'write', '*'),
    );
    const value = fc.oneof(
      leaf,
      fc.array(leaf, { maxLength: 3 }),
      fc.dictionary(hostileText(30).map(wellFormed), leaf, { maxKeys: 3 }),
      fc.array(
        fc.dictionary(fc.constantFrom(...FIELDS), fc.oneof(leaf, fc.array(leaf, { maxLength: 3 })), {
          maxKeys: 4,
        }),
        { maxLength: 2 },
      ),
    );
    // per route, a body that is mostly valid (so the handler runs), with hostile leaves
    const j = (...valid: unknown[]) =>
      fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: leaf });
    const scope = fc.record({
      bucket: j(B, '*', CANARY_BUCKET),
      prefix: j('', 'a/'),
      actions: fc.array(j('read', 'write', 'list', 'delete', 'admin'), { minLength: 1, maxLength: 3 }),
    });
    const VALID: Record<string, fc.Arbitrary<unknown>> = {
      '/buckets': fc.record(
        {
          name: j('fuzz-made-bucket', 'x'),
          storageClass: j('STANDARD', 'COLD'),
          accessType: j('private', 'public-read'),
        },
        { requiredKeys: ['name'] },
      ),
      [`/buckets/${B}`]: fc.record(
        {
          accessType: j('public-read'),
          publicList: j(false, true),
          defaultCacheControl: j('public, max-age=60', null),
        },
        { requiredKeys: [] },
      ),
      [`/buckets/${B}/cors`]: fc.record({
        rules: fc.array(
          fc.record(
            {
              allowedOrigins: fc.array(j('*', 'https://app.example'), { minLength: 1, maxLength: 2 }),
              allowedMethods: fc.array(j('GET', 'PUT'), { minLength: 1, maxLength: 2 }),
              allowedHeaders: fc.array(j('*', 'x-a'), { maxLength: 2 }),
              exposeHeaders: fc.array(j('ETag', 'x-amz-meta-a'), { maxLength: 2 }),
              maxAgeSeconds: j(60, 0),
            },
            { requiredKeys: ['allowedOrigins', 'allowedMethods'] },
          ),
          { maxLength: 2 },
        ),
      }),
      [`/buckets/${B}/website`]: fc.record(
        { indexDocument: j('index.html'), errorDocument: j('404.html') },
        { requiredKeys: ['indexDocument'] },
      ),
      [`/buckets/${B}/presigned-url`]: fc.record(
        {
          key: j('known.txt', 'new.txt'),
          method: j('GET', 'HEAD', 'PUT', 'DELETE'),
          expiresInSeconds: j(60, 3600),
          responseContentDisposition: j('attachment; filename="a.txt"'),
        },
        { requiredKeys: ['key'] },
      ),
      [`/buckets/${B}/presigned-post`]: fc.record(
        {
          key: j('up/${filename}'),
          keyPrefix: j('up/'),
          maxSize: j(100),
          successActionRedirect: j('https://app.example/done'),
          fields: fc.dictionary(
            j('Content-Type', 'x-amz-meta-a', 'Cache-Control').map(String),
            j('text/plain', 'v').map(String),
            { maxKeys: 2 },
          ),
        },
        { requiredKeys: [] },
      ),
      '/keys': fc.record(
        {
          name: j('fuzz key'),
          scopes: fc.array(scope, { minLength: 1, maxLength: 2 }),
          expiresInSeconds: j(3600),
        },
        { requiredKeys: ['name', 'scopes'] },
      ),
      [`/buckets/${B}/domains`]: fc.record({
        hostname: j('files.example.com', 'a.localhost', 'fuzz-bodies.localhost'),
      }),
      '/outages': fc.record({ description: j('it was down') }),
    };
    const bodyFor = (path: string) =>
      fc.oneof(
        { weight: 5, arbitrary: VALID[path] ?? fc.constant({}) },
        { weight: 2, arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 }) },
        { weight: 1, arbitrary: fc.jsonValue() },
      );
    const query = fc.dictionary(
      fc.constantFrom('prefix', 'after', 'limit', 'delimiter', 'key', 'format'),
      hostileText(300).map(wellFormed),
      { maxKeys: 2 },
    );
    const cases = fc
      .constantFrom(...ROUTES)
      .chain((route) => fc.tuple(fc.constant(route), bodyFor(route[1]), query));
    await fuzz('json api', cases, 350, async ([[method, path], json, q]) => {
      const qs = new URLSearchParams(q as Record<string, string>).toString();
      const { res, body: text } = await f.sane(`the JSON API ${method} ${path}`, () =>
        api(
          f.srv,
          method,
          `/admin${path}${qs ? `?${qs}` : ''}`,
          method === 'GET' || method === 'DELETE' ? undefined : json,
        ),
      );
      if (res.status >= 300) return;
      if (path.endsWith('/presigned-url')) {
        const { url } = JSON.parse(text) as { url: string };
        await f.sane('following a presigned URL', () =>
          fetch(url, { method: (json as { method?: string }).method === 'HEAD' ? 'HEAD' : 'GET' }),
        );
      }
      if (path === '/buckets')
        await api(
          f.srv,
          'DELETE',
          `/admin/buckets/${encodeURIComponent(String((json as { name?: unknown }).name))}`,
        );
      if (method === 'PATCH' || method === 'PUT') await stillServed();
      n++;
    });
  });
});
