/**
 * The chunk store over the S3 API: one object per chunk, `chunks/<sha256>`, in a bucket of any
 * S3-compatible service (Ceph RGW, AWS S3, R2, MinIO, Garage), signed with SigV4 (aws4fetch) over
 * fetch, so the same store runs on Node, Deno and Workers. The bucket is Qoima's alone.
 *
 * - Keys are flat under `chunks/`, as the Workers R2 store has them (one bucket can serve both). Object
 *   stores have no directories to keep small: a listing costs one request per 1000 keys whatever the
 *   layout, and backends spread keys by their own hashing (RGW's index shards) or by key ranges,
 *   which random hex fills evenly.
 * - `put` is one PUT signed with x-amz-content-sha256 = the chunk's name: the backend hashes what it
 *   received and refuses it (XAmzContentSHA256Mismatch) unless it is the chunk, so bytes damaged on
 *   the way never land. A PUT is atomic: the object is whole or absent, never a prefix.
 * - `sync` has nothing to do: the backend answers 200 only once the object is durable by its own rules
 *   (RGW once its OSDs acknowledged every replica, S3 and R2 once stored redundantly), and there is no
 *   later flush to ask for.
 * - `get` reads at most the size it is told, as the file store does, and never returns a body the
 *   network cut short as if it were the chunk; the caller checks the bytes against the hash anyway.
 * - Every call is idempotent (a chunk's bytes never change, so a repeated PUT writes the same object)
 *   and is retried on 5xx, 429, time-outs and broken connections, with backoff, within one deadline per
 *   call (`timeoutMs`, plus time to move the body at MIN_BYTES_PER_SECOND). Past it the call fails
 *   with ChunkBackendUnavailableError (503 with Retry-After). Other refusals (403: wrong keys or clock;
 *   404 on the bucket) are configuration errors, thrown as plain errors; `check()` finds them at start.
 * - A PUT given up on may still land later; its chunk row already exists (the writer references a chunk
 *   before storing it), so the collector removes such bytes like any unreferenced chunk.
 */
import { AwsClient } from 'aws4fetch';
import { children, parseXml, text } from '../xml.ts';
import { ChunkBackendUnavailableError, type ChunkStore } from './store.ts';

export interface S3ChunkStoreOptions {
  /** The service's URL, e.g. `https://s3.example.com` or `http://127.0.0.1:7480`. */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `<endpoint>/<bucket>/<key>` (default), else `<bucket>.<endpoint host>/<key>`. */
  pathStyle?: boolean;
  /** Deadline of one call, all tries included, before the time its body needs. */
  timeoutMs?: number;
  /** Tries per call at most. */
  attempts?: number;
}

const PREFIX = 'chunks/';
const HASH = /^[0-9a-f]{64}$/;
/** The slowest transfer a call waits for: its deadline grows by a second per this many bytes. */
const MIN_BYTES_PER_SECOND = 1024 * 1024;
const FIRST_BACKOFF_MS = 100;
/** Refusals of a PUT that mean the body was damaged or stalled on the way, not that it is unwelcome. */
const RESEND = new Set(['XAmzContentSHA256Mismatch', 'BadDigest', 'IncompleteBody', 'RequestTimeout']);
const MAX_BACKOFF_MS = 1_000;

/** A failure worth another try: the backend is down, slow, overloaded, or the bytes were hurt on the way. */
class Transient extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

const unreachable = (e: unknown): never => {
  const name = (e as Error)?.name;
  const timedOut = name === 'TimeoutError' || name === 'AbortError';
  const why = timedOut ? 'timed out' : String((e as Error)?.cause ?? e);
  throw new Transient(why, undefined, { cause: e });
};

/** The `<Code>` of an S3 error body (cut short: only the code is wanted), or the status alone. */
async function errorCode(res: Response): Promise<string> {
  const body = await res.text().catch(() => '');
  return /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1] ?? `HTTP ${res.status}`;
}

async function refused(what: string, res: Response): Promise<Error> {
  return new Error(`chunk backend refused ${what}: ${res.status} ${await errorCode(res)}`);
}

/** Seconds from a Retry-After header in seconds, kept between 1 and 60; undefined if none. */
function retryAfter(res: Response): number | undefined {
  const s = Number(res.headers.get('retry-after') ?? NaN);
  return Number.isFinite(s) ? Math.min(60, Math.max(1, Math.ceil(s))) : undefined;
}

/**
 * The body, at most `limit` bytes of it (all of it when no limit is known). A body that ends before
 * its declared length was cut off on the way: Transient, never a short chunk.
 */
async function readBody(res: Response, limit: number | undefined): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const want = limit ?? declared;
  if (!res.body) return new Uint8Array(0);
  if (!Number.isSafeInteger(want)) return new Uint8Array(await res.arrayBuffer().catch(unreachable));
  const out = new Uint8Array(want);
  const reader = res.body.getReader();
  let got = 0;
  let done = false;
  while (got < want) {
    const next = await reader.read().catch(unreachable);
    if (next.done) {
      done = true;
      break;
    }
    const n = Math.min(next.value.length, want - got);
    out.set(next.value.subarray(0, n), got);
    got += n;
  }
  if (!done) await reader.cancel().catch(() => {});
  if (done && Number.isSafeInteger(declared) && got < declared) throw new Transient('the body was cut short');
  return got === want ? out : out.subarray(0, got);
}

/**
 * A ListObjectsV2 page. Anything unreadable is a plain error: the parser's own errors are S3Errors
 * meant for clients' documents, and must not leave the store as if the client had sent bad XML.
 */
function parseListing(body: string): { keys: string[]; next?: string } {
  try {
    const root = parseXml(body)['ListBucketResult'];
    if (!root || typeof root !== 'object' || Array.isArray(root)) throw new Error('no ListBucketResult');
    const keys = children(root, 'Contents').map((c) => text(c, 'Key') ?? '');
    const truncated = text(root, 'IsTruncated') === 'true';
    const next = text(root, 'NextContinuationToken');
    if (truncated && !next) throw new Error('truncated without a continuation token');
    return { keys, next: truncated ? next : undefined };
  } catch (e) {
    throw new Error(`chunk backend sent a listing that cannot be read: ${(e as Error).message}`);
  }
}

export class S3ChunkStore implements ChunkStore {
  private readonly aws: AwsClient;
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly attempts: number;

  constructor(opts: S3ChunkStoreOptions) {
    this.aws = new AwsClient({
      accessKeyId: opts.accessKeyId,
      secretAccessKey: opts.secretAccessKey,
      service: 's3',
      region: opts.region,
      retries: 0,
    });
    const url = new URL(opts.endpoint);
    const path = url.pathname.replace(/\/+$/, '');
    this.base =
      opts.pathStyle === false
        ? `${url.protocol}//${opts.bucket}.${url.host}${path}/`
        : `${url.protocol}//${url.host}${path}/${opts.bucket}/`;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.attempts = opts.attempts ?? 6;
  }

  private url(hash: string): string {
    if (!HASH.test(hash)) throw new Error(`not a chunk name: ${hash}`);
    return `${this.base}${PREFIX}${hash}`;
  }

  /**
   * One call with its tries: `accept` takes any answer but 5xx and 429 (it may throw Transient for
   * another try); failures that outlast the tries or the deadline become ChunkBackendUnavailableError.
   */
  private async call<T>(
    operation: string,
    hash: string | null,
    req: { method: string; url: string; headers?: Record<string, string>; body?: Uint8Array; bytes?: number },
    accept: (res: Response) => Promise<T>,
  ): Promise<T> {
    const bytes = req.body?.length ?? req.bytes ?? 0;
    const deadline = Date.now() + this.timeoutMs + Math.ceil((bytes * 1000) / MIN_BYTES_PER_SECOND);
    for (let attempt = 1; ; attempt++) {
      let failure: Transient;
      try {
        const signal = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
        const signed = await this.aws.sign(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.body as BodyInit | undefined,
          signal,
        });
        const res = await fetch(signed).catch(unreachable);
        if (res.status >= 500 || res.status === 429) {
          throw new Transient(`${res.status} ${await errorCode(res)}`, retryAfter(res));
        }
        return await accept(res);
      } catch (e) {
        if (!(e instanceof Transient)) throw e;
        failure = e;
      }
      const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1));
      const pause = backoff * (0.5 + Math.random() / 2);
      if (attempt >= this.attempts || Date.now() + pause >= deadline) {
        const { message, retryAfterSeconds = 1 } = failure;
        const cause = failure.cause ?? failure;
        throw new ChunkBackendUnavailableError(operation, hash, retryAfterSeconds, message, { cause });
      }
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  async has(hash: string): Promise<boolean> {
    return this.call('HEAD', hash, { method: 'HEAD', url: this.url(hash) }, async (res) => {
      if (res.status === 200) return true;
      if (res.status === 404) return false;
      throw await refused(`HEAD of chunk ${hash}`, res);
    });
  }

  async put(hash: string, bytes: Uint8Array): Promise<void> {
    const headers = { 'x-amz-content-sha256': hash };
    const sent = { method: 'PUT', url: this.url(hash), headers, body: bytes };
    await this.call('PUT', hash, sent, async (res) => {
      if (res.status === 200) return void (await res.body?.cancel());
      const code = await errorCode(res);
      // the body was damaged or stalled on the way: send it again
      if (RESEND.has(code)) throw new Transient(code);
      throw new Error(`chunk backend refused PUT of chunk ${hash}: ${res.status} ${code}`);
    });
  }

  async sync(): Promise<void> {}

  async get(hash: string, size?: number): Promise<Uint8Array | null> {
    return this.call('GET', hash, { method: 'GET', url: this.url(hash), bytes: size }, async (res) => {
      if (res.status === 200) return readBody(res, size);
      if (res.status === 404) {
        const code = await errorCode(res);
        if (code === 'NoSuchBucket') throw new Error(`chunk backend has no bucket for ${this.base}`);
        return null;
      }
      throw await refused(`GET of chunk ${hash}`, res);
    });
  }

  async delete(hash: string): Promise<void> {
    await this.call('DELETE', hash, { method: 'DELETE', url: this.url(hash) }, async (res) => {
      if (res.status === 204 || res.status === 200) return void (await res.body?.cancel());
      if (res.status === 404 && (await errorCode(res)) !== 'NoSuchBucket') return;
      throw await refused(`DELETE of chunk ${hash}`, res);
    });
  }

  /** One page of ListObjectsV2 under `chunks/`. */
  private async page(token: string | undefined, maxKeys = 1000): Promise<{ keys: string[]; next?: string }> {
    const q = new URLSearchParams({ 'list-type': '2', prefix: PREFIX, 'max-keys': String(maxKeys) });
    if (token) q.set('continuation-token', token);
    return this.call('LIST', null, { method: 'GET', url: `${this.base}?${q}` }, async (res) => {
      if (res.status !== 200) throw await refused('listing the bucket', res);
      return parseListing(await res.text().catch(unreachable));
    });
  }

  async *list(): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const { keys, next } = await this.page(token);
      for (const key of keys) {
        const hash = key.slice(PREFIX.length);
        if (key.startsWith(PREFIX) && HASH.test(hash)) yield hash;
      }
      token = next;
    } while (token);
  }

  /**
   * Start-up check: the bucket exists and these keys may list it (which S3 also wants before it answers
   * 404 rather than 403 for a missing chunk). Throws a message for the operator; a backend that is down
   * is ChunkBackendUnavailableError.
   */
  async check(): Promise<void> {
    try {
      await this.page(undefined, 1);
    } catch (e) {
      if (e instanceof ChunkBackendUnavailableError) throw e;
      const why = (e as Error).message;
      throw new Error(`the chunk bucket at ${this.base} cannot be used: ${why}`, { cause: e });
    }
  }
}
