/**
 * What a SignatureDoesNotMatch says: which part of the request, changed, would have matched the
 * signature (the payload hash, or the Host header a proxy rewrote), else what the signature was
 * checked against. Only failed requests come here; the alternatives tried are a handful of HMACs.
 * The fields (CanonicalRequest, StringToSign, SignatureProvided) are the ones S3 returns.
 */
import type { Digests } from '../digests.ts';
import { timingSafeEqual } from '../digests.ts';
import { S3Error } from '../errors.ts';
import { EMPTY_SHA256, type QueryParam, type Scope, canonicalRequest, sign, stringToSign } from './sigv4.ts';

export interface Mismatch {
  digests: Digests;
  key: Uint8Array;
  request: { method: string; rawPath: string; query: QueryParam[]; headers: Headers; bodySha256?: string };
  presigned: boolean;
  accessKeyId: string;
  amzDate: string;
  scope: Scope;
  signedHeaders: string[];
  signature: string;
  payloadHash: string;
  canonical: string;
}

function describeHash(hash: string, bodySha256: string | undefined): string {
  if (hash === EMPTY_SHA256) return 'the SHA-256 of an empty body';
  if (hash === bodySha256) return 'the SHA-256 of the body sent';
  if (/^[0-9a-f]{64}$/.test(hash)) return 'a SHA-256';
  return hash;
}

function whereHashCameFrom(m: Mismatch): string {
  if (m.presigned)
    return m.request.query.some((p) => p.name === 'X-Amz-Content-Sha256')
      ? 'from X-Amz-Content-Sha256 in the query'
      : 'UNSIGNED-PAYLOAD, as for any presigned URL';
  if (m.request.headers.has('x-amz-content-sha256')) return 'from the x-amz-content-sha256 header';
  if (m.request.bodySha256 !== undefined) return 'no x-amz-content-sha256 header: the body sent was hashed';
  return 'no x-amz-content-sha256 header and no body';
}

function matches(m: Mismatch, headers: Headers, payloadHash: string): boolean {
  const canonical = canonicalRequest({
    ...m.request,
    omitQuery: m.presigned ? 'X-Amz-Signature' : undefined,
    headers,
    signedHeaders: m.signedHeaders,
    payloadHash,
  });
  const expected = sign(m.digests, m.key, stringToSign(m.digests, m.amzDate, m.scope, canonical));
  return timingSafeEqual(expected, m.signature.toLowerCase());
}

/** The first explanation that makes the signature match, or null. */
function diagnose(m: Mismatch): string | null {
  const { headers, bodySha256 } = m.request;
  const hashes = [bodySha256, EMPTY_SHA256, 'UNSIGNED-PAYLOAD'].filter(
    (h): h is string => h !== undefined && h !== m.payloadHash,
  );
  for (const h of hashes) {
    if (!matches(m, headers, h)) continue;
    const stated = m.presigned ? 'X-Amz-Content-Sha256' : 'x-amz-content-sha256';
    const advice =
      h === EMPTY_SHA256 && bodySha256 !== undefined
        ? `it was signed as if it had no body (curl --aws-sigv4 -T does this): state the body's hash ` +
          `in ${stated}, or UNSIGNED-PAYLOAD`
        : `send ${stated}: ${h}`;
    return (
      `The payload hash did not match: the request was signed for ${h} (${describeHash(h, bodySha256)}), ` +
      `but it was checked against ${m.payloadHash} (${whereHashCameFrom(m)}); ${advice}.`
    );
  }
  const host = headers.get('host');
  if (host !== null && m.signedHeaders.includes('host')) {
    const bare = host.replace(/:\d+$/, '');
    for (const other of new Set([bare, `${bare}:80`, `${bare}:443`])) {
      if (other === host) continue;
      const changed = new Headers(headers);
      changed.set('host', other);
      if (matches(m, changed, m.payloadHash))
        return (
          `The host header did not match: the request was signed for host '${other}' but arrived ` +
          `with '${host}' (sign the address the server is reached at, or let the proxy keep Host).`
        );
    }
  }
  return null;
}

export function signatureMismatch(m: Mismatch): S3Error {
  const base =
    'The request signature we calculated does not match the signature you provided. ' +
    'Check your key and signing method.';
  const why =
    diagnose(m) ??
    `It was checked with payload hash ${m.payloadHash} (${whereHashCameFrom(m)}) and the signed headers ` +
      `${m.signedHeaders.join(';')}: the secret key is wrong, or one of those changed on the way.`;
  const toSign = stringToSign(m.digests, m.amzDate, m.scope, m.canonical);
  return new S3Error('SignatureDoesNotMatch', `${base} ${why}`, {
    fields: {
      AWSAccessKeyId: m.accessKeyId,
      StringToSign: toSign,
      SignatureProvided: m.signature,
      CanonicalRequest: m.canonical,
    },
  });
}
