/** Clients for tests: the real AWS SDK, and raw SigV4-signed fetch for what the SDK will not send. */
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { type Creds, type RunningServer, type StartOptions, removeDir, startServer } from './server.ts';

export const REGION = 'us-east-1';

export function s3(endpoint: string, creds: Creds, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    credentials: creds,
    forcePathStyle: true,
    maxAttempts: 1,
    ...extra,
  });
}

/**
 * For one test file: before its tests, a server with the root user's SDK client and `buckets` created,
 * handed to `ready` (which keeps them and may set up more); after them, the server stopped and removed.
 */
export function serverPerFile(
  buckets: string[],
  ready: (s: { srv: RunningServer; client: S3Client }) => unknown,
  opts: StartOptions = {},
): void {
  let started: RunningServer | undefined;
  beforeAll(async () => {
    const srv = (started = await startServer(opts));
    const client = s3(srv.endpoint, srv.creds);
    for (const Bucket of buckets) await client.send(new CreateBucketCommand({ Bucket }));
    await ready({ srv, client });
  });
  afterAll(async () => {
    if (!started) return;
    await started.stop();
    await removeDir(started.dataDir);
  });
}

export function signer(creds: Creds): SignatureV4 {
  return new SignatureV4({
    credentials: creds,
    region: REGION,
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: true,
  });
}

export interface RawRequest {
  method?: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Uint8Array | ReadableStream<Uint8Array>;
  /** Sign with this payload hash instead of the body's SHA-256 (e.g. UNSIGNED-PAYLOAD). */
  payloadHash?: string;
  signingDate?: Date;
}

/** A request signed with SigV4 in the Authorization header: its URL and the headers to send (no Host). */
export async function signRequest(
  endpoint: string,
  creds: Creds | null,
  r: RawRequest,
): Promise<{ url: string; method: string; headers: Record<string, string> }> {
  const url = new URL(endpoint);
  const headers: Record<string, string> = { host: url.host, ...(r.headers ?? {}) };
  if (r.payloadHash) headers['x-amz-content-sha256'] = r.payloadHash;
  let req = new HttpRequest({
    method: r.method ?? 'GET',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: r.path,
    query: r.query ?? {},
    headers,
    body: r.body instanceof ReadableStream ? undefined : r.body,
  });
  if (creds) req = (await signer(creds).sign(req, { signingDate: r.signingDate })) as HttpRequest;
  const qs = new URLSearchParams(req.query as Record<string, string>).toString().replace(/\+/g, '%20');
  const sent: Record<string, string> = { ...(req.headers as Record<string, string>) };
  delete sent.host;
  return { url: `${url.origin}${req.path}${qs ? `?${qs}` : ''}`, method: req.method, headers: sent };
}

/** Builds a request signed with SigV4 in the Authorization header and sends it with fetch. */
export async function signedFetch(endpoint: string, creds: Creds | null, r: RawRequest): Promise<Response> {
  const { url, method, headers } = await signRequest(endpoint, creds, r);
  return fetch(url, {
    method,
    headers,
    body: r.body as BodyInit | undefined,
    ...(r.body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
}

/**
 * A presigned URL made by the S3 presigner of the AWS SDK (as getSignedUrl and `aws s3 presign` make them).
 */
export async function presign(
  endpoint: string,
  creds: Creds,
  r: {
    method?: string;
    path: string;
    expiresIn: number;
    signingDate?: Date;
    query?: Record<string, string>;
    headers?: Record<string, string>;
  },
): Promise<string> {
  const url = new URL(endpoint);
  const req = new HttpRequest({
    method: r.method ?? 'GET',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: r.path,
    query: r.query ?? {},
    headers: { host: url.host, ...(r.headers ?? {}) },
  });
  const presigner = new S3RequestPresigner({
    credentials: creds,
    region: REGION,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await presigner.presign(req, { expiresIn: r.expiresIn, signingDate: r.signingDate });
  const qs = Object.entries(signed.query as Record<string, string>)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return `${url.origin}${signed.path}?${qs}`;
}

export async function errorCode(res: Response): Promise<string | undefined> {
  const text = await res.text();
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}

/** The answer has this status and this S3 error code. */
export async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(await errorCode(res)).toBe(code);
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** An MD5 in hex: a single-part object's ETag (without the quotes). */
export const md5hex = (b: Uint8Array | string) => createHash('md5').update(b).digest('hex');

/** The whole body of a GetObject answer. */
export const bytesOf = async (r: { Body?: { transformToByteArray(): Promise<Uint8Array> } }) =>
  Buffer.from(await r.Body!.transformToByteArray());

/** Pieces for SigV4 signed by hand (what no SDK will send): HMAC-SHA256, and SHA-256 in hex. */
export function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
export const sha256hex = (d: Buffer | string) => createHash('sha256').update(d).digest('hex');
/** The SHA-256 of an empty payload. */
export const EMPTY = sha256hex('');
