/**
 * The JSON API under /admin (on the service endpoint): what the console and scripts use to manage
 * buckets, upload forms, domains and certificates. Requests are signed like S3 requests (SigV4, so
 * `curl --aws-sigv4` works); errors are JSON with the S3 error code and status.
 */
import { Hono, type Context } from 'hono';
import {
  type AccountPrincipal,
  type Credential,
  type PayloadCheck,
  authenticate,
} from '../auth/authenticate.ts';
import { parseQuery } from '../auth/sigv4.ts';
import type { Db } from '../db/index.ts';
import type { Digests } from '../digests.ts';
import { S3Error, isS3Error } from '../errors.ts';
import type { CertificateInspector, TxtLookup } from '../model/domains.ts';
import type { SecretBox } from '../secretbox.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { Billing } from '../billing/service.ts';
import { timingSafeEqual } from '../digests.ts';
import type { AccountLimits, ClientLimits } from '../s3/fairuse.ts';
import { incomingBody, readSmallBody } from '../s3/body.ts';
import { bucketRoutes } from './buckets.ts';
import { domainRoutes } from './domains.ts';
import { billingRoutes } from './billing.ts';
import { keyRoutes } from './keys.ts';
import { objectRoutes } from './objects.ts';
import { operatorBillingRoutes } from './operator-billing.ts';
import { operatorRoutes } from './operator.ts';
import { checkApiCall } from '../model/terms-suspension.ts';
import { termsCustomerRoutes } from './terms-customer.ts';
import { termsOperatorRoutes } from './terms-operator.ts';
import { ApiRouter } from './router.ts';
import { type RequestRecord, authKind } from '../log/request-log.ts';

export interface ApiDeps {
  db: Db;
  box: SecretBox;
  digests: Digests;
  region: string;
  /** Domains that belong to the service (customers cannot attach names under them). */
  reservedDomains: readonly string[];
  lookupCredential: (accessKeyId: string) => Promise<Credential | null>;
  txtLookup: TxtLookup;
  inspectCertificate: CertificateInspector;
  /** Tells the host router a domain changed (so it stops or starts serving it at once). */
  domainChanged: (hostname: string) => void;
  tokens: TokenService;
  accountLimits: AccountLimits;
  /** Refused requests per client address (an unsigned or badly signed call, a wrong operator token). */
  clientLimits: ClientLimits;
  /** The operator's bearer token for /admin/operator/...; null: the operator API is off. */
  operatorToken: string | null;
  billing: Billing;
}

type Env = { Variables: { principal: AccountPrincipal; requestId: string; payload: PayloadCheck } };
export type ApiContext = Context<Env>;

const MAX_JSON = 1024 * 1024;

/** What the app hands the API with each request; `principal` only on calls from inside the server (the console). */
export interface InProcess {
  requestId?: string;
  record?: RequestRecord;
  principal?: AccountPrincipal;
  /** The client's address, as the runtime knows it. */
  clientAddress?: string;
}

export function principalOf(c: Context): AccountPrincipal {
  return (c as ApiContext).get('principal');
}

/** Where the caller reached us, for URLs handed back (presigned links, forms). */
export function endpointOf(c: Context): string {
  const url = new URL(c.req.url);
  return `${url.protocol}//${c.req.header('host') ?? url.host}`;
}

export function apiApp(deps: ApiDeps, rawTargetOf: (c: Context) => string): Hono<Env> {
  const app = new Hono<Env>().basePath('/admin');

  app.onError((err, c) => {
    const requestId = c.get('requestId') ?? '';
    let e: S3Error;
    if (isS3Error(err)) e = err;
    else {
      console.error(`qoima: internal error on ${c.req.method} ${c.req.path} (request ${requestId})`, err);
      e = new S3Error('InternalError');
    }
    const record = (c.env as { record?: RequestRecord } | undefined)?.record;
    if (record) record.errorCode = e.code;
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

  app.use('*', async (c, next) => {
    const env = c.env as InProcess | undefined;
    c.set('requestId', env?.requestId ?? '');
    const record = env?.record ?? {};
    record.operation = `API ${c.req.method} ${c.req.path}`;
    if (c.req.path === '/admin/openapi.json') return next();
    if (env?.principal) {
      // a call from inside the server (the console), already authenticated: the network cannot set env
      c.set('principal', env.principal);
      c.set('payload', { kind: 'none' });
      return next();
    }
    try {
      deps.clientLimits.admit(env?.clientAddress);
      await identify(c, record);
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
    if (p) await checkApiCall(deps.db, p.accountId, c.req.method, c.req.path);
    return next();
  });

  /** Finds who signed the call (the operator by its token, or an account's principal); refuses anyone else. */
  const identify = async (c: Context, record: RequestRecord): Promise<void> => {
    const ctx = c as ApiContext;
    if (c.req.path.startsWith('/admin/operator/')) {
      const given = (c.req.header('authorization') ?? '').replace(/^Bearer\s+/i, '');
      if (!deps.operatorToken || !timingSafeEqual(given, deps.operatorToken))
        throw new S3Error('AccessDenied', 'The operator API needs the operator token.');
      record.auth = 'operator';
      ctx.set('payload', { kind: 'none' });
      return;
    }
    const raw = rawTargetOf(c);
    const q = raw.indexOf('?');
    const auth = await authenticate(
      {
        method: c.req.method,
        rawPath: q >= 0 ? raw.slice(0, q) : raw,
        query: parseQuery(q >= 0 ? raw.slice(q + 1) : ''),
        headers: c.req.raw.headers,
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
    Object.assign(record, {
      auth: authKind(auth.principal),
      accountId: auth.principal.accountId,
      keyId: auth.principal.kind === 'key' ? auth.principal.accessKeyId : null,
    });
    ctx.set('principal', auth.principal);
    ctx.set('payload', auth.payload);
  };

  const readJson = async (c: Context): Promise<unknown> => {
    const payload = (c as ApiContext).get('payload');
    const incoming = incomingBody(c.req.raw.body, c.req.raw.headers, payload, deps.digests);
    const bytes = await readSmallBody(
      incoming,
      MAX_JSON,
      () => new S3Error('EntityTooLarge', `The request body must be at most ${MAX_JSON} bytes (1 MiB).`),
    );
    if (bytes.length === 0) return {};
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new S3Error('InvalidArgument', 'The request body is not valid JSON.');
    }
  };

  const router = new ApiRouter(app as unknown as Hono, readJson);
  bucketRoutes(router, deps);
  domainRoutes(router, deps);
  keyRoutes(router, deps);
  objectRoutes(router, deps);
  billingRoutes(router, deps);
  operatorRoutes(router, deps);
  operatorBillingRoutes(router, deps);
  termsCustomerRoutes(router, deps);
  termsOperatorRoutes(router, deps);
  const doc = router.openapi({
    title: 'Qoima API',
    version: '1',
    description:
      'Manage buckets, browser upload forms, custom domains and certificates. The object data itself goes through the S3 API on the same endpoint.',
  });
  app.get('/openapi.json', (c) => c.json(doc as object));
  return app;
}
