/**
 * The one Hono app every runtime serves. Runtime specifics arrive through `AppDeps` (the chunk store,
 * the database, digests, how to read the raw request target); nothing here imports a runtime.
 */
import { Hono, type Context } from 'hono';
import { isSigned } from './auth/authenticate.ts';
import {
  ChunkBackendUnavailableError,
  ChunkCorruptError,
  ChunkMissingError,
  StoreFullError,
} from './block/store.ts';
import { randomBytes, toBase64, toHex, utf8 } from './digests.ts';
import { S3Error, isS3Error } from './errors.ts';
import { apiApp } from './api/app.ts';
import type { ApiDeps } from './api/context.ts';
import { decorate, rulesOf } from './s3/cors.ts';
import { routeHost } from './s3/hosts.ts';
import { BucketScopedError, type S3Deps, s3Pipeline } from './s3/pipeline.ts';
import { consoleApp } from './console/index.ts';
import { InboundMeter, counted } from './log/meter.ts';
import { type RequestLog, type RequestRecord, type WaitUntil } from './log/request-log.ts';
import { leaf, plainDocument } from './xml.ts';

/** How an adapter hands over the request target exactly as sent (URL parsers normalise `..`). */
export type GetRawTarget = (c: Context) => string | undefined;

export interface AppDeps
  extends Omit<S3Deps, 'verifyToken'>,
    Omit<ApiDeps, 'reservedDomains' | 'websiteDomains' | 'domainChanged'> {
  getRawTarget?: GetRawTarget;
  /** The client's address, as the runtime knows it (hono's conninfo). */
  getClientAddress?: (c: Context) => string | undefined;
  requestLog: RequestLog;
  /** Whether anyone may create a service from the console's sign-in page (else the operator does). */
  consoleSignup?: boolean;
  /** Failed console sign-ins and sign-ups one client address may have in a quarter hour (default 30). */
  consoleFailuresPerAddress?: number;
  /** Work that may outlive the response (the log's write), where the runtime needs to be told. */
  waitUntil?: (c: Context) => WaitUntil | undefined;
  /** Where internal failures are reported (never to the client). */
  logError?: (message: string, error: unknown) => void;
}

// Request ids: a random per-process prefix and a counter, unique without a random draw per request.
// (Drawn on first use: Workers allow no random values at module load.)
let idPrefix: string | null = null;
let idCounter = 0;
function newRequestId(): string {
  idPrefix ??= toHex(randomBytes(3)).toUpperCase();
  idCounter = (idCounter + 1) % 0x10000000000;
  return idPrefix + idCounter.toString(16).toUpperCase().padStart(10, '0');
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

/**
 * The path of the service's own pages and API (/console, /admin, the JWKS), matched on the path as it
 * was sent. A path with dot segments or backslashes is never one of them: a URL parser would resolve
 * `/bucket/a/../../admin/keys` to `/admin/keys`, but it was signed (and is meant) as an S3 key.
 */
function servicePath(rawTarget: string): string | null {
  const q = rawTarget.indexOf('?');
  const path = q >= 0 ? rawTarget.slice(0, q) : rawTarget;
  if (path.includes('\\') || /(^|\/)(\.|%2e){1,2}(\/|$)/i.test(path)) return null;
  return path;
}

const under = (path: string | null, base: string) =>
  path !== null && (path === base || path.startsWith(`${base}/`));

type Env = { Variables: { requestId: string; record: RequestRecord; bytesIn: InboundMeter } };

export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  const s3 = s3Pipeline({ ...deps, verifyToken: (t) => deps.tokens.verify(t) });
  const logError = deps.logError ?? ((m, e) => console.error(m, e));

  app.use('*', async (c, next) => {
    const started = Date.now();
    const requestId = newRequestId();
    const record: RequestRecord = { operation: `${c.req.method} (unrecognised)`, auth: 'anonymous' };
    const bytesIn = new InboundMeter();
    c.set('requestId', requestId);
    c.set('record', record);
    c.set('bytesIn', bytesIn);
    await next();
    c.res.headers.set('x-amz-request-id', requestId);
    c.res.headers.set('x-amz-id-2', toBase64(utf8(`qoima/${requestId}`)));
    c.res.headers.set('server', 'Qoima');
    const res = c.res;
    const waitUntil = deps.waitUntil?.(c);
    const log = (bytesOut: number, failed?: boolean) =>
      deps.requestLog.record(
        {
          // when it ended (it began durationMs before): a transfer that crosses an hour is billed in the
          // hour it finished, which the hourly rollup has not closed yet
          time: Date.now(),
          requestId,
          accountId: record.accountId ?? null,
          bucket: record.bucket ?? null,
          key: record.key ?? null,
          operation: record.operation ?? c.req.method,
          status: failed ? 500 : res.status,
          errorCode: failed ? 'InternalError' : (record.errorCode ?? null),
          bytesIn: bytesIn.bytes,
          bytesOut,
          durationMs: Date.now() - started,
          auth: record.auth ?? 'anonymous',
          keyId: record.keyId ?? null,
          clientIp: deps.getClientAddress?.(c) ?? null,
          userAgent: c.req.header('user-agent')?.slice(0, 512) ?? null,
          storageClass: record.storageClass ?? null,
          retrievalBytes: record.retrievalBytes ?? 0,
        },
        waitUntil,
      );
    // big bodies are counted as they stream (a download cut short is not billed in full); small ones by length
    const declared = Number(res.headers.get('content-length') ?? -1);
    // (res.body last: on Node, reading it turns the adapter's lightweight response into a real one)
    if (c.req.method !== 'HEAD' && (declared < 0 || declared >= 65_536) && res.body) {
      c.res = new Response(counted(res.body, { done: log }), res);
    } else log(c.req.method === 'HEAD' ? 0 : Math.max(0, declared));
  });

  app.onError((err, c) => {
    const requestId = c.get('requestId') ?? newRequestId();
    const record = c.get('record');
    let e: S3Error;
    if (err instanceof BucketScopedError) {
      if (record) record.errorCode = err.error.code;
      const res = errorResponse(err.error, c.req.method, new URL(c.req.url).pathname, requestId);
      res.headers.set('x-amz-request-id', requestId);
      return decorate(res, rulesOf(err.bucket.cors), c.req.header('origin') ?? null, c.req.method);
    }
    if (isS3Error(err)) e = err;
    else if (err instanceof StoreFullError) {
      logError(`qoima: storage full: ${err.message}`, err);
      e = new S3Error(
        'ServiceUnavailable',
        'The service is out of storage space right now; try again later.',
      );
    } else if (err instanceof ChunkBackendUnavailableError) {
      // The provider's outage, not the client's mistake: a 503 the SDKs retry, counted as our downtime.
      logError(`qoima: chunk backend unavailable: ${err.message}`, err);
      e = new S3Error(
        'ServiceUnavailable',
        'The storage backend is unavailable right now; try again shortly.',
        {
          headers: { 'retry-after': String(err.retryAfterSeconds) },
        },
      );
    } else {
      if (err instanceof ChunkCorruptError || err instanceof ChunkMissingError)
        logError(`qoima: data integrity: ${err.message}`, err);
      else logError(`qoima: internal error on ${c.req.method} ${c.req.path} (request ${requestId})`, err);
      e = new S3Error('InternalError');
    }
    if (record) record.errorCode = e.code;
    const res = errorResponse(e, c.req.method, new URL(c.req.url).pathname, requestId);
    res.headers.set('x-amz-request-id', requestId);
    return res;
  });

  const api = apiApp(
    {
      ...deps,
      reservedDomains: [...deps.hosts.baseDomains, ...deps.hosts.websiteDomains],
      websiteDomains: deps.hosts.websiteDomains,
      domainChanged: (host) => deps.hosts.forgetDomain?.(host),
    },
    (c) => rawTargetOf(c, deps.getRawTarget),
  );

  const consoleUi = consoleApp({
    db: deps.db,
    box: deps.box,
    lookupCredential: deps.lookupCredential,
    accountLimits: deps.accountLimits,
    trialDays: deps.billing.trialDays,
    signup: deps.consoleSignup ?? true,
    failuresPerAddress: deps.consoleFailuresPerAddress ?? 30,
    api: async (req, env) => api.fetch(req, env),
  });

  /** The request with its body counted as it is read (GET and HEAD have none, and go as they are). */
  const withCountedBody = (c: Context<Env>): Request => {
    const raw = c.req.raw;
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || !raw.body) return raw;
    const body = c.get('bytesIn').wrap(raw.body);
    const init = { method: raw.method, headers: raw.headers, body, duplex: 'half' };
    return new Request(raw.url, init as RequestInit);
  };

  app.all('*', async (c) => {
    const clientAddress = deps.getClientAddress?.(c);
    const route = await routeHost(c.req.header('host') ?? null, deps.hosts);
    const own = route.kind === 'service' ? servicePath(rawTargetOf(c, deps.getRawTarget)) : null;
    // the console's pages; a signed S3 request for /console is S3's (and names no bucket that can exist)
    if (under(own, '/console') && !isSigned(c.req.raw.headers, c.req.url)) {
      const env = { requestId: c.get('requestId'), record: c.get('record'), clientAddress };
      return consoleUi.fetch(withCountedBody(c), env);
    }
    if (own === '/.well-known/jwks.json' && c.req.method === 'GET') {
      // public keys of the access-key signer: an edge worker verifies keys with these, no database
      c.get('record').operation = 'GetJwks';
      return c.json(await deps.tokens.jwks(), 200, { 'cache-control': 'public, max-age=300' });
    }
    if (under(own, '/admin')) {
      const env = {
        ...(c.env as object),
        requestId: c.get('requestId'),
        record: c.get('record'),
        clientAddress,
      };
      return api.fetch(withCountedBody(c), env);
    }
    return s3(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        rawTarget: rawTargetOf(c, deps.getRawTarget),
        headers: c.req.raw.headers,
        // GET and HEAD carry no body in S3; not touching it spares the Node adapter a full Request
        body:
          c.req.method === 'GET' || c.req.method === 'HEAD' || !c.req.raw.body
            ? null
            : c.get('bytesIn').wrap(c.req.raw.body),
        bytesIn: c.get('bytesIn'),
        clientAddress,
        protocol: c.req.url.startsWith('https:') ? 'https' : 'http',
        record: c.get('record'),
      },
      route,
    );
  });

  return app;
}
