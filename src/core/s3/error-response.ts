/**
 * An S3 error as S3 renders it: an XML `<Error>` document (no body for HEAD), with the error's headers.
 * Made as a Reply sent whole (textReply): as a Response of text it went through the adapter's stream
 * path (a 404 cost 2.5 times a 4 KiB GET).
 */
import type { S3Error } from '../errors.ts';
import { Fields, Reply, textReply, toResponse } from '../http/reply.ts';
import { leaf, plainDocument } from '../xml.ts';

export function errorReply(e: S3Error, method: string, resource: string, requestId: string): Reply {
  if (method === 'HEAD') {
    const fields = new Fields();
    for (const [name, value] of Object.entries(e.headers)) fields.set(name, value);
    return new Reply(e.status, null, fields);
  }
  const document = plainDocument(
    'Error',
    leaf('Code', e.code),
    leaf('Message', e.message),
    ...Object.entries(e.fields).map(([k, v]) => leaf(k, v)),
    leaf('Resource', resource),
    leaf('RequestId', requestId),
  );
  return textReply(e.status, document, 'application/xml', e.headers);
}

/** The same, as a Response (for the runtime entries' own refusals). */
export function errorResponse(e: S3Error, method: string, resource: string, requestId: string): Response {
  return toResponse(errorReply(e, method, resource, requestId));
}
