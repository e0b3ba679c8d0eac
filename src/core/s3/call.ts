/** What a handler receives: the resolved request, nothing more. Dependencies come via closures. */
import type { Authenticated, Principal } from '../auth/authenticate.ts';
import type { RequestFacts } from '../log/facts.ts';
import { type Outgoing, type Reply, textReply } from '../http/reply.ts';
import type { Bucket } from '../model/buckets.ts';
import type { Target } from './target.ts';

export interface S3Call {
  requestId: string;
  method: string;
  target: Target;
  headers: Headers;
  auth: Authenticated;
  /** Who asks; anonymous only where access.ts allows it (accountOf() where an account is needed). */
  principal: Principal;
  body: AsyncIterable<Uint8Array> | null;
  /** How the client reached us (links we hand back use the same). */
  protocol: 'http' | 'https';
  /**
   * Takes the request on as the bucket owner's (its request rate, its bandwidth), or refuses it with
   * SlowDown. The pipeline does so once it has authorized the request; a handler that authorizes for
   * itself (forms, preflights) calls it once it has. Later calls do nothing.
   */
  admit: () => Promise<void>;
}

/**
 * What a handler answers: its response, or the response with facts only the handler knows for the log
 * row (the bytes a copy read out of a COLD bucket).
 */
export type Handled = Outgoing | { res: Outgoing; facts: Pick<RequestFacts, 'retrievalBytes'> };

/** A call on a bucket that exists and that the principal may use. */
export interface BucketCall extends S3Call {
  bucket: Bucket;
}

/** A call on an object key inside such a bucket. */
export interface ObjectCall extends BucketCall {
  key: string;
}

export function queryParam(call: S3Call, name: string): string | undefined {
  return call.target.query.find((p) => p.name === name)?.value;
}

/** An XML document, sent whole (textReply). */
export function xmlResponse(xml: string, status = 200, headers: Record<string, string> = {}): Reply {
  return textReply(status, xml, 'application/xml', headers);
}
