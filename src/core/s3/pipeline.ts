/**
 * The S3 request pipeline, top to bottom: route the Host (service endpoint, virtual-hosted bucket,
 * website, custom domain) → resolve the target → authenticate → detect the operation → resolve and
 * authorize the bucket → admit it on the owner's fair use → run the operation's handler → add the
 * bucket's CORS grant.
 *
 * Who pays: a request is the bucket owner's (its request rate, its bandwidth for every byte read and
 * sent) only once it is authorized; forms and preflights, which authorize themselves, are admitted by
 * their handler. Until then a refusal is charged to the client's address, which is turned away with
 * SlowDown when it has too many.
 */
import { type Authenticated, type Credential, authenticate, isSigned } from '../auth/authenticate.ts';
import type { TokenClaims } from '../auth/tokens.ts';
import type { ChunkStore } from '../block/store.ts';
import type { Db } from '../db/index.ts';
import type { Digests } from '../digests.ts';
import { S3Error, isS3Error } from '../errors.ts';
import { type Bucket, findBucket } from '../model/buckets.ts';
import { suspensionGate } from '../model/terms-suspension.ts';
import { accountOf, authorize, authorizesItself } from './access.ts';
import type { BucketCall, ObjectCall, S3Call } from './call.ts';
import { decorate, rulesOf } from './cors.ts';
import { bucketConfigHandlers } from './handlers/bucket-config.ts';
import { bucketHandlers } from './handlers/buckets.ts';
import { listingHandlers } from './handlers/listing.ts';
import { multipartListHandlers } from './handlers/multipart-list.ts';
import { multipartHandlers } from './handlers/multipart.ts';
import { postObjectHandlers } from './handlers/post-object.ts';
import { readHandlers } from './handlers/read.ts';
import { writeHandlers } from './handlers/write.ts';
import type { HostConfig, HostRoute } from './hosts.ts';
import type { AccountLimits, ClientLimits } from './fairuse.ts';
import type { IngestLimits } from './ingest.ts';
import type { InboundMeter } from '../log/meter.ts';
import { type RequestRecord, authKind } from '../log/request-log.ts';
import {
  type BucketOperation,
  OBJECT_OPERATIONS,
  type ObjectOperation,
  type Operation,
  detectOperation,
} from './operations.ts';
import { resolveTarget } from './target.ts';
import { htmlError, serveWebsite } from './website.ts';

type Handler<C> = (call: C) => Promise<Response>;
type ServiceOperation = 'ListBuckets' | 'CreateBucket';

/** One handler per operation; a missing one is a compile error. */
export type HandlerTable = { [K in ServiceOperation]: Handler<S3Call> } & {
  [K in Exclude<BucketOperation, 'CreateBucket'>]: Handler<BucketCall>;
} & { [K in ObjectOperation]: Handler<ObjectCall> };

export interface S3Deps {
  db: Db;
  store: ChunkStore;
  digests: Digests;
  nodeId: string;
  region: string;
  hosts: HostConfig;
  limits: IngestLimits;
  lookupCredential: (accessKeyId: string) => Promise<Credential | null>;
  verifyToken?: (token: string) => Promise<TokenClaims>;
  accountLimits: AccountLimits;
  clientLimits: ClientLimits;
}

export interface IncomingS3Request {
  requestId: string;
  method: string;
  /** Path and query exactly as sent. */
  rawTarget: string;
  headers: Headers;
  /** Counted by `bytesIn` as it is read. */
  body: ReadableStream<Uint8Array> | null;
  bytesIn: InboundMeter;
  /** The client's address as the runtime knows it. */
  clientAddress: string | undefined;
  protocol: 'http' | 'https';
  /** Filled in as the request is understood, for its log row. */
  record: RequestRecord;
}

/** An S3 error that happened on a bucket, so the error response can carry the bucket's CORS grant. */
export class BucketScopedError extends Error {
  constructor(
    readonly error: S3Error,
    readonly bucket: Bucket,
  ) {
    super(error.message);
  }
}

/**
 * Path-style object responses come from the service's own origin, the one that also serves /console.
 * A customer's HTML must not run as that origin (it could read the console's pages and act as whoever
 * is signed in), so it is sandboxed into an opaque origin: its scripts and forms still work, but it is
 * nobody's origin. Virtual-hosted, website and custom-domain responses are origins of their own.
 */
export const PATH_STYLE_SANDBOX =
  'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

function isObjectOperation(op: Operation): op is ObjectOperation {
  return (OBJECT_OPERATIONS as readonly string[]).includes(op);
}

export function s3Pipeline(deps: S3Deps): (req: IncomingS3Request, route: HostRoute) => Promise<Response> {
  const handlers: HandlerTable = {
    ...bucketHandlers(deps),
    ...bucketConfigHandlers(deps),
    ...listingHandlers(deps),
    ...readHandlers(deps),
    ...writeHandlers(deps),
    ...postObjectHandlers(deps),
    ...multipartHandlers(deps),
    ...multipartListHandlers(deps),
  };

  /** Counts the bytes a response sends against the account's bandwidth (the body in counts as it is read). */
  const metered = (req: IncomingS3Request, res: Response, accountId: string): Response => {
    if (req.method === 'HEAD') return res;
    deps.accountLimits.charge(accountId, Number(res.headers.get('content-length') ?? 0));
    return res;
  };

  /**
   * A refusal before the bucket was looked up (an expired link, a bad signature) still carries the
   * bucket's CORS grant, so a browser script can read why instead of seeing a bare CORS failure.
   */
  const scoped = async <T>(bucketName: string | null, step: () => Promise<T> | T): Promise<T> => {
    try {
      return await step();
    } catch (e) {
      const bucket = isS3Error(e) && bucketName !== null ? await findBucket(deps.db, bucketName) : null;
      throw bucket ? new BucketScopedError(e as S3Error, bucket) : e;
    }
  };

  type Admit = (accountId: string) => Promise<void>;

  type Outcome = { res: Response; bucket: Bucket | null };

  const understood = async (
    req: IncomingS3Request,
    hostBucket: string | null,
    admit: Admit,
  ): Promise<Outcome> => {
    const target = resolveTarget(req.rawTarget, hostBucket);
    // a CORS preflight carries no credentials of its own (a presigned URL's query signs the real method)
    const auth: Authenticated =
      req.method === 'OPTIONS'
        ? { principal: { kind: 'anonymous' }, payload: { kind: 'none' } }
        : await scoped(target.bucket, () =>
            authenticate(
              { method: req.method, rawPath: target.rawPath, query: target.query, headers: req.headers },
              {
                digests: deps.digests,
                region: deps.region,
                lookup: deps.lookupCredential,
                verifyToken: deps.verifyToken,
              },
            ),
          );
    const rec = req.record;
    rec.auth = authKind(auth.principal);
    if (auth.principal.kind !== 'anonymous') {
      rec.accountId = auth.principal.accountId;
      if (auth.principal.kind === 'key') rec.keyId = auth.principal.accessKeyId;
    }
    rec.bucket = target.bucket;
    rec.key = target.key;
    const op = await scoped(target.bucket, () => detectOperation(req.method, target, req.headers));
    rec.operation = op;
    const base = {
      requestId: req.requestId,
      method: req.method,
      target,
      headers: req.headers,
      auth,
      principal: auth.principal,
      body: req.body,
      protocol: req.protocol,
      record: req.record,
    };
    if (op === 'ListBuckets' || op === 'CreateBucket') {
      authorize(auth.principal, op, null, target);
      const { accountId } = accountOf(base);
      await suspensionGate(deps.db)(accountId, op); // terms: a suspended account (issue 16)
      await admit(accountId);
      const res = await handlers[op]({ ...base, admit: () => admit(accountId) });
      return { res: metered(req, res, accountId), bucket: null };
    }
    const bucket = await findBucket(deps.db, target.bucket!);
    if (!bucket) throw new S3Error('NoSuchBucket', undefined, { fields: { BucketName: target.bucket! } });
    // usage is the bucket owner's, whoever asks
    rec.accountId = bucket.accountId;
    rec.storageClass = bucket.storageClass;
    try {
      authorize(auth.principal, op, bucket, target);
      await suspensionGate(deps.db)(bucket.accountId, op); // terms: a suspended account (issue 16)
      // fair use is the bucket owner's: anonymous readers of a public bucket count against it too
      if (!authorizesItself(op)) await admit(bucket.accountId);
      const call: BucketCall = { ...base, bucket, admit: () => admit(bucket.accountId) };
      const res = isObjectOperation(op)
        ? await handlers[op]({ ...call, key: target.key! })
        : await handlers[op](call);
      if (target.style === 'path' && (op === 'GetObject' || op === 'HeadObject'))
        res.headers.set('content-security-policy', PATH_STYLE_SANDBOX);
      return { res: metered(req, res, bucket.accountId), bucket };
    } catch (e) {
      if (isS3Error(e) && op !== 'CorsPreflight') throw new BucketScopedError(e, bucket);
      throw e;
    }
  };

  const run = async (req: IncomingS3Request, hostBucket: string | null): Promise<Outcome> => {
    let payer: string | null = null;
    const admit: Admit = async (accountId) => {
      if (payer !== null) return;
      payer = accountId;
      await deps.accountLimits.admit(accountId);
      req.bytesIn.chargeTo((n) => deps.accountLimits.charge(accountId, n));
    };
    try {
      deps.clientLimits.admit(req.clientAddress);
      return await understood(req, hostBucket, admit);
    } catch (e) {
      // refused before an account took the request on: the refusal is its address's to pay for
      const refusal = isS3Error(e) || e instanceof BucketScopedError;
      if (payer === null && refusal) deps.clientLimits.refused(req.clientAddress);
      throw e;
    }
  };

  return async (req, route) => {
    if (route.kind === 'bucket' && route.via !== 'virtual') {
      const bucket = await findBucket(deps.db, route.bucket);
      // a website answers anonymous reads; preflights, and on a custom domain also signed requests and
      // uploads (presigned PUTs, POST forms), are the bucket's S3 API as on its virtual host
      const s3Request =
        req.method === 'OPTIONS' ||
        (route.via !== 'website' &&
          (!['GET', 'HEAD'].includes(req.method) || isSigned(req.headers, req.rawTarget)));
      if (bucket && (route.via === 'website' || bucket.website) && !s3Request) {
        Object.assign(req.record, {
          operation: `Website${req.method}`,
          auth: 'anonymous',
          accountId: bucket.accountId,
          bucket: bucket.name,
          storageClass: bucket.storageClass,
        });
        const res = await serveWebsite(
          deps,
          {
            method: req.method,
            headers: req.headers,
            rawTarget: req.rawTarget,
            host: req.headers.get('host') ?? '',
            protocol: req.protocol,
            requestId: req.requestId,
            record: req.record,
          },
          bucket,
        );
        return decorate(res, rulesOf(bucket.cors), req.headers.get('origin'), req.method);
      }
      if (!bucket && route.via === 'website')
        return htmlError(
          new S3Error('NoSuchBucket', undefined, { fields: { BucketName: route.bucket } }),
          req.requestId,
        );
    }
    const { res, bucket } = await run(req, route.kind === 'bucket' ? route.bucket : null);
    return bucket ? decorate(res, rulesOf(bucket.cors), req.headers.get('origin'), req.method) : res;
  };
}
