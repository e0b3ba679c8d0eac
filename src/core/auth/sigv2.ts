/**
 * AWS Signature Version 2, the pure parts: the string to sign (method, Content-MD5, Content-Type, Date
 * or Expires, the x-amz-* headers, the canonicalized resource with its sub-resources) and its
 * HMAC-SHA1, from Web Crypto. boto3 still signs presigned URLs and POST forms this way by default.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
 *
 * Header values are Latin-1 byte strings (as every runtime's Headers hold them) and the string to sign
 * is hashed as UTF-8 of those characters: that is what botocore does with a raw high byte it sends.
 */
import { type Digests, latin1Bytes, timingSafeEqual, toBase64, utf8 } from '../digests.ts';
import { S3Error } from '../errors.ts';
import { type QueryParam, parseAmzDate } from './sigv4.ts';
import { MAX_PRESIGN_SECONDS, MAX_SKEW_MS } from './sigv4-parse.ts';

/** The query parameters that are part of the canonicalized resource (botocore's list). */
const SUB_RESOURCES = new Set([
  'accelerate',
  'acl',
  'analytics',
  'cors',
  'defaultObjectAcl',
  'delete',
  'inventory',
  'lifecycle',
  'location',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'partNumber',
  'policy',
  'replication',
  'requestPayment',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'restore',
  'select',
  'select-type',
  'storageClass',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
]);

/** Where a request points, as V2 signs it: the path-style path as sent, even on a bucket's own host. */
export interface V2Resource {
  /** The bucket named by the Host (virtual-hosted style), or null when the path names it. */
  hostBucket: string | null;
  rawPath: string;
  query: QueryParam[];
}

export function canonicalResource(r: V2Resource): string {
  const path = r.hostBucket === null ? r.rawPath : `/${r.hostBucket}${r.rawPath}`;
  const subs = r.query
    .filter((p) => SUB_RESOURCES.has(p.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p) => (p.value === '' ? p.name : `${p.name}=${p.value}`));
  return subs.length ? `${path}?${subs.join('&')}` : path;
}

/** The x-amz-* headers, lower-cased and sorted, one `name:value` line each. */
function amzHeaders(headers: Headers): string {
  const lines: string[] = [];
  for (const [name, value] of headers) {
    if (!name.startsWith('x-amz-')) continue;
    lines.push(`${name}:${value.trim()}\n`);
  }
  return lines.sort().join('');
}

/**
 * The string to sign. `when` is the Date header for header auth (empty when x-amz-date is sent, which
 * is signed among the x-amz-* headers instead) and the Expires parameter for a presigned URL.
 */
export function stringToSignV2(method: string, headers: Headers, when: string, resource: string): string {
  const std = (name: string) => (headers.get(name) ?? '').trim();
  const standard = `${method}\n${std('content-md5')}\n${std('content-type')}\n${when}\n`;
  return `${standard}${amzHeaders(headers)}${resource}`;
}

/** Base64 of HMAC-SHA1(secret, text): the secret as UTF-8, the text as its bytes or (asText) UTF-8. */
export function signV2(digests: Digests, secret: string, text: string, asText = true): string {
  return toBase64(digests.hmacSha1(utf8(secret), asText ? text : latin1Bytes(text)));
}

/** Compares a V2 signature as sent; a `+` that arrived unencoded in a query reads as a space. */
export function sameV2Signature(expected: string, sent: string): boolean {
  return timingSafeEqual(expected, sent.replace(/ /g, '+'));
}

/** `AWS <AccessKeyId>:<Signature>` */
export function parseV2Header(auth: string): { accessKeyId: string; signature: string } {
  const rest = auth.slice(4).trim();
  const colon = rest.lastIndexOf(':');
  if (colon <= 0 || colon === rest.length - 1)
    throw new S3Error(
      'InvalidArgument',
      'The Authorization header must be of the form AWS <key>:<signature>.',
      {
        fields: { ArgumentName: 'Authorization' },
      },
    );
  return { accessKeyId: rest.slice(0, colon), signature: rest.slice(colon + 1) };
}

/** Whether a query carries V2 presigned credentials. */
export function isV2Query(query: QueryParam[]): boolean {
  return query.some((p) => p.name === 'AWSAccessKeyId' || p.name === 'Signature');
}

/** A V2 presigned URL's parameters; Expires is when it stops working, in epoch seconds. */
export function parseV2Query(query: QueryParam[]): {
  accessKeyId: string;
  signature: string;
  expires: string;
} {
  const need = (name: string) => {
    const v = query.find((p) => p.name === name)?.value;
    if (v === undefined || v === '')
      throw new S3Error(
        'AuthorizationQueryParametersError',
        `Query-string authentication requires the ${name} parameter.`,
      );
    return v;
  };
  const out = { accessKeyId: need('AWSAccessKeyId'), signature: need('Signature'), expires: need('Expires') };
  if (!/^\d{1,12}$/.test(out.expires))
    throw new S3Error('AuthorizationQueryParametersError', 'Expires must be a time in seconds since 1970.');
  return out;
}

export interface V2Request {
  method: string;
  rawPath: string;
  query: QueryParam[];
  headers: Headers;
  hostBucket?: string | null;
}

/**
 * Checks a V2 signature in the Authorization header (`auth`) or the query, with the same time limits
 * as SigV4: a signed Date within the allowed skew, a presigned URL unexpired and valid for at most a
 * week. `lookup` resolves the key (and refuses one that is revoked or expired) as for SigV4.
 */
export async function authenticateV2<C extends { secret: string }>(
  req: V2Request,
  ctx: { lookup: (accessKeyId: string) => Promise<C | null>; now: number; digests: Digests },
  auth: string | null,
): Promise<{ credential: C; accessKeyId: string; via: 'header' | 'presigned' }> {
  const { now } = ctx;
  let accessKeyId: string;
  let signature: string;
  let when: string;
  if (auth !== null) {
    ({ accessKeyId, signature } = parseV2Header(auth));
    const amzDate = req.headers.get('x-amz-date');
    const text = amzDate ?? req.headers.get('date');
    const time = text === null ? NaN : (parseAmzDate(text) ?? Date.parse(text));
    if (Number.isNaN(time))
      throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header.');
    if (Math.abs(now - time) > MAX_SKEW_MS)
      throw new S3Error('RequestTimeTooSkewed', undefined, {
        fields: {
          RequestTime: text!,
          ServerTime: new Date(now).toISOString(),
          MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
        },
      });
    when = amzDate !== null ? '' : text!;
  } else {
    let expires: string;
    ({ accessKeyId, signature, expires } = parseV2Query(req.query));
    const at = Number(expires) * 1000;
    if (now > at)
      throw new S3Error('AccessDenied', 'Request has expired', {
        fields: { Expires: new Date(at).toISOString(), ServerTime: new Date(now).toISOString() },
      });
    if (at - now > MAX_PRESIGN_SECONDS * 1000 + MAX_SKEW_MS)
      throw new S3Error(
        'AuthorizationQueryParametersError',
        `Expires must be less than a week (${MAX_PRESIGN_SECONDS} seconds) from now.`,
      );
    when = expires;
  }
  const credential = await ctx.lookup(accessKeyId);
  if (!credential)
    throw new S3Error('InvalidAccessKeyId', undefined, { fields: { AWSAccessKeyId: accessKeyId } });
  const resource = canonicalResource({
    hostBucket: req.hostBucket ?? null,
    rawPath: req.rawPath,
    query: req.query,
  });
  const toSign = stringToSignV2(req.method, req.headers, when, resource);
  // header values beyond ASCII: signed as the UTF-8 of their Latin-1 reading (botocore with raw
  // Latin-1 bytes) or as the bytes sent (a client that sends and signs UTF-8)
  const matches = (asText: boolean) =>
    sameV2Signature(signV2(ctx.digests, credential.secret, toSign, asText), signature);
  if (!matches(true) && !(/[^\x00-\x7f]/.test(toSign) && matches(false)))
    throw new S3Error('SignatureDoesNotMatch', undefined, {
      fields: { AWSAccessKeyId: accessKeyId, StringToSign: toSign },
    });
  return { credential, accessKeyId, via: auth !== null ? 'header' : 'presigned' };
}
