/**
 * Who is asking: SigV4 in the Authorization header, SigV4 in the query (presigned URLs), or nobody.
 * Produces the principal and how the body must be verified; it never reads the body itself.
 */
import { S3Error } from '../errors.ts';
import { isFieldName } from '../http-fields.ts';
import { type Digests, timingSafeEqual } from '../digests.ts';
import type { ChunkSigning } from './chunked.ts';
import { signatureMismatch } from './mismatch.ts';
import type { Scope as KeyScope } from './scopes.ts';
import { MAX_CLOCK_SKEW_SECONDS, type TokenClaims } from './tokens.ts';
import {
  ALGORITHM,
  EMPTY_SHA256,
  type QueryParam,
  type Scope,
  canonicalRequest,
  formatAmzDate,
  parseAmzDate,
  cachedSigningKey,
  sign,
  stringToSign,
} from './sigv4.ts';

export const MAX_SKEW_MS = 15 * 60 * 1000;
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** A signed-in caller: an account's root user (scopes null: everything) or one of its access keys. */
export interface AccountPrincipal {
  kind: 'root' | 'key';
  accountId: string;
  /** The S3 access key id, or the key id of a bearer token. */
  accessKeyId: string;
  via: 'header' | 'presigned' | 'bearer';
  scopes: KeyScope[] | null;
  /** When the key stops working (keys only). */
  expiresAt?: number;
}

export type Principal = { kind: 'anonymous' } | AccountPrincipal;

/** How the request body proves itself. */
export type PayloadCheck =
  | { kind: 'none' }
  | { kind: 'sha256'; hex: string }
  | { kind: 'chunked'; signing: ChunkSigning | null; trailer: boolean };

export interface Authenticated {
  principal: Principal;
  payload: PayloadCheck;
}

export interface Credential {
  accountId: string;
  kind: 'root' | 'key';
  secret: string;
  scopes: KeyScope[] | null;
  notBefore?: number;
  expiresAt?: number;
  revoked?: boolean;
}

export interface AuthContext {
  digests: Digests;
  region: string;
  lookup: (accessKeyId: string) => Promise<Credential | null>;
  /** Verifies an `Authorization: Bearer` access key (a JWT); absent where bearer keys are not accepted. */
  verifyToken?: (token: string) => Promise<TokenClaims>;
  now?: number;
}

/** Refuses a key that is revoked, not valid yet, or expired (a minute of clock skew allowed). */
/** Whether a request carries credentials (an Authorization header or a presigned query), before any check. */
export function isSigned(headers: Headers, target: string): boolean {
  return headers.has('authorization') || /[?&]X-Amz-(Signature|Credential)=/i.test(target);
}

export function checkKeyTimes(
  c: { revoked?: boolean; notBefore?: number; expiresAt?: number },
  now: number,
): void {
  if (c.revoked) throw new S3Error('AccessDenied', 'Access Denied: the access key has been revoked.');
  if (c.notBefore !== undefined && c.notBefore > now + MAX_CLOCK_SKEW_SECONDS * 1000)
    throw new S3Error('AccessDenied', 'Access Denied: the access key is not valid yet.');
  if (c.expiresAt !== undefined && c.expiresAt < now - MAX_CLOCK_SKEW_SECONDS * 1000)
    throw new S3Error('AccessDenied', 'Access Denied: the access key has expired.');
}

export interface SignedRequest {
  method: string;
  rawPath: string;
  query: QueryParam[];
  headers: Headers;
  /**
   * The SHA-256 of the body as it arrived, read by the caller because the Authorization header's
   * signature covers it and no x-amz-content-sha256 states it (see body-hash.ts).
   */
  bodySha256?: string;
}

interface Parsed {
  accessKeyId: string;
  scope: Scope;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  time: number;
}

function parseCredential(
  value: string,
  errorCode: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError',
) {
  const parts = value.split('/');
  if (parts.length < 5 || parts[parts.length - 1] !== 'aws4_request') {
    throw new S3Error(
      errorCode,
      `The credential '${value}' is not of the form <key>/<date>/<region>/s3/aws4_request.`,
    );
  }
  const [service, region, date] = [
    parts[parts.length - 2]!,
    parts[parts.length - 3]!,
    parts[parts.length - 4]!,
  ];
  const accessKeyId = parts.slice(0, parts.length - 4).join('/');
  if (service !== 's3')
    throw new S3Error(errorCode, `The credential scope names service '${service}'; expecting 's3'.`);
  if (!/^\d{8}$/.test(date))
    throw new S3Error(errorCode, `The credential date '${date}' is not of the form YYYYMMDD.`);
  return { accessKeyId, scope: { date, region, service } };
}

function checkRegion(
  scope: Scope,
  region: string,
  errorCode: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError',
) {
  if (scope.region !== region && scope.region !== 'auto') {
    throw new S3Error(
      errorCode,
      `The authorization header is malformed; the region '${scope.region}' is wrong; expecting '${region}'.`,
      {
        fields: { Region: region },
      },
    );
  }
}

function parseHeaderAuth(auth: string, headers: Headers, region: string): Parsed {
  if (!auth.startsWith(`${ALGORITHM} `)) {
    throw new S3Error(
      'InvalidRequest',
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    );
  }
  const fields = new Map<string, string>();
  for (const part of auth.slice(ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      'The authorization header needs Credential, SignedHeaders and Signature.',
    );
  }
  const { accessKeyId, scope } = parseCredential(credential, 'AuthorizationHeaderMalformed');
  checkRegion(scope, region, 'AuthorizationHeaderMalformed');
  // The request's date is x-amz-date, or the Date header when x-amz-date is absent (never a fallback
  // from a bad x-amz-date); however it came, the key must have been derived for that day.
  const amzHeader = headers.get('x-amz-date');
  const dateHeader = headers.get('date');
  const time = amzHeader !== null ? parseAmzDate(amzHeader) : dateHeader ? Date.parse(dateHeader) : null;
  if (time === null || Number.isNaN(time)) {
    throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header.');
  }
  const amzDate = amzHeader ?? formatAmzDate(time);
  if (amzDate.slice(0, 8) !== scope.date) {
    const via = amzHeader !== null ? 'x-amz-date' : 'the Date header';
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      'The authorization header is malformed; Invalid credential date. ' +
        `Date is not the same as X-Amz-Date: the credential is for ${scope.date}, the request (${via}) for ${amzDate}.`,
    );
  }
  return { accessKeyId, scope, signedHeaders: signedHeaders.split(';'), signature, amzDate, time };
}

function queryValue(query: QueryParam[], name: string): string | undefined {
  return query.find((p) => p.name === name)?.value;
}

function parsePresigned(query: QueryParam[], region: string): Parsed & { expires: number } {
  const need = (name: string) => {
    const v = queryValue(query, name);
    if (v === undefined || v === '') {
      throw new S3Error(
        'AuthorizationQueryParametersError',
        `Query-string authentication version 4 requires the ${name} parameter.`,
      );
    }
    return v;
  };
  if (need('X-Amz-Algorithm') !== ALGORITHM) {
    throw new S3Error('AuthorizationQueryParametersError', `X-Amz-Algorithm only supports "${ALGORITHM}".`);
  }
  const { accessKeyId, scope } = parseCredential(
    need('X-Amz-Credential'),
    'AuthorizationQueryParametersError',
  );
  checkRegion(scope, region, 'AuthorizationQueryParametersError');
  const amzDate = need('X-Amz-Date');
  const time = parseAmzDate(amzDate);
  if (time === null)
    throw new S3Error(
      'AuthorizationQueryParametersError',
      "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\".",
    );
  if (amzDate.slice(0, 8) !== scope.date) {
    throw new S3Error(
      'AuthorizationQueryParametersError',
      `The credential date '${scope.date}' does not match X-Amz-Date '${amzDate}'.`,
    );
  }
  const expiresText = need('X-Amz-Expires');
  const expires = /^\d+$/.test(expiresText) ? Number(expiresText) : NaN;
  if (!(expires >= 1))
    throw new S3Error(
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be a positive number of seconds.',
    );
  if (expires > MAX_PRESIGN_SECONDS) {
    throw new S3Error(
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be less than a week (in seconds) that is 604800.',
    );
  }
  return {
    accessKeyId,
    scope,
    signedHeaders: need('X-Amz-SignedHeaders').split(';'),
    signature: need('X-Amz-Signature'),
    amzDate,
    time,
    expires,
  };
}

function payloadCheck(
  hashHeader: string | null,
  parsed: Parsed,
  key: Uint8Array,
  digests: Digests,
  bodySha256: string | undefined,
): { check: PayloadCheck; hash: string } {
  const value = hashHeader ?? bodySha256 ?? EMPTY_SHA256;
  const signing = (signedTrailer: boolean): ChunkSigning => ({
    digests,
    key,
    amzDate: parsed.amzDate,
    scope: parsed.scope,
    seedSignature: parsed.signature,
    signedTrailer,
  });
  switch (value) {
    case 'UNSIGNED-PAYLOAD':
      return { check: { kind: 'none' }, hash: value };
    case 'STREAMING-UNSIGNED-PAYLOAD-TRAILER':
      return { check: { kind: 'chunked', signing: null, trailer: true }, hash: value };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD':
      return { check: { kind: 'chunked', signing: signing(false), trailer: false }, hash: value };
    case 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER':
      return { check: { kind: 'chunked', signing: signing(true), trailer: true }, hash: value };
    default:
      if (!/^[0-9a-f]{64}$/.test(value)) {
        throw new S3Error(
          'InvalidArgument',
          `x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* mode or a SHA-256 in hex.`,
          {
            fields: { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value },
          },
        );
      }
      return { check: { kind: 'sha256', hex: value }, hash: value };
  }
}

async function bearer(token: string, ctx: AuthContext): Promise<Authenticated> {
  if (!ctx.verifyToken) throw new S3Error('AccessDenied', 'Bearer access keys are not accepted here.');
  const claims = await ctx.verifyToken(token);
  return {
    principal: {
      kind: 'key',
      accountId: claims.accountId,
      accessKeyId: claims.keyId,
      via: 'bearer',
      scopes: claims.scopes,
      expiresAt: claims.expiresAt,
    },
    payload: { kind: 'none' },
  };
}

/** Headers a presigned request may carry unsigned: they only ask the server to verify the body. */
const MAY_ADD_TO_PRESIGNED = /^x-amz-(content-sha256|checksum-[a-z0-9]+|sdk-checksum-algorithm)$/;

export async function authenticate(req: SignedRequest, ctx: AuthContext): Promise<Authenticated> {
  const now = ctx.now ?? Date.now();
  const auth = req.headers.get('authorization');
  if (auth && /^Bearer\s/i.test(auth)) return bearer(auth.replace(/^Bearer\s+/i, '').trim(), ctx);
  const presigned =
    queryValue(req.query, 'X-Amz-Signature') !== undefined ||
    queryValue(req.query, 'X-Amz-Credential') !== undefined;
  if (auth && presigned)
    throw new S3Error(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.',
    );
  if (!auth && !presigned) return { principal: { kind: 'anonymous' }, payload: { kind: 'none' } };

  const parsed = auth
    ? parseHeaderAuth(auth, req.headers, ctx.region)
    : parsePresigned(req.query, ctx.region);
  if (!parsed.signedHeaders.every(isFieldName)) {
    const code = auth ? 'AuthorizationHeaderMalformed' : 'AuthorizationQueryParametersError';
    throw new S3Error(code, 'SignedHeaders must be a list of header names.');
  }
  if (!parsed.signedHeaders.includes('host')) {
    throw new S3Error(
      auth ? 'AuthorizationHeaderMalformed' : 'AuthorizationQueryParametersError',
      'The host header must be signed.',
    );
  }
  if (auth) {
    if (Math.abs(now - parsed.time) > MAX_SKEW_MS) {
      throw new S3Error('RequestTimeTooSkewed', undefined, {
        fields: {
          RequestTime: parsed.amzDate,
          ServerTime: new Date(now).toISOString(),
          MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
        },
      });
    }
  } else {
    const { expires } = parsed as Parsed & { expires: number };
    if (parsed.time - now > MAX_SKEW_MS) throw new S3Error('AccessDenied', 'Request is not valid yet');
    if (now > parsed.time + expires * 1000) {
      throw new S3Error('AccessDenied', 'Request has expired', {
        fields: {
          'X-Amz-Expires': String(expires),
          Expires: new Date(parsed.time + expires * 1000).toISOString(),
          ServerTime: new Date(now).toISOString(),
        },
      });
    }
  }

  // every x-amz-* header changes what a request does (x-amz-copy-source turns a PUT into a copy), so it
  // must be signed, in a presigned URL too; only integrity checks, which can but refuse, may be added
  const unsigned = [...req.headers.keys()].filter(
    (h) =>
      h.startsWith('x-amz-') && !parsed.signedHeaders.includes(h) && !(!auth && MAY_ADD_TO_PRESIGNED.test(h)),
  );
  if (unsigned.length)
    throw new S3Error(
      'AccessDenied',
      `There were headers present in the request which were not signed: ${unsigned.join(', ')}`,
    );

  const credential = await ctx.lookup(parsed.accessKeyId);
  if (!credential)
    throw new S3Error('InvalidAccessKeyId', undefined, { fields: { AWSAccessKeyId: parsed.accessKeyId } });
  checkKeyTimes(credential, now);
  const key = cachedSigningKey(ctx.digests, credential.secret, parsed.scope);

  const { check, hash } = auth
    ? payloadCheck(req.headers.get('x-amz-content-sha256'), parsed, key, ctx.digests, req.bodySha256)
    : {
        check: { kind: 'none' } as PayloadCheck,
        hash: queryValue(req.query, 'X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
      };

  const canonical = canonicalRequest({
    method: req.method,
    rawPath: req.rawPath,
    query: req.query,
    omitQuery: auth ? undefined : 'X-Amz-Signature',
    headers: req.headers,
    signedHeaders: parsed.signedHeaders,
    payloadHash: hash,
  });
  const expected = sign(ctx.digests, key, stringToSign(ctx.digests, parsed.amzDate, parsed.scope, canonical));
  if (!timingSafeEqual(expected, parsed.signature.toLowerCase())) {
    throw signatureMismatch({
      digests: ctx.digests,
      key,
      request: req,
      presigned: !auth,
      accessKeyId: parsed.accessKeyId,
      amzDate: parsed.amzDate,
      scope: parsed.scope,
      signedHeaders: parsed.signedHeaders,
      signature: parsed.signature,
      payloadHash: hash,
      canonical,
    });
  }
  return {
    principal: {
      kind: credential.kind,
      accountId: credential.accountId,
      accessKeyId: parsed.accessKeyId,
      via: auth ? 'header' : 'presigned',
      scopes: credential.scopes,
      expiresAt: credential.expiresAt,
    },
    payload: check,
  };
}
