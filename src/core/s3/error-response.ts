/**
 * An S3 error as S3 renders it: an XML `<Error>` document (no body for HEAD), with the error's headers.
 * Made as a Reply whose length is known, so a refusal goes out as one write like any small body; as a
 * Response of text it went through the adapter's stream path (a 404 cost 2.5 times a 4 KiB GET).
 */
import { utf8 } from '../digests.ts';
import type { S3Error } from '../errors.ts';
import { Fields, Reply, toResponse } from '../http/reply.ts';
import { leaf, plainDocument } from '../xml.ts';

export function errorReply(e: S3Error, method: string, resource: string, requestId: string): Reply {
  const fields = new Fields();
  for (const [name, value] of Object.entries(e.headers)) fields.set(name, value);
  if (method === 'HEAD') return new Reply(e.status, null, fields);
  const body = utf8(
    plainDocument(
      'Error',
      leaf('Code', e.code),
      leaf('Message', e.message),
      ...Object.entries(e.fields).map(([k, v]) => leaf(k, v)),
      leaf('Resource', resource),
      leaf('RequestId', requestId),
    ),
  ) as Uint8Array<ArrayBuffer>;
  fields.set('content-type', 'application/xml');
  fields.set('content-length', String(body.byteLength));
  return new Reply(e.status, body, fields);
}

/** The same, as a Response (for the runtime entries' own refusals). */
export function errorResponse(e: S3Error, method: string, resource: string, requestId: string): Response {
  return toResponse(errorReply(e, method, resource, requestId));
}
