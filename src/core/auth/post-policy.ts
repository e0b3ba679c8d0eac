/**
 * S3 POST policies (browser upload forms, SigV4, or SigV2 where allowed: `AWSAccessKeyId` and
 * `signature`, the base64 HMAC-SHA1 of the policy, as boto3 signs by default): the form carries a base64
 * JSON policy and its signature; every condition must hold and every form field must be covered by a
 * condition.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 */
import type { Credential } from './authenticate.ts';
import {
  ALGORITHM,
  type Scope,
  cachedSigningKey,
  formatAmzDate,
  parseAmzDate,
  scopeString,
  sign,
} from './sigv4.ts';
import { sameV2Signature, signV2 } from './sigv2.ts';
import { type Digests, fromBase64, timingSafeEqual, toBase64, utf8 } from '../digests.ts';
import { S3Error } from '../errors.ts';

type Condition =
  | { kind: 'eq'; field: string; value: string }
  | { kind: 'starts-with'; field: string; prefix: string }
  | { kind: 'content-length-range'; min: number; max: number };

export interface VerifiedPolicy {
  accessKeyId: string;
  credential: Credential;
  /** Bytes the file may have, when the policy says. */
  lengthRange: { min: number; max: number } | null;
}

/** Fields a policy need not cover (S3's lists for SigV4 and SigV2 forms). */
const UNCOVERED = new Set(['policy', 'x-amz-signature', 'file']);
const UNCOVERED_V2 = new Set(['policy', 'signature', 'awsaccesskeyid', 'file']);

function invalid(why: string): S3Error {
  return new S3Error('AccessDenied', `Invalid according to Policy: ${why}`);
}

function parseConditions(raw: unknown): Condition[] {
  if (!Array.isArray(raw))
    throw new S3Error('InvalidPolicyDocument', 'Invalid Policy: the conditions must be an array.');
  return raw.flatMap((c): Condition[] => {
    if (Array.isArray(c)) {
      const [op, a, b] = c as unknown[];
      const opName = String(op).toLowerCase();
      if (opName === 'content-length-range') {
        const min = Number(a);
        const max = Number(b);
        if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min)
          throw new S3Error('InvalidPolicyDocument', 'Invalid Policy: bad content-length-range.');
        return [{ kind: 'content-length-range', min, max }];
      }
      if (
        (opName !== 'eq' && opName !== 'starts-with') ||
        typeof a !== 'string' ||
        !a.startsWith('$') ||
        typeof b !== 'string'
      ) {
        throw new S3Error('InvalidPolicyDocument', `Invalid Policy: unknown condition ${JSON.stringify(c)}.`);
      }
      const field = a.slice(1).toLowerCase();
      return [opName === 'eq' ? { kind: 'eq', field, value: b } : { kind: 'starts-with', field, prefix: b }];
    }
    if (c && typeof c === 'object') {
      return Object.entries(c as Record<string, unknown>).map(([k, v]) => ({
        kind: 'eq',
        field: k.toLowerCase(),
        value: String(v),
      }));
    }
    throw new S3Error('InvalidPolicyDocument', `Invalid Policy: unknown condition ${JSON.stringify(c)}.`);
  });
}

/**
 * Checks the signature and every condition of a form's policy against its fields (all but the
 * file's length, which the upload enforces while it streams).
 */
export async function verifyPostPolicy(
  fields: Map<string, string>,
  bucketName: string,
  ctx: {
    digests: Digests;
    region: string;
    lookup: (id: string) => Promise<Credential | null>;
    now?: number;
    /** Whether SigV2 forms are accepted (QOIMA_SIGV2). */
    sigv2?: boolean;
  },
): Promise<VerifiedPolicy> {
  const policyB64 = fieldOf(fields, 'policy');
  const v2 = !fields.has('x-amz-algorithm') && fields.has('awsaccesskeyid');
  const { accessKeyId, credential } = v2
    ? await checkV2(fields, policyB64, ctx)
    : await checkV4(fields, policyB64, ctx);
  const policyBytes = fromBase64(policyB64.replace(/\s/g, ''));
  let policy: { expiration?: unknown; conditions?: unknown };
  try {
    policy = JSON.parse(new TextDecoder().decode(policyBytes ?? new Uint8Array())) as typeof policy;
    if (!policy || typeof policy !== 'object' || Array.isArray(policy)) throw new Error('not an object');
  } catch {
    throw new S3Error(
      'InvalidPolicyDocument',
      'Invalid Policy: the policy is not a base64-encoded JSON object.',
    );
  }
  const expiration = typeof policy.expiration === 'string' ? Date.parse(policy.expiration) : NaN;
  if (Number.isNaN(expiration))
    throw new S3Error('InvalidPolicyDocument', 'Invalid Policy: an expiration is required.');
  if ((ctx.now ?? Date.now()) > expiration) throw invalid('Policy expired.');

  const conditions = parseConditions(policy.conditions);
  const covered = new Set<string>();
  let lengthRange: VerifiedPolicy['lengthRange'] = null;
  const valueOf = (field: string) =>
    field === 'bucket' ? (fields.get('bucket') ?? bucketName) : fields.get(field);
  for (const c of conditions) {
    if (c.kind === 'content-length-range') {
      lengthRange = { min: c.min, max: c.max };
      continue;
    }
    covered.add(c.field);
    const v = valueOf(c.field);
    if (c.field === 'bucket' && v !== bucketName)
      throw invalid('Policy Condition failed: ["eq", "$bucket", ...]');
    if (c.kind === 'eq' && v !== c.value)
      throw invalid(`Policy Condition failed: ["eq", "$${c.field}", "${c.value}"]`);
    if (c.kind === 'starts-with') {
      // a list field (Content-Type may hold several values) must have each value start with the prefix
      const values = c.field === 'content-type' && v !== undefined ? v.split(',').map((x) => x.trim()) : [v];
      if (values.some((x) => x === undefined || !x.startsWith(c.prefix)))
        throw invalid(`Policy Condition failed: ["starts-with", "$${c.field}", "${c.prefix}"]`);
    }
  }
  for (const name of fields.keys()) {
    if ((v2 ? UNCOVERED_V2 : UNCOVERED).has(name) || name.startsWith('x-ignore-') || covered.has(name))
      continue;
    throw invalid(`Extra input fields: ${name}`);
  }
  return { accessKeyId, credential, lengthRange };
}

type PolicyContext = Parameters<typeof verifyPostPolicy>[2];

function fieldOf(fields: Map<string, string>, name: string): string {
  const v = fields.get(name);
  if (v === undefined)
    throw new S3Error('InvalidArgument', `Bucket POST must contain a field named '${name}'.`, {
      fields: { ArgumentName: name },
    });
  return v;
}

/** A SigV4 form: x-amz-algorithm, x-amz-credential, x-amz-date and x-amz-signature. */
async function checkV4(fields: Map<string, string>, policyB64: string, ctx: PolicyContext) {
  const need = (name: string) => fieldOf(fields, name);
  if (need('x-amz-algorithm') !== ALGORITHM)
    throw new S3Error('InvalidArgument', `x-amz-algorithm must be ${ALGORITHM}.`);
  const credentialText = need('x-amz-credential');
  const amzDate = need('x-amz-date');
  const signature = need('x-amz-signature');
  const parts = credentialText.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || parts[3] !== 's3')
    throw new S3Error('InvalidArgument', 'x-amz-credential is malformed.');
  const [accessKeyId, date, region] = parts as [string, string, string, string, string];
  if (region !== ctx.region && region !== 'auto')
    throw new S3Error(
      'AuthorizationQueryParametersError',
      `The region '${region}' is wrong; expecting '${ctx.region}'.`,
    );
  if (parseAmzDate(amzDate) === null || amzDate.slice(0, 8) !== date)
    throw new S3Error('InvalidArgument', 'x-amz-date is malformed or does not match the credential.');

  const credential = await ctx.lookup(accessKeyId);
  if (!credential)
    throw new S3Error('InvalidAccessKeyId', undefined, { fields: { AWSAccessKeyId: accessKeyId } });
  const scope: Scope = { date, region, service: 's3' };
  const expected = sign(ctx.digests, cachedSigningKey(ctx.digests, credential.secret, scope), policyB64);
  if (!timingSafeEqual(expected, signature.toLowerCase())) throw new S3Error('SignatureDoesNotMatch');

  return { accessKeyId, credential };
}

/** A SigV2 form: AWSAccessKeyId and signature, base64 HMAC-SHA1 of the policy with the secret. */
async function checkV2(fields: Map<string, string>, policyB64: string, ctx: PolicyContext) {
  if (!ctx.sigv2)
    throw new S3Error(
      'InvalidRequest',
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    );
  const accessKeyId = fieldOf(fields, 'awsaccesskeyid');
  const signature = fieldOf(fields, 'signature');
  const credential = await ctx.lookup(accessKeyId);
  if (!credential)
    throw new S3Error('InvalidAccessKeyId', undefined, { fields: { AWSAccessKeyId: accessKeyId } });
  if (!sameV2Signature(signV2(ctx.digests, credential.secret, policyB64), signature))
    throw new S3Error('SignatureDoesNotMatch');
  return { accessKeyId, credential };
}

export interface PresignedPostOptions {
  bucket: string;
  /** The key, possibly with `${filename}`; or use keyPrefix to allow any key under a prefix. */
  key?: string;
  keyPrefix?: string;
  maxSize?: number;
  minSize?: number;
  expiresInSeconds: number;
  contentTypePrefix?: string;
  successActionStatus?: '200' | '201' | '204';
  successActionRedirect?: string;
  /** Further fields to fix exactly (e.g. Cache-Control, x-amz-meta-*). */
  fields?: Record<string, string>;
}

/** Builds the fields of an upload form, as the AWS SDK's createPresignedPost does. */
export function createPresignedPost(
  digests: Digests,
  cred: { accessKeyId: string; secret: string },
  region: string,
  endpoint: string,
  opts: PresignedPostOptions,
  now = Date.now(),
): { url: string; fields: Record<string, string> } {
  const amzDate = formatAmzDate(now);
  const scope: Scope = { date: amzDate.slice(0, 8), region, service: 's3' };
  const credential = `${cred.accessKeyId}/${scopeString(scope)}`;
  const fields: Record<string, string> = { ...(opts.fields ?? {}) };
  const conditions: unknown[] = [{ bucket: opts.bucket }];
  for (const [k, v] of Object.entries(fields)) conditions.push({ [k]: v });
  if (opts.key !== undefined) {
    fields.key = opts.key;
    conditions.push(
      opts.key.includes('${filename}')
        ? ['starts-with', '$key', opts.key.slice(0, opts.key.indexOf('${filename}'))]
        : { key: opts.key },
    );
  } else {
    fields.key = `${opts.keyPrefix ?? ''}\${filename}`;
    conditions.push(['starts-with', '$key', opts.keyPrefix ?? '']);
  }
  if (opts.contentTypePrefix !== undefined)
    conditions.push(['starts-with', '$Content-Type', opts.contentTypePrefix]);
  if (opts.maxSize !== undefined) conditions.push(['content-length-range', opts.minSize ?? 0, opts.maxSize]);
  if (opts.successActionStatus) {
    fields.success_action_status = opts.successActionStatus;
    conditions.push({ success_action_status: opts.successActionStatus });
  }
  if (opts.successActionRedirect) {
    fields.success_action_redirect = opts.successActionRedirect;
    conditions.push({ success_action_redirect: opts.successActionRedirect });
  }
  Object.assign(fields, {
    'x-amz-algorithm': ALGORITHM,
    'x-amz-credential': credential,
    'x-amz-date': amzDate,
  });
  conditions.push(
    { 'x-amz-algorithm': ALGORITHM },
    { 'x-amz-credential': credential },
    { 'x-amz-date': amzDate },
  );
  const policy = toBase64(
    utf8(
      JSON.stringify({ expiration: new Date(now + opts.expiresInSeconds * 1000).toISOString(), conditions }),
    ),
  );
  fields.policy = policy;
  fields['x-amz-signature'] = sign(digests, cachedSigningKey(digests, cred.secret, scope), policy);
  return { url: `${endpoint.replace(/\/$/, '')}/${opts.bucket}`, fields };
}
