/**
 * The one Hono app every runtime serves. Runtime specifics arrive through `AppDeps` (the chunk store,
 * the database, digests, how to read the raw request target); nothing here imports a runtime.
 */
import { Hono, type Context } from 'hono';
import { apiApp } from './api/app.ts';
import type { ApiDeps } from './api/context.ts';
import { isSigned } from './auth/authenticate.ts';
import { SMALL_RANGE_BYTES } from './block/reader.ts';
import { consoleApp } from './console/index.ts';
import { randomBytes, toBase64, toHex, utf8 } from './digests.ts';
import { S3Error } from './errors.ts';
import { type ReportError, failureOf } from './failure.ts';
import type { Freshness } from './freshness.ts';
import { type Answer, type RequestFacts, logEntry, takeFacts, unrecognised } from './log/facts.ts';
import { InboundMeter, counted } from './log/meter.ts';
import type { RequestLog, WaitUntil } from './log/request-log.ts';
import { errorReply, errorResponse } from './s3/error-response.ts';
import { routeHost } from './s3/hosts.ts';
import { type S3Deps, s3Pipeline } from './s3/pipeline.ts';
import { type Outgoing, bodyStream, toResponse } from './http/reply.ts';

export { errorResponse };

/** How an adapter hands over the request target exactly as sent (URL parsers normalise `..`). */
export type GetRawTarget = (c: Context) => string | undefined;

export interface AppDeps
  extends Omit<S3Deps, 'verifyToken'>,
    Omit<ApiDeps, 'reservedDomains' | 'websiteDomains' | 'domainChanged'> {
  getRawTarget?: GetRawTarget;
  /** The client's address, as the runtime knows it (hono's conninfo). */
  getClientAddress?: (c: Context) => string | undefined;
  /** The request's header names as sent (any case), where the runtime has them without a Headers. */
  getHeaderNames?: (c: Context) => Iterable<string> | undefined;
  /**
   * The request's body as the runtime reads it, where it has it without a web stream: Node's pieces go
   * straight to the S3 handlers instead of each being copied into a ReadableStream's queue (and its
   * promises kept alive through every young-generation collection of a long upload).
   */
  getBody?: (c: Context) => AsyncIterable<Uint8Array> | undefined;
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
/** base64 of `qoima/<prefix>` (12 bytes, so the counter's base64 simply follows it). */
let id2Prefix = '';
let idCounter = 0;
function newRequestId(): string {
  if (idPrefix === null) {
    idPrefix = toHex(randomBytes(3)).toUpperCase();
    id2Prefix = toBase64(utf8(`qoima/${idPrefix}`));
  }
  idCounter = (idCounter + 1) % 0x10000000000;
  return idPrefix + idCounter.toString(16).toUpperCase().padStart(10, '0');
}

/** x-amz-id-2: base64 of `qoima/<request id>`, from the id's counter part alone (ASCII). */
function hostId(requestId: string): string {
  return id2Prefix + btoa(requestId.slice(6));
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

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const s3 = s3Pipeline({ ...deps, verifyToken: (t) => deps.tokens.verify(t) });
  const logError = deps.logError ?? ((m, e) => console.error(m, e));

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

  /** An error document for a failure, and the facts known so far with its code. */
  const failed = (c: Context, requestId: string, err: unknown, facts: RequestFacts): Answer => {
    const e = failureOf(err, logError, `${c.req.method} ${c.req.path} (request ${requestId})`);
    const res = errorReply(e, c.req.method, new URL(c.req.url).pathname, requestId);
    return { res, facts: { ...facts, errorCode: e.code } };
  };

  /**
   * What a request is for, decided on its Host and path: the console, the JWKS, the API, or S3. The
   * caches are exact for it (freshness.ts): a GET or HEAD proves them once answered (S3) or once routed
   * (the rest), and is answered again, checked first, when they had changed; anything else checks first.
   */
  const answer = async (
    c: Context,
    requestId: string,
    bytesIn: InboundMeter,
    checkFirst = false,
  ): Promise<Answer> => {
    const { freshness } = deps;
    const optimistic = !checkFirst && (c.req.method === 'GET' || c.req.method === 'HEAD');
    const mark = freshness?.mark();
    if (freshness && !optimistic) await fresh(freshness, logError);
    const stands = async (): Promise<boolean> => {
      if (!freshness || !mark || !optimistic || freshness.provenSince(mark)) return true;
      await fresh(freshness, logError);
      return freshness.provenSince(mark);
    };
    const again = () => answer(c, requestId, bytesIn, true);
    const clientAddress = deps.getClientAddress?.(c);
    const { getHeaderNames, getBody } = deps;
    const route = await routeHost(c.req.header('host') ?? null, deps.hosts);
    const rawTarget = rawTargetOf(c, deps.getRawTarget);
    const own = route.kind === 'service' ? servicePath(rawTarget) : null;
    // the console's pages; a signed S3 request for /console is S3's (and names no bucket that can exist)
    if (under(own, '/console') && !isSigned(c.req.raw.headers, c.req.url)) {
      if (!(await stands())) return again();
      const res = await consoleUi.fetch(withCountedBody(c, bytesIn), { requestId, clientAddress });
      return { res, facts: takeFacts(res) ?? unrecognised(c.req.method) };
    }
    if (own === '/.well-known/jwks.json' && c.req.method === 'GET') {
      if (!(await stands())) return again();
      // public keys of the access-key signer: an edge worker verifies keys with these, no database
      const facts: RequestFacts = { operation: 'GetJwks', auth: 'anonymous' };
      try {
        const headers = { 'cache-control': 'public, max-age=300' };
        return { res: Response.json(await deps.tokens.jwks(), { headers }), facts };
      } catch (err) {
        return failed(c, requestId, err, facts);
      }
    }
    if (under(own, '/admin')) {
      if (!(await stands())) return again();
      const env = { ...(c.env as object), requestId, clientAddress };
      const res = await api.fetch(withCountedBody(c, bytesIn), env);
      return { res, facts: takeFacts(res) ?? unrecognised(c.req.method) };
    }
    const answered = await s3(
      {
        requestId,
        method: c.req.method,
        rawTarget,
        // (parsed only when an error document names it; a function, not a getter: an object literal with
        // a getter gets a hidden class of its own, which held the getter, and through it the whole
        // request, past every young-generation collection until a full one: ~2.5 MB promoted per
        // scavenge at 15 k requests a second)
        resource: () => new URL(c.req.url).pathname,
        headers: c.req.raw.headers,
        headerNames: getHeaderNames && (() => getHeaderNames(c)),
        // GET and HEAD carry no body in S3; not touching it spares the Node adapter a full Request
        body: c.req.method === 'GET' || c.req.method === 'HEAD' ? null : bodyOf(c, getBody, bytesIn),
        bytesIn,
        clientAddress,
        protocol: c.req.url.startsWith('https:') ? 'https' : 'http',
      },
      route,
    );
    if (await stands()) return answered;
    // decided on settings that had changed: never sent (a GET's only trace is its fair-use charge)
    void bodyStream(answered.res)
      ?.cancel()
      .catch(() => {});
    return again();
  };

  app.all('*', async (c) => {
    const started = Date.now();
    const requestId = newRequestId();
    const bytesIn = new InboundMeter();
    let res: Outgoing;
    let facts: RequestFacts;
    try {
      ({ res, facts } = await answer(c, requestId, bytesIn));
    } catch (err) {
      // a layer's own failure that it did not answer itself (S3 and the API render theirs)
      ({ res, facts } = failed(c, requestId, err, unrecognised(c.req.method)));
    }
    res.headers.set('x-amz-request-id', requestId);
    res.headers.set('x-amz-id-2', hostId(requestId));
    res.headers.set('server', 'Qoima');
    const waitUntil = deps.waitUntil?.(c);
    const log = (bytesOut: number, failed?: boolean) =>
      deps.requestLog.record(
        logEntry(facts, {
          time: Date.now(),
          requestId,
          status: res.status,
          failed,
          bytesIn: bytesIn.bytes,
          bytesOut,
          durationMs: Date.now() - started,
          clientIp: deps.getClientAddress?.(c) ?? null,
          userAgent: c.req.header('user-agent')?.slice(0, 512) ?? null,
        }),
        waitUntil,
      );
    // big bodies are counted as they stream (a download cut short is not billed in full), small ones
    // (sent as one buffer: block/reader.ts) by their length
    const declared = Number(res.headers.get('content-length') ?? -1);
    // (the body last: on Node, reading a Response's turns the adapter's lightweight response into a real
    // one. The counted response is made from a plain init, not from `res`: given a real Response,
    // @hono/node-server reads up to three pieces of the body before it sends the headers, and a chunk
    // that fails among them became its own 500 with the raw error as text; so the headers go first and a
    // later failure cuts the body.)
    const stream =
      c.req.method !== 'HEAD' && (declared < 0 || declared > SMALL_RANGE_BYTES) ? bodyStream(res) : null;
    if (stream) return toResponse(res, counted(stream, { done: log }));
    log(c.req.method === 'HEAD' ? 0 : Math.max(0, declared));
    return toResponse(res);
  });

  return app;
}

/** The settings caches made exact for this request; a database that does not answer is a 503. */
async function fresh(freshness: Freshness, logError: ReportError): Promise<void> {
  try {
    await freshness.check();
  } catch (e) {
    logError('qoima: reading the settings generation failed', e);
    throw new S3Error('ServiceUnavailable', 'The metadata database cannot be reached; try again.', {
      headers: { 'retry-after': '1' },
    });
  }
}

/** An S3 request's body, counted as it is read: the runtime's own pieces where it has them. */
function bodyOf(
  c: Context,
  getBody: AppDeps['getBody'],
  bytesIn: InboundMeter,
): AsyncIterable<Uint8Array> | null {
  const body = getBody?.(c) ?? c.req.raw.body;
  return body && bytesIn.count(body);
}

/** The request with its body counted as it is read (GET and HEAD have none, and go as they are). */
function withCountedBody(c: Context, bytesIn: InboundMeter): Request {
  const raw = c.req.raw;
  if (c.req.method === 'GET' || c.req.method === 'HEAD' || !raw.body) return raw;
  const body = bytesIn.wrap(raw.body);
  const init = { method: raw.method, headers: raw.headers, body, duplex: 'half' };
  return new Request(raw.url, init as RequestInit);
}
