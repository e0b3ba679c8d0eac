/**
 * The one Hono app every runtime serves. Runtime specifics arrive through `AppDeps` (the chunk store,
 * the database, digests, how to read the raw request target); nothing here imports a runtime.
 */
import { Hono, type Context } from 'hono';
import { ChunkCorruptError, ChunkMissingError } from './block/store.ts';
import { randomBytes, toBase64, toHex, utf8 } from './digests.ts';
import { S3Error, isS3Error } from './errors.ts';
import { type ApiDeps, apiApp } from './api/app.ts';
import { decorate, rulesOf } from './s3/cors.ts';
import { routeHost } from './s3/hosts.ts';
import { BucketScopedError, type S3Deps, s3Pipeline } from './s3/pipeline.ts';
import { leaf, plainDocument } from './xml.ts';

/** How an adapter hands over the request target exactly as sent (URL parsers normalise `..`). */
export type GetRawTarget = (c: Context) => string | undefined;

export interface AppDeps extends Omit<S3Deps, 'verifyToken'>, Omit<ApiDeps, 'reservedDomains' | 'domainChanged'> {
  getRawTarget?: GetRawTarget;
  /** Where internal failures are reported (never to the client). */
  logError?: (message: string, error: unknown) => void;
}

// Request ids: a random per-process prefix and a counter, unique without a random draw per request.
const ID_PREFIX = toHex(randomBytes(3)).toUpperCase();
let idCounter = 0;
function newRequestId(): string {
  idCounter = (idCounter + 1) % 0x10000000000;
  return ID_PREFIX + idCounter.toString(16).toUpperCase().padStart(10, '0');
}

export function errorResponse(e: S3Error, method: string, resource: string, requestId: string): Response {
  const headers = new Headers(e.headers);
  if (method === 'HEAD') return new Response(null, { status: e.status, headers });
  headers.set('content-type', 'application/xml');
  const body = plainDocument(
    'Error',
    leaf('Code', e.code),
    leaf('Message', e.message),
    ...Object.entries(e.fields).map(([k, v]) => leaf(k, v)),
    leaf('Resource', resource),
    leaf('RequestId', requestId),
  );
  return new Response(body, { status: e.status, headers });
}

function rawTargetOf(c: Context, getRawTarget?: GetRawTarget): string {
  const raw = getRawTarget?.(c);
  if (raw !== undefined && raw.startsWith('/')) return raw;
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

type Env = { Variables: { requestId: string } };

export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  const s3 = s3Pipeline({ ...deps, verifyToken: (t) => deps.tokens.verify(t) });
  const logError = deps.logError ?? ((m, e) => console.error(m, e));

  app.use('*', async (c, next) => {
    const requestId = newRequestId();
    c.set('requestId', requestId);
    await next();
    c.res.headers.set('x-amz-request-id', requestId);
    c.res.headers.set('x-amz-id-2', toBase64(utf8(`qoima/${requestId}`)));
    c.res.headers.set('server', 'Qoima');
  });

  app.onError((err, c) => {
    const requestId = c.get('requestId') ?? newRequestId();
    let e: S3Error;
    if (err instanceof BucketScopedError) {
      const res = errorResponse(err.error, c.req.method, new URL(c.req.url).pathname, requestId);
      res.headers.set('x-amz-request-id', requestId);
      return decorate(res, rulesOf(err.bucket.cors), c.req.header('origin') ?? null, c.req.method);
    }
    if (isS3Error(err)) e = err;
    else {
      if (err instanceof ChunkCorruptError || err instanceof ChunkMissingError) logError(`qoima: data integrity: ${err.message}`, err);
      else logError(`qoima: internal error on ${c.req.method} ${c.req.path} (request ${requestId})`, err);
      e = new S3Error('InternalError');
    }
    const res = errorResponse(e, c.req.method, new URL(c.req.url).pathname, requestId);
    res.headers.set('x-amz-request-id', requestId);
    return res;
  });

  const api = apiApp(
    {
      ...deps,
      reservedDomains: [...deps.hosts.baseDomains, ...deps.hosts.websiteDomains],
      domainChanged: (host) => deps.hosts.forgetDomain?.(host),
    },
    (c) => rawTargetOf(c, deps.getRawTarget),
  );

  app.all('*', async (c) => {
    const route = await routeHost(c.req.header('host') ?? null, deps.hosts);
    if (route.kind === 'service' && c.req.path === '/.well-known/jwks.json' && c.req.method === 'GET') {
      // public keys of the access-key signer: an edge worker verifies keys with these, no database
      return c.json(await deps.tokens.jwks(), 200, { 'cache-control': 'public, max-age=300' });
    }
    if (route.kind === 'service' && (c.req.path === '/admin' || c.req.path.startsWith('/admin/'))) {
      return api.fetch(c.req.raw, { ...(c.env as object), requestId: c.get('requestId') });
    }
    return s3(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        rawTarget: rawTargetOf(c, deps.getRawTarget),
        headers: c.req.raw.headers,
        body: c.req.raw.body,
        protocol: new URL(c.req.url).protocol === 'https:' ? 'https' : 'http',
      },
      route,
    );
  });

  return app;
}
