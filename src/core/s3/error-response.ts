/** An S3 error as S3 renders it: an XML `<Error>` document (no body for HEAD), with the error's headers. */
import type { S3Error } from '../errors.ts';
import { leaf, plainDocument } from '../xml.ts';

export function errorResponse(e: S3Error, method: string, resource: string, requestId: string): Response {
  const headers = new Headers(e.headers);
  if (method === 'HEAD') return new Response(null, { status: e.status, headers });
  headers.set('content-type', 'application/xml');
  const body = plainDocument(
    'Error',
    leaf('Code', e.code),
    leaf('Message', e.message),
    ...Object.entries(e.fields).map(([k, v]) => leaf(k, v)),
    leaf('Resource', resource),
    leaf('RequestId', requestId),
  );
  return new Response(body, { status: e.status, headers });
}
