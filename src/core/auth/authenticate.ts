/**
 * Who is asking: SigV4 (or, where the operator allows it, SigV2) in the Authorization header or in the
 * query (presigned URLs), a bearer access key, or nobody. Both signature versions resolve the same
 * keys and give the same principal, so scopes and key lifetimes apply alike. Produces the principal
 * and how the body must be verified; it never reads the body itself. A presigned link verified once
 * is not hashed and signed again while its inputs are the same (verified-links.ts).
 */
import { S3Error } from '../errors.ts';
import { isFieldName } from '../http-fields.ts';
import { type Digests, timingSafeEqual } from '../digests.ts';
import type { ChunkSigning } from './chunked.ts';
import { signatureMismatch } from './mismatch.ts';
import type { Scope as KeyScope } from './scopes.ts';
import { MAX_CLOCK_SKEW_SECONDS, type TokenClaims } from './tokens.ts';
import {
  EMPTY_SHA256,
  type QueryParam,
  canonicalRequest,
  cachedSigningKey,
  sign,
  stringToSign,
} from './sigv4.ts';
import {
  MAX_PRESIGN_SECONDS,
  MAX_SKEW_MS,
  type Parsed,
  parseHeaderAuth,
  parsePresigned,
  queryValue,
} from './sigv4-parse.ts';
import { authenticateV2, isV2Query } from './sigv2.ts';
import { VerifiedLinks } from './verified-links.ts';

export { MAX_PRESIGN_SECONDS, MAX_SKEW_MS };

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
  /** Whether Signature Version 2 is accepted (QOIMA_SIGV2); absent: no. */
  sigv2?: boolean;
}

/** Refuses a key that is revoked, not valid yet, or expired (a minute of clock skew allowed). */
/** Whether a request carries credentials (an Authorization header or a presigned query), before any check. */
export function isSigned(headers: Headers, target: string): boolean {
  return (
    headers.has('authorization') ||
    /[?&](X-Amz-Signature|X-Amz-Credential|AWSAccessKeyId|Signature)=/i.test(target)
  );
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
   * The header names as sent, any case, where the runtime has them cheaper than `headers.keys()`, the
   * default (walking Node's lazily read headers builds a whole Headers object: ~27 µs of a presigned
   * GET with a browser's fifteen headers).
   */
  headerNames?: () => Iterable<string> | undefined;
  /**
   * The SHA-256 of the body as it arrived, read by the caller because the Authorization header's
   * signature covers it and no x-amz-content-sha256 states it (see body-hash.ts).
   */
  bodySha256?: string;
  /** The bucket the Host named (virtual-hosted style): SigV2 signs the path with it in front. */
  hostBucket?: string | null;
  /**
   * Path and query exactly as sent, which `rawPath` and `query` were parsed from: a presigned link
   * verified once is known by it (verified-links.ts).
   */
  rawTarget?: string;
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

const HIGH_BYTES = /[^\x00-\x7f]/;

const V4_ONLY =
  'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.';

/** A SigV2 caller: no payload hash is signed, but an x-amz-content-sha256 sent along is still checked. */
function v2Result(
  v: { credential: Credential; accessKeyId: string; via: 'header' | 'presigned' },
  headers: Headers,
): Authenticated {
  const hash = headers.get('x-amz-content-sha256');
  return {
    principal: {
      kind: v.credential.kind,
      accountId: v.credential.accountId,
      accessKeyId: v.accessKeyId,
      via: v.via,
      scopes: v.credential.scopes,
      expiresAt: v.credential.expiresAt,
    },
    payload: hash && /^[0-9a-f]{64}$/.test(hash) ? { kind: 'sha256', hex: hash } : { kind: 'none' },
  };
}

/** Headers a presigned request may carry unsigned: they only ask the server to verify the body. */
const MAY_ADD_TO_PRESIGNED = /^x-amz-(content-sha256|checksum-[a-z0-9]+|sdk-checksum-algorithm)$/;

/** Presigned links this process has verified (verified-links.ts). */
const verifiedLinks = new VerifiedLinks();

export async function authenticate(req: SignedRequest, ctx: AuthContext): Promise<Authenticated> {
  const now = ctx.now ?? Date.now();
  const auth = req.headers.get('authorization');
  if (auth && /^Bearer\s/i.test(auth)) return bearer(auth.replace(/^Bearer\s+/i, '').trim(), ctx);
  const presigned =
    queryValue(req.query, 'X-Amz-Signature') !== undefined ||
    queryValue(req.query, 'X-Amz-Credential') !== undefined;
  const v2Query = isV2Query(req.query);
  if ([auth !== null, presigned, v2Query].filter(Boolean).length > 1)
    throw new S3Error(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query ' +
        'string parameter or the Authorization header should be specified.',
    );
  if (!auth && !presigned && !v2Query) return { principal: { kind: 'anonymous' }, payload: { kind: 'none' } };
  if (v2Query || (auth && /^AWS /.test(auth))) {
    if (!ctx.sigv2) throw new S3Error('InvalidRequest', V4_ONLY);
    const lookup = async (id: string) => {
      const c = await ctx.lookup(id);
      if (c) checkKeyTimes(c, now);
      return c;
    };
    return v2Result(await authenticateV2(req, { lookup, now, digests: ctx.digests }, auth), req.headers);
  }

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
  const unsigned = new Set<string>();
  for (const name of req.headerNames?.() ?? req.headers.keys()) {
    const h = name.toLowerCase();
    if (
      h.startsWith('x-amz-') &&
      !parsed.signedHeaders.includes(h) &&
      !(!auth && MAY_ADD_TO_PRESIGNED.test(h))
    )
      unsigned.add(h);
  }
  if (unsigned.size)
    throw new S3Error(
      'AccessDenied',
      `There were headers present in the request which were not signed: ${[...unsigned].join(', ')}`,
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

  const linkId =
    !auth && req.rawTarget !== undefined
      ? VerifiedLinks.id(
          req.method,
          req.rawTarget,
          parsed.signedHeaders.map((h) => req.headers.get(h)),
        )
      : null;
  if (linkId === null || !verifiedLinks.has(linkId, key)) {
    verifySignature(req, ctx, { auth, parsed, key, hash });
    if (linkId !== null) verifiedLinks.add(linkId, key);
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

/** The SigV4 signature's check: SignatureDoesNotMatch (with what was signed) unless it matches. */
function verifySignature(
  req: SignedRequest,
  ctx: AuthContext,
  { auth, parsed, key, hash }: { auth: string | null; parsed: Parsed; key: Uint8Array; hash: string },
): void {
  const canonical = canonicalRequest({
    method: req.method,
    rawPath: req.rawPath,
    query: req.query,
    omitQuery: auth ? undefined : 'X-Amz-Signature',
    headers: req.headers,
    signedHeaders: parsed.signedHeaders,
    payloadHash: hash,
  });
  // header values beyond ASCII are signed as the bytes sent (urllib3 sends and signs UTF-8), or as the
  // UTF-8 of the Latin-1 text those bytes read as (a client that sends Latin-1 but signs text)
  const matches = (asText: boolean) => {
    const toSign = stringToSign(ctx.digests, parsed.amzDate, parsed.scope, canonical, asText);
    return timingSafeEqual(sign(ctx.digests, key, toSign), parsed.signature.toLowerCase());
  };
  if (!matches(false) && !(HIGH_BYTES.test(canonical) && matches(true))) {
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
}
