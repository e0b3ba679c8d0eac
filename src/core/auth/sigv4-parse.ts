/**
 * Reading SigV4 credentials out of a request, in the Authorization header or a presigned URL's query:
 * their form, credential scope, region and time are checked here; the signature in authenticate.ts.
 */
import { S3Error } from '../errors.ts';
import { ALGORITHM, type QueryParam, type Scope, formatAmzDate, parseAmzDate } from './sigv4.ts';

export const MAX_SKEW_MS = 15 * 60 * 1000;
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export interface Parsed {
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

export function parseHeaderAuth(auth: string, headers: Headers, region: string): Parsed {
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

export function queryValue(query: QueryParam[], name: string): string | undefined {
  return query.find((p) => p.name === name)?.value;
}

export function parsePresigned(query: QueryParam[], region: string): Parsed & { expires: number } {
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
