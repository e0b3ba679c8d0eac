/**
 * What a request was, for its log row and its bill. Each layer that answers a request (the S3 pipeline
 * with its handlers, the website, the JSON API, the console) hands back the facts it learned together
 * with its response; nothing writes into a shared record. `logEntry` is the one place that turns facts
 * and the measured transfer into a request_log row, so what gets logged and billed is read here.
 */
import type { LogEntry } from './request-log.ts';
import type { Outgoing } from '../http/reply.ts';

export interface RequestFacts {
  /** The S3 operation (`GetObject`), `Website GET`-style, `API GET /admin/...` or `Console GET`. */
  operation: string;
  /** root, key, presigned, bearer, operator, console or anonymous. */
  auth: string;
  /** Who pays: the bucket owner once the bucket is known, else the signed-in account. */
  accountId?: string | null;
  keyId?: string | null;
  bucket?: string | null;
  key?: string | null;
  storageClass?: string | null;
  errorCode?: string | null;
  /** Bytes a copy read out of a COLD bucket (billed as COLD retrieval). */
  retrievalBytes?: number;
}

/** A response (made, or a Reply still taking fields) together with the facts of its request. */
export interface Answer {
  res: Outgoing;
  facts: RequestFacts;
}

/** The facts of a request nobody recognised (yet). */
export function unrecognised(method: string): RequestFacts {
  return { operation: `${method} (unrecognised)`, auth: 'anonymous' };
}

/** The `auth` column for a principal: root, key, presigned, bearer or anonymous. */
export function authKind(p: { kind: string; via?: string }): string {
  if (p.kind === 'anonymous') return 'anonymous';
  if (p.via === 'bearer') return 'bearer';
  if (p.via === 'presigned') return 'presigned';
  return p.kind;
}

/** The facts a principal gives: how it signed, its account and its key. */
export function principalFacts(p: {
  kind: string;
  via?: string;
  accountId?: string;
  accessKeyId?: string;
}): Pick<RequestFacts, 'auth' | 'accountId' | 'keyId'> {
  if (p.kind === 'anonymous') return { auth: 'anonymous' };
  return { auth: authKind(p), accountId: p.accountId, keyId: p.kind === 'key' ? p.accessKeyId : null };
}

/** What the app measured about the exchange itself. */
export interface Measured {
  /** When it ended (a transfer that crosses an hour is billed in the hour it finished). */
  time: number;
  requestId: string;
  status: number;
  /** The response body failed on our side (a damaged chunk): logged as a server error. */
  failed?: boolean;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  clientIp: string | null;
  userAgent: string | null;
}

/** The request_log row of a request: the one place facts become a row. */
export function logEntry(f: RequestFacts, m: Measured): LogEntry {
  return {
    time: m.time,
    requestId: m.requestId,
    accountId: f.accountId ?? null,
    bucket: f.bucket ?? null,
    key: f.key ?? null,
    operation: f.operation,
    status: m.failed ? 500 : m.status,
    errorCode: m.failed ? 'InternalError' : (f.errorCode ?? null),
    bytesIn: m.bytesIn,
    bytesOut: m.bytesOut,
    durationMs: m.durationMs,
    auth: f.auth,
    keyId: f.keyId ?? null,
    clientIp: m.clientIp,
    userAgent: m.userAgent,
    storageClass: f.storageClass ?? null,
    retrievalBytes: f.retrievalBytes ?? 0,
  };
}

/**
 * How the API and the console (Hono apps of their own, reached through `fetch`) hand their facts back
 * with their response: in this header, which the app reads and removes before the response leaves.
 */
export const FACTS_HEADER = 'x-qoima-facts';

/** The FACTS_HEADER value that carries `facts`. */
export function encodeFacts(facts: RequestFacts): string {
  return encodeURIComponent(JSON.stringify(facts));
}

/** The facts a sub-app attached to its response (removing them from it), or null. */
export function takeFacts(res: Response): RequestFacts | null {
  const text = res.headers.get(FACTS_HEADER);
  if (text === null) return null;
  res.headers.delete(FACTS_HEADER);
  return JSON.parse(decodeURIComponent(text)) as RequestFacts;
}
