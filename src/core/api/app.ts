/**
 * The JSON API under /admin (on the service endpoint): what the console and scripts use to manage
 * buckets, upload forms, domains and certificates. Requests are signed like S3 requests (SigV4, so
 * `curl --aws-sigv4` works); errors are JSON with the S3 error code and status.
 */
import { Hono } from 'hono';
import { type PayloadCheck, authenticate } from '../auth/authenticate.ts';
import { parseQuery } from '../auth/sigv4.ts';
import { BODY_HASH_LIMIT, needsBodyHash, readAndHash } from '../auth/body-hash.ts';
import { timingSafeEqual } from '../digests.ts';
import { S3Error, isS3Error } from '../errors.ts';
import { incomingBody, readSmallBody } from '../http/body.ts';
import { FACTS_HEADER, type RequestFacts, encodeFacts, principalFacts } from '../log/facts.ts';
import { billingHandlers } from './billing.ts';
import { bucketHandlers } from './buckets.ts';
import type { ApiContext, ApiDeps, ApiEnv } from './context.ts';
import { billingRoutes } from './contract/billing.ts';
import { bucketRoutes } from './contract/buckets.ts';
import { domainRoutes } from './contract/domains.ts';
import { keyRoutes } from './contract/keys.ts';
import { objectToolRoutes } from './contract/object-tools.ts';
import { objectRoutes } from './contract/objects.ts';
import { operatorBillingRoutes, operatorRoutes } from './contract/operator.ts';
import { domainHandlers } from './domains.ts';
import { keyHandlers } from './keys.ts';
import { objectToolHandlers } from './object-tools.ts';
import { objectHandlers } from './objects.ts';
import { operatorBillingHandlers } from './operator-billing.ts';
import { operatorHandlers } from './operator.ts';
import { termsOperatorRoutes, termsRoutes } from './contract/terms.ts';
import { termsHandlers } from './terms.ts';
import { termsOperatorHandlers } from './terms-operator.ts';
import { ApiRouter } from './router.ts';

const MAX_JSON = BODY_HASH_LIMIT;
const tooLarge = () =>
  new S3Error('EntityTooLarge', `The request body must be at most ${MAX_JSON} bytes (1 MiB).`);

export function apiApp(deps: ApiDeps, rawTargetOf: (c: ApiContext) => string): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>().basePath('/admin');

  /** The facts of an API call, handed back with its response (log/facts.ts). */
  const factsOf = (c: ApiContext): RequestFacts => ({
    operation: `API ${c.req.method} ${c.req.path}`,
    ...(c.get('signer') ?? { auth: 'anonymous' }),
    ...(c.error ? { errorCode: isS3Error(c.error) ? c.error.code : 'InternalError' } : {}),
  });

  app.onError((err, c) => {
    const requestId = c.get('requestId') ?? '';
    let e: S3Error;
    if (isS3Error(err)) e = err;
    else {
      console.error(`qoima: internal error on ${c.req.method} ${c.req.path} (request ${requestId})`, err);
      e = new S3Error('InternalError');
    }
    return c.json({ error: { code: e.code, message: e.message, requestId } }, e.status as 400);
  });
  app.notFound((c) =>
    c.json(
      {
        error: {
          code: 'NoSuchKey',
          message: `No API route ${c.req.method} ${c.req.path}.`,
          requestId: c.get('requestId') ?? '',
        },
      },
      404,
    ),
  );

  // outermost: whatever the answer (an error is rendered by onError first), its facts go back with it
  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set(FACTS_HEADER, encodeFacts(factsOf(c)));
  });

  app.use('*', async (c, next) => {
    const env = c.env;
    c.set('requestId', env?.requestId ?? '');
    if (c.req.path === '/admin/openapi.json') return next();
    if (env?.principal) {
      // a call from inside the server (the console), already authenticated: the network cannot set env
      c.set('principal', env.principal);
      c.set('payload', { kind: 'none' });
      return next();
    }
    try {
      deps.clientLimits.admit(env?.clientAddress);
      await identify(c);
    } catch (e) {
      // a refusal nobody's account answers for: it counts against the address it came from
      deps.clientLimits.refused(env?.clientAddress);
      throw e;
    }
    return next();
  });

  // terms: a suspended account changes nothing through the API either (issue 16)
  app.use('*', async (c, next) => {
    const p = c.get('principal');
    if (p) await deps.suspensions.apiCall(p.accountId, c.req.method, c.req.path);
    return next();
  });

  /**
   * Finds who signed the call (the operator by its token, or an account's principal); refuses anyone else.
   */
  const identify = async (c: ApiContext): Promise<void> => {
    if (c.req.path.startsWith('/admin/operator/')) {
      const given = (c.req.header('authorization') ?? '').replace(/^Bearer\s+/i, '');
      if (!deps.operatorToken || !timingSafeEqual(given, deps.operatorToken))
        throw new S3Error('AccessDenied', 'The operator API needs the operator token.');
      c.set('signer', { auth: 'operator' });
      c.set('payload', { kind: 'none' });
      return;
    }
    const raw = rawTargetOf(c);
    const q = raw.indexOf('?');
    const headers = c.req.raw.headers;
    const read = needsBodyHash(headers)
      ? await readAndHash(c.req.raw.body, headers, deps.digests, tooLarge)
      : null;
    if (read) c.set('readBody', read.bytes);
    const auth = await authenticate(
      {
        method: c.req.method,
        rawPath: q >= 0 ? raw.slice(0, q) : raw,
        query: parseQuery(q >= 0 ? raw.slice(q + 1) : ''),
        headers,
        bodySha256: read?.sha256,
      },
      {
        digests: deps.digests,
        region: deps.region,
        lookup: deps.lookupCredential,
        verifyToken: (t) => deps.tokens.verify(t),
      },
    );
    if (auth.principal.kind === 'anonymous')
      throw new S3Error('AccessDenied', 'Sign API requests (SigV4, as for S3).');
    c.set('signer', principalFacts(auth.principal));
    c.set('principal', auth.principal);
    c.set('payload', auth.payload);
  };

  const readJson = async (c: ApiContext): Promise<unknown> => {
    const incoming = incomingBody(c.req.raw.body, c.req.raw.headers, c.get('payload'), deps.digests);
    const bytes = c.get('readBody') ?? (await readSmallBody(incoming, MAX_JSON, tooLarge));
    if (bytes.length === 0) return {};
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new S3Error('InvalidArgument', 'The request body is not valid JSON.');
    }
  };

  // the order of the OpenAPI document
  const router = new ApiRouter(app, readJson);
  router.register(bucketRoutes, bucketHandlers(deps));
  router.register(domainRoutes, domainHandlers(deps));
  router.register(keyRoutes, keyHandlers(deps));
  router.register(objectRoutes, objectHandlers(deps));
  router.register(objectToolRoutes, objectToolHandlers(deps));
  router.register(billingRoutes, billingHandlers(deps));
  router.register(operatorRoutes, operatorHandlers(deps));
  router.register(operatorBillingRoutes, operatorBillingHandlers(deps));
  router.register(termsRoutes, termsHandlers(deps));
  router.register(termsOperatorRoutes, termsOperatorHandlers(deps));
  const doc = router.openapi({
    title: 'Qoima API',
    version: '1',
    description:
      'Manage buckets, browser upload forms, custom domains and certificates. The object data itself goes through the S3 API on the same endpoint.',
  });
  app.get('/openapi.json', (c) => c.json(doc as object));
  return app;
}
