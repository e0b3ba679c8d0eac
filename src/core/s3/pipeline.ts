/**
 * The S3 request pipeline, one named step after another:
 *   website? → route (target) → authenticate → detect the operation → bucket → admit/authorize →
 *   handle → CORS.
 * Each step returns its value or throws an S3Error; the one `catch` renders the refusal as S3 does,
 * with the bucket's CORS grant where a bucket is known, so a browser script can read why. The pipeline
 * answers with the response and the facts of the request (log/facts.ts), which it gathers as the
 * steps learn them; handlers add theirs by returning them (call.ts `Handled`).
 *
 * Who pays: a request is the bucket owner's (its request rate, its bandwidth for every byte read and
 * sent) only once it is authorized; forms and preflights, which authorize themselves, are admitted by
 * their handler. Until then a refusal is charged to the client's address, which is turned away with
 * SlowDown when it has too many.
 */
import { type Authenticated, type Credential, authenticate, isSigned } from '../auth/authenticate.ts';
import { needsBodyHash, readAndHash, replay } from '../auth/body-hash.ts';
import { accountOf } from '../auth/grants.ts';
import type { TokenClaims } from '../auth/tokens.ts';
import type { ChunkStore } from '../block/store.ts';
import type { ChangeStamp, Db } from '../db/index.ts';
import type { Freshness } from '../freshness.ts';
import type { Digests } from '../digests.ts';
import { S3Error, isS3Error } from '../errors.ts';
import { type ReportError, failureOf } from '../failure.ts';
import { type Answer, type RequestFacts, principalFacts, unrecognised } from '../log/facts.ts';
import type { InboundMeter } from '../log/meter.ts';
import { type Bucket, findBucket as findBucketRow } from '../model/buckets.ts';
import { ChunkLists, InlineBodies, ObjectRows } from '../model/object-reads.ts';
import type { Suspensions } from '../model/terms-suspension.ts';
import { authorize, authorizesItself } from './access.ts';
import type { Handled, ObjectCall, S3Call } from './call.ts';
import { rulesOf } from '../model/bucket-settings.ts';
import { decorate } from './cors.ts';
import { errorReply } from './error-response.ts';
import type { AccountLimits, ClientLimits } from '../model/fair-use.ts';
import { type HostConfig, type HostRoute, websiteAnswers } from './hosts.ts';
import type { IngestLimits } from './ingest.ts';
import { detectOperation } from './operations.ts';
import { operationTable } from './table.ts';
import { type Target, resolveTarget } from './target.ts';
import { htmlError, serveWebsite } from './website.ts';
import { type Outgoing, Reply } from '../http/reply.ts';

export interface S3Deps {
  db: Db;
  store: ChunkStore;
  digests: Digests;
  nodeId: string;
  region: string;
  hosts: HostConfig;
  limits: IngestLimits;
  lookupCredential: (accessKeyId: string) => Promise<Credential | null>;
  /** A bucket by name, maybe cached (its object and byte counts may be old); default: the database. */
  bucketByName?: (name: string) => Promise<Bucket | null>;
  /** The settings generation the caches are exact by (freshness.ts). */
  freshness?: Freshness;
  /** Lets GETs skip the object lookup while nothing was committed (ObjectRows, object-reads.ts). */
  changeStamp?: ChangeStamp;
  verifyToken?: (token: string) => Promise<TokenClaims>;
  /** Whether Signature Version 2 is accepted (QOIMA_SIGV2); default yes. */
  sigv2?: boolean;
  accountLimits: AccountLimits;
  clientLimits: ClientLimits;
  /** Suspended accounts (terms of service, issue 16). */
  suspensions: Suspensions;
  /** Where internal failures are reported (never to the client). */
  logError?: ReportError;
}

export interface IncomingS3Request {
  requestId: string;
  method: string;
  /** Path and query exactly as sent. */
  rawTarget: string;
  /** The path as a URL parser reads it, named in error documents (`<Resource>`): parsed when asked. */
  resource: () => string;
  headers: Headers;
  /** Its header names as sent, any case, where the runtime has them (AppDeps.getHeaderNames). */
  headerNames?: () => Iterable<string> | undefined;
  /** Counted by `bytesIn` as it is read. */
  body: AsyncIterable<Uint8Array> | null;
  bytesIn: InboundMeter;
  /** The client's address as the runtime knows it. */
  clientAddress: string | undefined;
  protocol: 'http' | 'https';
}

/**
 * Path-style object responses come from the service's own origin, the one that also serves /console.
 * A customer's HTML must not run as that origin (it could read the console's pages and act as whoever
 * is signed in), so it is sandboxed into an opaque origin: its scripts and forms still work, but it is
 * nobody's origin. Virtual-hosted, website and custom-domain responses are origins of their own.
 */
export const PATH_STYLE_SANDBOX =
  'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

/** Whose CORS grant a refusal carries: a bucket, a bucket name still to look up, or none. */
type CorsScope = Bucket | string | null;

export function s3Pipeline(s3Deps: S3Deps): (req: IncomingS3Request, route: HostRoute) => Promise<Answer> {
  const objectRows = s3Deps.changeStamp && new ObjectRows(s3Deps.changeStamp);
  const deps = { ...s3Deps, inlineBodies: new InlineBodies(), chunkLists: new ChunkLists(), objectRows };
  const table = operationTable(deps);
  const report = deps.logError ?? ((m, e) => console.error(m, e));
  const findBucket = deps.bucketByName ?? ((name: string) => findBucketRow(deps.db, name));

  return async (req, route) => {
    if (route.kind === 'bucket' && route.via !== 'virtual') {
      const site = await website(req, route.bucket, route.via);
      if (site) return site;
    }
    return s3(req, route.kind === 'bucket' ? route.bucket : null);
  };

  /** A website or custom-domain host's answer when it is the website's (hosts.ts decides), else null. */
  async function website(
    req: IncomingS3Request,
    name: string,
    via: 'website' | 'custom',
  ): Promise<Answer | null> {
    const bucket = await findBucket(name);
    if (!bucket) {
      if (via !== 'website') return null;
      const missing = new S3Error('NoSuchBucket', undefined, { fields: { BucketName: name } });
      return { res: htmlError(missing, req.requestId), facts: unrecognised(req.method) };
    }
    const signed = () => isSigned(req.headers, req.rawTarget);
    if (!websiteAnswers(via, Boolean(bucket.website), req.method, signed)) return null;
    const facts: RequestFacts = {
      operation: `Website${req.method}`,
      auth: 'anonymous',
      accountId: bucket.accountId,
      bucket: bucket.name,
      storageClass: bucket.storageClass,
    };
    try {
      // a website serves reads only: a suspension that blocks reads closes it too (issue 16)
      await deps.suspensions.gate(bucket.accountId, 'GetObject');
      const host = req.headers.get('host') ?? '';
      const { method, headers, rawTarget, protocol, requestId } = req;
      const site = await serveWebsite(
        deps,
        { method, headers, rawTarget, host, protocol, requestId },
        bucket,
      );
      Object.assign(facts, site.facts);
      return { res: decorate(site.res, rulesOf(bucket.cors), req.headers.get('origin'), req.method), facts };
    } catch (e) {
      return refusal(req, failureOf(e, report, where(req)), null, facts);
    }
  }

  /**
   * An S3 API request, step by step. Its facts are one object that the steps fill in, and a handler's
   * call is one literal, added to: V8 11 (Node 20) gives an object made by spreading another and adding
   * fields (`{ ...base, bucket }`) a hidden class of its own each time once the code is optimised, and
   * those classes kept requests alive past young-generation collections (~0.3 MB promoted a scavenge
   * at 15 k GETs a second, like the getter in app.ts).
   */
  async function s3(req: IncomingS3Request, hostBucket: string | null): Promise<Answer> {
    const facts = unrecognised(req.method);
    let cors: CorsScope = null;
    let payer: string | null = null;
    /** Takes the request on as `accountId`'s (its request rate, and every byte in from now on). */
    const admit = async (accountId: string): Promise<void> => {
      if (payer !== null) return;
      payer = accountId;
      await deps.accountLimits.admit(accountId);
      req.bytesIn.chargeTo((n) => deps.accountLimits.charge(accountId, n));
    };
    try {
      deps.clientLimits.admit(req.clientAddress);
      const target = resolveTarget(req.rawTarget, hostBucket);
      cors = target.bucket;
      // a signature over a body hash the request does not state: the (small) body is read to check it
      const read =
        req.method !== 'OPTIONS' && needsBodyHash(req.headers)
          ? await readAndHash(req.body, req.headers, deps.digests)
          : null;
      const auth = await authenticated(req, target, read?.sha256);
      Object.assign(facts, principalFacts(auth.principal));
      facts.bucket = target.bucket;
      facts.key = target.key;
      const op = detectOperation(req.method, target, req.headers);
      facts.operation = op;
      const entry = table[op];
      const { requestId, method, headers, protocol } = req;
      const { principal } = auth;
      const body = read ? replay(read.bytes) : req.body;
      /** The call a handler gets, taken on as `payer`'s: a literal, added to, never spread (above). */
      const callFor = (payer: string): S3Call => ({
        requestId,
        method,
        target,
        headers,
        auth,
        principal,
        body,
        protocol,
        admit: () => admit(payer),
      });

      if (entry.on === 'service') {
        cors = null;
        authorize(auth.principal, entry, null, target);
        const { accountId } = accountOf(auth);
        await deps.suspensions.gate(accountId, op); // terms: a suspended account (issue 16)
        await admit(accountId);
        const { res, facts: learned } = handled(await entry.handle(callFor(accountId)));
        return { res: metered(req, res, accountId), facts: Object.assign(facts, learned) };
      }

      const bucket = await findBucket(target.bucket!);
      if (!bucket) throw new S3Error('NoSuchBucket', undefined, { fields: { BucketName: target.bucket! } });
      // usage is the bucket owner's, whoever asks; a preflight's refusal carries no grant
      facts.accountId = bucket.accountId;
      facts.storageClass = bucket.storageClass;
      cors = entry.needs === 'preflight' ? null : bucket;
      authorize(auth.principal, entry, bucket, target);
      await deps.suspensions.gate(bucket.accountId, op); // terms: a suspended account (issue 16)
      // fair use is the bucket owner's: anonymous readers of a public bucket count against it too
      if (!authorizesItself(entry)) await admit(bucket.accountId);
      // (bucket operations get the key as sent, or '', and read it not)
      const call: ObjectCall = Object.assign(callFor(bucket.accountId), { bucket, key: target.key ?? '' });
      const { res, facts: learned } = handled(await entry.handle(call));
      if (entry.sandbox && target.style === 'path')
        res.headers.set('content-security-policy', PATH_STYLE_SANDBOX);
      const charged = metered(req, res, bucket.accountId);
      return {
        res: decorate(charged, rulesOf(bucket.cors), req.headers.get('origin'), req.method),
        facts: Object.assign(facts, learned),
      };
    } catch (e) {
      // refused before an account took the request on: the refusal is its address's to pay for
      if (payer === null && isS3Error(e)) deps.clientLimits.refused(req.clientAddress);
      // (a failure of ours is no bucket's: it goes out without a CORS grant)
      return refusal(req, failureOf(e, report, where(req)), isS3Error(e) ? cors : null, facts);
    }
  }

  /**
   * Who signed the request. A CORS preflight carries no credentials (a presigned URL's query signs the
   * real method, not OPTIONS).
   */
  function authenticated(
    req: IncomingS3Request,
    target: Target,
    bodySha256?: string,
  ): Promise<Authenticated> | Authenticated {
    if (req.method === 'OPTIONS') return { principal: { kind: 'anonymous' }, payload: { kind: 'none' } };
    return authenticate(
      {
        method: req.method,
        rawPath: target.rawPath,
        query: target.query,
        headers: req.headers,
        headerNames: req.headerNames,
        bodySha256,
        hostBucket: target.style === 'host' ? target.bucket : null,
        rawTarget: req.rawTarget,
      },
      {
        digests: deps.digests,
        region: deps.region,
        lookup: deps.lookupCredential,
        verifyToken: deps.verifyToken,
        sigv2: deps.sigv2 ?? true,
      },
    );
  }

  /** Counts the bytes a response sends against the account's bandwidth (the body in counts as it is read). */
  function metered<R extends Outgoing>(req: IncomingS3Request, res: R, accountId: string): R {
    if (req.method === 'HEAD') return res;
    deps.accountLimits.charge(accountId, Number(res.headers.get('content-length') ?? 0));
    return res;
  }

  /** The error document, with the CORS grant of the bucket in scope (if it exists). */
  async function refusal(
    req: IncomingS3Request,
    e: S3Error,
    scope: CorsScope,
    facts: RequestFacts,
  ): Promise<Answer> {
    const res = errorReply(e, req.method, req.resource(), req.requestId);
    const bucket = typeof scope === 'string' ? await findBucketQuietly(scope) : scope;
    const granted = bucket ? decorate(res, rulesOf(bucket.cors), req.headers.get('origin'), req.method) : res;
    facts.errorCode = e.code;
    return { res: granted, facts };
  }

  /** The bucket a refusal names, for its CORS grant; a failing lookup only costs the grant. */
  async function findBucketQuietly(name: string): Promise<Bucket | null> {
    try {
      return await findBucket(name);
    } catch {
      return null;
    }
  }
}

function handled(h: Handled): {
  res: Outgoing;
  facts: Pick<RequestFacts, 'retrievalBytes'>;
} {
  return h instanceof Response || h instanceof Reply ? { res: h, facts: {} } : h;
}

function where(req: IncomingS3Request): string {
  return `${req.method} ${req.resource()} (request ${req.requestId})`;
}
