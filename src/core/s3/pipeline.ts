/**
 * The S3 request pipeline, top to bottom: resolve the target → authenticate → detect the operation →
 * resolve and authorize the bucket → run the operation's handler.
 */
import { authenticate } from '../auth/authenticate.ts';
import type { ChunkStore } from '../block/store.ts';
import type { Db } from '../db/index.ts';
import type { Digests } from '../digests.ts';
import { S3Error } from '../errors.ts';
import type { Credential } from '../auth/authenticate.ts';
import { findBucket } from '../model/buckets.ts';
import type { BucketCall, ObjectCall, S3Call } from './call.ts';
import { bucketHandlers } from './handlers/buckets.ts';
import { listingHandlers } from './handlers/listing.ts';
import { multipartListHandlers } from './handlers/multipart-list.ts';
import { multipartHandlers } from './handlers/multipart.ts';
import { readHandlers } from './handlers/read.ts';
import { writeHandlers } from './handlers/write.ts';
import type { IngestLimits } from './ingest.ts';
import { type BucketOperation, OBJECT_OPERATIONS, type ObjectOperation, type Operation, detectOperation } from './operations.ts';
import { resolveTarget } from './target.ts';

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
  baseDomains: readonly string[];
  limits: IngestLimits;
  lookupCredential: (accessKeyId: string) => Promise<Credential | null>;
}

export interface IncomingS3Request {
  requestId: string;
  method: string;
  /** Path and query exactly as sent. */
  rawTarget: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
}

function isObjectOperation(op: Operation): op is ObjectOperation {
  return (OBJECT_OPERATIONS as readonly string[]).includes(op);
}

export function s3Pipeline(deps: S3Deps): (req: IncomingS3Request) => Promise<Response> {
  const handlers: HandlerTable = {
    ...bucketHandlers(deps),
    ...listingHandlers(deps),
    ...readHandlers(deps),
    ...writeHandlers(deps),
    ...multipartHandlers(deps),
    ...multipartListHandlers(deps),
  };

  return async (req) => {
    const target = resolveTarget(req.rawTarget, req.headers.get('host'), deps.baseDomains);
    const auth = await authenticate(
      { method: req.method, rawPath: target.rawPath, query: target.query, headers: req.headers },
      { digests: deps.digests, region: deps.region, lookup: deps.lookupCredential },
    );
    const op = detectOperation(req.method, target, req.headers);
    if (auth.principal.kind === 'anonymous') throw new S3Error('AccessDenied', 'Anonymous access is not allowed; sign the request.');
    const call: S3Call = { requestId: req.requestId, method: req.method, target, headers: req.headers, auth, principal: auth.principal, body: req.body };

    if (op === 'ListBuckets' || op === 'CreateBucket') return handlers[op](call);

    const bucket = await findBucket(deps.db, target.bucket!);
    if (!bucket) throw new S3Error('NoSuchBucket', undefined, { fields: { BucketName: target.bucket! } });
    if (bucket.accountId !== auth.principal.accountId) throw new S3Error('AccessDenied');
    if (isObjectOperation(op)) return handlers[op]({ ...call, bucket, key: target.key! });
    return handlers[op]({ ...call, bucket });
  };
}
