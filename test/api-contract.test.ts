/**
 * The JSON API's contract (src/core/api/contract): the typed client builds each route's request from
 * it, and its types refuse a call or a use of an answer that the route does not allow (the
 * `@ts-expect-error` lines below fail `npm run typecheck` the day they would compile).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type Client, clientOf, requestOf } from '../src/core/api/contract/client.ts';
import { type Contract, contract } from '../src/core/api/contract/index.ts';

describe('the API contract', () => {
  it('puts path segments, the query and the body where each route says', async () => {
    const verify = requestOf('https://q.example', contract.verifyDomain, {
      params: { name: 'photos', hostname: 'a b/c.example' },
    });
    expect(verify.method).toBe('POST');
    expect(verify.url).toBe('https://q.example/admin/buckets/photos/domains/a%20b%2Fc.example/verify');
    expect(verify.body).toBeNull(); // the route takes no body

    const list = requestOf('https://q.example', contract.listObjects, {
      params: { name: 'photos' },
      query: { prefix: 'a&b=c/', after: '', limit: '200', delimiter: undefined },
    });
    const url = new URL(list.url);
    expect(url.pathname).toBe('/admin/buckets/photos/objects');
    expect([...url.searchParams]).toEqual([
      ['prefix', 'a&b=c/'],
      ['after', ''],
      ['limit', '200'],
    ]);

    const create = requestOf('https://q.example', contract.createBucket, { body: { name: 'photos' } });
    expect(create.headers.get('content-type')).toBe('application/json');
    expect(await create.json()).toEqual({ name: 'photos' });
  });

  it('answers with the route’s type, and turns a refusal into an ApiError', async () => {
    const api = clientOf(
      contract,
      async (req) =>
        new URL(req.url).pathname === '/admin/buckets/gone'
          ? Response.json({ error: { code: 'NoSuchBucket', message: 'No such bucket.' } }, { status: 404 })
          : new Response(null, { status: 204 }),
      'https://q.example',
    );
    await expect(api.getBucket({ params: { name: 'gone' } })).rejects.toMatchObject({
      name: 'ApiError',
      code: 'NoSuchBucket',
      status: 404,
    });
    expect(await api.deleteBucket({ params: { name: 'old' } })).toBeNull();
  });

  it('types calls and answers from the routes', () => {
    type Api = Client<Contract>;
    expectTypeOf<Awaited<ReturnType<Api['getBucket']>>>().toHaveProperty('defaultCacheControl');
    expectTypeOf<Awaited<ReturnType<Api['listObjects']>>['nextAfter']>().toEqualTypeOf<string | null>();
    const api = {} as Api;
    const never = () => {
      // @ts-expect-error a bucket route needs its name
      void api.getBucket();
      // @ts-expect-error the body is the route's
      void api.createBucket({ body: { nam: 'x' } });
      // @ts-expect-error no such route
      void api.getBuckets();
    };
    expect(typeof never).toBe('function');
  });
});
