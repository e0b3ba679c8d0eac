/**
 * What every row of the bench shares: the temp directory and its test files, the servers (each started
 * on first use, so `BENCH_ONLY` starts only what its rows need), the objects put into them, and each
 * row's figure, measured once however many rows compare against it.
 * A row is `{ what, who, measure, compare?, below? }` in a file of `test/bench/rows/`; its label
 * `<what> · <who>` names it for `compare` and for `BENCH_ONLY`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketAclCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { MiB, putFile, randomFile } from './io.ts';
import { CREDS, type Runtime, type Server, startBaseline, startNginx, startQoima, stop } from './procs.ts';

export interface Figure {
  value: number;
  unit: 'req/s' | 'B/s' | 'B' | 'instr';
  /** Latency percentiles, milliseconds. */
  p50?: number;
  p99?: number;
  /** Failed requests during the measurement (non-2xx, socket errors), as text. */
  failed?: string;
}

/** This row's value divided by another row's; `goal`: the ratio it must reach. */
export interface Compare {
  row: string;
  name: string;
  goal?: number;
}

export interface Row {
  what: string;
  who: string;
  measure: (b: Bench) => Promise<Figure>;
  compare?: Compare[];
  /** An absolute goal: the value must stay below this. */
  below?: { value: number; text: string };
}

export const label = (r: Pick<Row, 'what' | 'who'>) => `${r.what} · ${r.who}`;

/** A Qoima under test: buckets `bench` (private) and `pub` (public-read, website index `index.html`). */
export interface Qoima {
  runtime: Runtime;
  dataDir: string;
  server: Server;
  s3: S3Client;
  stored: Set<string>;
  /** Settings this server was started with beyond the bench's own (kept across `restart`). */
  env: Record<string, string>;
}

export const PRIVATE = 'bench';
export const PUBLIC = 'pub';
/** The website host of bucket `pub` (QOIMA_WEBSITE_DOMAINS' default). */
export const WEBSITE_HOST = `${PUBLIC}.web.localhost`;

export const client = (endpoint: string, credentials = CREDS) =>
  new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true });

export class Bench {
  readonly www: string;
  private readonly memo = new Map<string, Promise<unknown>>();
  private readonly procs = new Set<ChildProcess>();
  private readonly cleanups: (() => Promise<void>)[] = [];
  readonly measured = new Map<string, Promise<Figure>>();

  constructor(
    readonly work: string,
    private readonly rows: Map<string, Row>,
  ) {
    this.www = join(work, 'www');
  }

  once<T>(key: string, make: () => Promise<T>): Promise<T> {
    if (!this.memo.has(key)) this.memo.set(key, make());
    return this.memo.get(key) as Promise<T>;
  }

  /** A row's figure, measured on first request. */
  figure(rowLabel: string): Promise<Figure> {
    const row = this.rows.get(rowLabel);
    if (!row) throw new Error(`bench: no row "${rowLabel}"`);
    if (!this.measured.has(rowLabel)) {
      console.error(`bench: ${rowLabel} ...`);
      this.measured.set(rowLabel, row.measure(this));
    }
    return this.measured.get(rowLabel)!;
  }

  track(s: Server): Server {
    this.procs.add(s.proc);
    return s;
  }

  /** Runs `fn` in `stopAll`, after the servers have stopped (e.g. a Ceph cluster they used). */
  onStop(fn: () => Promise<void>): void {
    this.cleanups.push(fn);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.procs].map(stop));
    for (const fn of this.cleanups.splice(0).reverse()) await fn();
  }

  /** A random file of `bytes` bytes; in the web root (served by nginx and bare Hono) unless `dir`. */
  file(name: string, bytes: number, dir = this.www): Promise<string> {
    return this.once(`file ${dir}/${name}`, async () => {
      await mkdir(dir, { recursive: true });
      await randomFile(join(dir, name), bytes);
      return join(dir, name);
    });
  }

  nginx(): Promise<Server> {
    return this.once('nginx', async () => {
      await mkdir(this.www, { recursive: true });
      return this.track(await startNginx(this.work, this.www));
    });
  }

  bareHono(): Promise<Server> {
    return this.once('hono', async () => this.track(await startBaseline('bare-hono', [this.www])));
  }

  /** s3rver with `name` (a file of the web root) stored in its bucket `bench`; its endpoint. */
  async s3rverObject(name: string, bytes: number): Promise<{ endpoint: string; s3: S3Client }> {
    const server = await this.once('s3rver', async () =>
      this.track(await startBaseline('s3rver', [join(this.work, 's3rver-data')])),
    );
    const s3 = client(server.endpoint, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    const path = await this.file(name, bytes);
    await this.once(`s3rver ${name}`, async () => {
      const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: PRIVATE, Key: name }));
      await putFile(url, path);
    });
    return { endpoint: server.endpoint, s3 };
  }

  /**
   * The Qoima of `runtime`; a `variant` is another server with its own data directory and extra
   * settings (e.g. its chunks in Ceph RGW), made once under its name.
   */
  qoima(runtime: Runtime = 'node', variant?: { name: string; env: () => Promise<Record<string, string>> }) {
    const key = variant ? `${runtime}-${variant.name}` : runtime;
    return this.once(`qoima ${key}`, async (): Promise<Qoima> => {
      const dataDir = join(this.work, `qoima-${key}`);
      const env = (await variant?.env()) ?? {};
      const server = this.track(await startQoima(runtime, dataDir, env));
      const s3 = client(server.endpoint);
      await s3.send(new CreateBucketCommand({ Bucket: PRIVATE }));
      await s3.send(new CreateBucketCommand({ Bucket: PUBLIC }));
      await s3.send(new PutBucketAclCommand({ Bucket: PUBLIC, ACL: 'public-read' }));
      await s3.send(
        new PutBucketWebsiteCommand({
          Bucket: PUBLIC,
          WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } },
        }),
      );
      return { runtime, dataDir, server, s3, stored: new Set<string>(), env };
    });
  }

  /** Stops a Qoima and starts it again on the same data (a fresh heap for a memory measurement). */
  async restart(q: Qoima): Promise<void> {
    await stop(q.server.proc);
    this.procs.delete(q.server.proc);
    q.server = this.track(await startQoima(q.runtime, q.dataDir, q.env));
    q.s3 = client(q.server.endpoint);
  }

  /** Stores the web root's file `name` (made of `bytes` random bytes) as `bucket/name` in `q`. */
  async stored(q: Qoima, bucket: string, name: string, bytes: number, dir = this.www): Promise<void> {
    const path = await this.file(name, bytes, dir);
    if (q.stored.has(`${bucket}/${name}`)) return;
    const type = name.endsWith('.html') ? 'text/html' : 'application/octet-stream';
    const url = await getSignedUrl(
      q.s3,
      new PutObjectCommand({ Bucket: bucket, Key: name, ContentType: type }),
    );
    await putFile(url, path, { 'content-type': type });
    q.stored.add(`${bucket}/${name}`);
  }

  presignedGet(s3: S3Client, bucket: string, key: string): Promise<string> {
    return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 7 * 24 * 3600 });
  }

  presignedPut(s3: S3Client, bucket: string, key: string): Promise<string> {
    return getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 7 * 24 * 3600 });
  }
}

export { MiB };
