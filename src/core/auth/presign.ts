/** Making SigV4 presigned URLs (the server side of what `aws s3 presign` does), for the API and console. */
import type { Digests } from '../digests.ts';
import {
  ALGORITHM,
  type QueryParam,
  canonicalRequest,
  cachedSigningKey,
  formatAmzDate,
  scopeString,
  sign,
  stringToSign,
  uriEncode,
} from './sigv4.ts';

export interface PresignRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE';
  bucket: string;
  key: string;
  expiresInSeconds: number;
  /** Extra query parameters to sign (response-content-disposition and friends). */
  query?: Record<string, string>;
}

export function presignUrl(
  digests: Digests,
  cred: { accessKeyId: string; secret: string },
  region: string,
  endpoint: string,
  r: PresignRequest,
  now = Date.now(),
): string {
  const url = new URL(endpoint);
  const amzDate = formatAmzDate(now);
  const scope = { date: amzDate.slice(0, 8), region, service: 's3' };
  const query: QueryParam[] = [
    ...Object.entries(r.query ?? {}).map(([name, value]) => ({ name, value })),
    { name: 'X-Amz-Algorithm', value: ALGORITHM },
    { name: 'X-Amz-Credential', value: `${cred.accessKeyId}/${scopeString(scope)}` },
    { name: 'X-Amz-Date', value: amzDate },
    { name: 'X-Amz-Expires', value: String(r.expiresInSeconds) },
    { name: 'X-Amz-SignedHeaders', value: 'host' },
  ];
  const rawPath = `/${uriEncode(r.bucket)}/${uriEncode(r.key, true)}`;
  const canonical = canonicalRequest({
    method: r.method,
    rawPath,
    query,
    headers: new Headers({ host: url.host }),
    signedHeaders: ['host'],
    payloadHash: 'UNSIGNED-PAYLOAD',
  });
  const signature = sign(
    digests,
    cachedSigningKey(digests, cred.secret, scope),
    stringToSign(digests, amzDate, scope, canonical),
  );
  const qs = [...query, { name: 'X-Amz-Signature', value: signature }]
    .map((p) => `${uriEncode(p.name)}=${uriEncode(p.value)}`)
    .join('&');
  return `${url.protocol}//${url.host}${rawPath}?${qs}`;
}
