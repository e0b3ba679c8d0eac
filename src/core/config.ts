/**
 * Settings from the environment (QOIMA_*), the same names on every runtime, with command-line flags
 * mirroring the main ones (`--port 9001` overrides QOIMA_PORT). Invalid values stop start-up with a
 * message naming the setting. Paths are returned as given: a runtime with a filesystem resolves them.
 */
import { z } from 'zod';
import { PriceList } from './billing/prices.ts';
import type { S3ChunkStoreOptions } from './block/s3-store.ts';
import type { QuotaLimits } from './model/quotas.ts';

const MiB = 1024 * 1024;

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  QOIMA_HOST: z.string().min(1).default('127.0.0.1'),
  QOIMA_PORT: int(0, 65535).default(9000),
  QOIMA_DATA_DIR: z.string().min(1).default('./storage'),
  QOIMA_REGION: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'letters, digits and dashes')
    .default('us-east-1'),
  /** Base domains for virtual-hosted-style requests: `<bucket>.<domain>`. */
  QOIMA_DOMAINS: z.string().default('localhost'),
  /** Base domains for static websites: `<bucket>.<website domain>`. */
  QOIMA_WEBSITE_DOMAINS: z.string().default('web.localhost'),
  /** Also serve HTTPS on this port, with the certificates attached to custom domains (SNI). */
  QOIMA_HTTPS_PORT: int(0, 65535).optional(),
  /** PEM files: the service's own certificate, for names no attached domain's certificate matches. */
  QOIMA_TLS_CERT: z.string().optional(),
  QOIMA_TLS_KEY: z.string().optional(),
  /** DNS servers for domain ownership checks (host or host:port, comma-separated); default: the system's. */
  QOIMA_DNS_SERVERS: z.string().optional(),
  QOIMA_ROOT_ACCESS_KEY: z.string().optional(),
  QOIMA_ROOT_SECRET_KEY: z.string().optional(),
  /** A libSQL URL (file:, libsql:, http(s):); default: a file in the data directory. */
  QOIMA_DB_URL: z.string().optional(),
  QOIMA_DB_AUTH_TOKEN: z.string().optional(),
  /** A file for a local replica of a libSQL server's database (QOIMA_DB_URL http(s): or libsql:). */
  QOIMA_DB_REPLICA: z.string().optional(),
  /** Base64 of 32 bytes; default: `server.key` in the data directory, created on first start. */
  QOIMA_SERVER_KEY: z.string().optional(),
  QOIMA_CHUNK_SIZE: int(64 * 1024, 64 * MiB).default(4 * MiB),
  QOIMA_INLINE_MAX: int(0, 64 * 1024).default(8 * 1024),
  QOIMA_MAX_OBJECT_SIZE: int(0).default(5 * 1024 * MiB),
  QOIMA_GC_DELAY_SECONDS: int(0).default(3600),
  QOIMA_GC_INTERVAL_SECONDS: int(1).default(60),
  QOIMA_MULTIPART_MAX_AGE_SECONDS: int(0).default(7 * 24 * 3600),
  QOIMA_HEARTBEAT_SECONDS: int(1).default(5),
  QOIMA_NODE_TIMEOUT_SECONDS: int(1).default(30),
  QOIMA_SHUTDOWN_GRACE_SECONDS: int(0).default(25),
  QOIMA_BODY_IDLE_SECONDS: int(1).default(20),
  QOIMA_SEND_TIMEOUT_SECONDS: int(1).default(60),
  /** Where chunks live: `fs`, the runtime's own store (files; R2 on Workers), or `s3`, a bucket. */
  QOIMA_CHUNK_STORE: z.enum(['fs', 's3']).default('fs'),
  QOIMA_CHUNK_S3_ENDPOINT: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
  QOIMA_CHUNK_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a bucket name')
    .optional(),
  QOIMA_CHUNK_S3_REGION: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, dashes')
    .default('us-east-1'),
  QOIMA_CHUNK_S3_ACCESS_KEY_ID: z.string().optional(),
  QOIMA_CHUNK_S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** `0`: virtual-hosted-style requests (`<bucket>.<endpoint host>`) instead of `<endpoint>/<bucket>`. */
  QOIMA_CHUNK_S3_PATH_STYLE: z.enum(['0', '1']).default('1'),
  /** Bytes of hot chunks a node keeps on local disk in front of an s3 chunk store; `0`: none. */
  QOIMA_CHUNK_CACHE_BYTES: int(0).default(1024 ** 3),
  /** `0` skips fsync of chunk files (tests on tmpfs, benchmarks of the rest); never in production. */
  QOIMA_FSYNC: z.enum(['0', '1']).default('1'),
  /** `iss` of the access keys this service signs. */
  QOIMA_ISSUER: z.string().min(1).default('qoima'),
  /**
   * Bearer token of the operator API; default: `operator-token` in the data directory, made on first start.
   */
  QOIMA_OPERATOR_TOKEN: z.string().min(16).optional(),
  QOIMA_DEFAULT_MAX_BYTES: int(0).default(1024 ** 4),
  QOIMA_DEFAULT_MAX_BUCKETS: int(0).default(100),
  QOIMA_DEFAULT_MAX_OBJECTS: int(0).default(10_000_000),
  QOIMA_DEFAULT_MAX_OBJECT_SIZE: int(0).default(5 * 1024 ** 4),
  QOIMA_DEFAULT_REQUESTS_PER_SECOND: int(1).default(2_000),
  QOIMA_DEFAULT_BYTES_PER_SECOND: int(1).default(1024 ** 3),
  /** Requests one client address may have refused per second (bad signature, no access) before SlowDown. */
  QOIMA_CLIENT_REFUSALS_PER_SECOND: int(1).default(50),
  /** Serving processes on this machine (Node); 0: one per available core. */
  QOIMA_WORKERS: int(0, 256).default(0),
  /** Set by the Node entry for each serving process it starts: which one this is (0: runs the jobs). */
  QOIMA_WORKER_SLOT: int(0, 255).default(0),
  /** `0` turns the request log off (the benchmark's baseline); never in production. */
  QOIMA_REQUEST_LOG: z.enum(['0', '1']).default('1'),
  QOIMA_LOG_FLUSH_MS: int(10).default(1000),
  QOIMA_LOG_BATCH_ROWS: int(1).default(500),
  QOIMA_LOG_QUEUE_MAX: int(1).default(100_000),
  QOIMA_LOG_RETENTION_DAYS: int(1).default(35),
  QOIMA_PROBE_SECONDS: int(1).default(30),
  QOIMA_STORAGE_SAMPLE_SECONDS: int(1).default(300),
  QOIMA_TRIAL_DAYS: int(0).default(3),
  /** `0`: services are created by the operator only, not from the console's sign-up page. */
  QOIMA_CONSOLE_SIGNUP: z.enum(['0', '1']).default('1'),
  /** Failed console sign-ins and sign-ups one client address may have in a quarter hour. */
  QOIMA_CONSOLE_FAILURES_PER_ADDRESS: int(1).default(30),
  /** `0` refuses Signature Version 2 (header, presigned URLs, POST forms): SigV4 only. */
  QOIMA_SIGV2: z.enum(['0', '1']).default('1'),
  /** A JSON price list (see core/billing/prices.ts); default: the built-in one. */
  QOIMA_PRICES_FILE: z.string().optional(),
  /** The same price list as JSON text, where there is no file to read (Workers); wins over the file. */
  QOIMA_PRICES: z.string().optional(),
  /** DNS-over-HTTPS (JSON API) for domain ownership checks where there is no resolver (Workers). */
  QOIMA_DOH_URL: z
    .url({ protocol: /^https?$/, error: 'an http(s) URL' })
    .default('https://cloudflare-dns.com/dns-query'),
  /** `1`: the operator may move the clock forward (tests of cache lifetimes); never in production. */
  QOIMA_TEST_CLOCK: z.enum(['0', '1']).default('0'),
});

export type Settings = z.infer<typeof schema>;

/** Where chunks live: the runtime's own store, or a bucket of an S3 service with a local read cache. */
export type ChunkStoreSettings = { kind: 'fs' } | { kind: 's3'; s3: S3ChunkStoreOptions; cacheBytes: number };

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  region: string;
  baseDomains: string[];
  websiteDomains: string[];
  httpsPort?: number;
  /** The service's own certificate and key (PEM file paths), used when no domain's certificate matches. */
  tls?: { certFile: string; keyFile: string };
  dnsServers: string[];
  rootAccessKey?: string;
  rootSecretKey?: string;
  /** A libSQL URL; unset: the runtime's default (a file in the data directory). */
  dbUrl?: string;
  dbAuthToken?: string;
  /** Where this node keeps its embedded replica of the database at dbUrl (reads local, writes remote). */
  dbReplica?: string;
  serverKey?: string;
  chunkStore: ChunkStoreSettings;
  chunkSize: number;
  inlineMax: number;
  maxObjectSize: number;
  gcDelayMs: number;
  gcIntervalMs: number;
  multipartMaxAgeMs: number;
  heartbeatMs: number;
  nodeTimeoutMs: number;
  shutdownGraceMs: number;
  /** How long an upload may send nothing while it is being read before RequestTimeout (Node). */
  bodyIdleMs: number;
  /** How long a response may wait for its client to take anything before it is cut off (Node). */
  sendTimeoutMs: number;
  fsync: boolean;
  issuer: string;
  operatorToken?: string;
  quotaDefaults: QuotaLimits;
  clientRefusalsPerSecond: number;
  /** Serving processes sharing this machine's limits (0: not decided by the entry: one per core). */
  workers: number;
  /** Which of them this process is; slot 0 runs the background jobs. */
  workerSlot: number;
  requestLog: boolean;
  log: { flushMs: number; batchRows: number; maxQueue: number; retentionMs: number };
  probeMs: number;
  storageSampleMs: number;
  trialDays: number;
  consoleSignup: boolean;
  consoleFailuresPerAddress: number;
  pricesFile?: string;
  /** QOIMA_PRICES parsed; unset: the file's, else the built-in list. */
  prices?: PriceList;
  dohUrl: string;
  testClock: boolean;
  /** Whether Signature Version 2 is accepted. */
  sigv2: boolean;
}

const list = (v: string) =>
  v
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);

const FLAGS: Record<string, keyof Settings> = {
  '--host': 'QOIMA_HOST',
  '--port': 'QOIMA_PORT',
  '--data-dir': 'QOIMA_DATA_DIR',
  '--region': 'QOIMA_REGION',
  '--domains': 'QOIMA_DOMAINS',
  '--https-port': 'QOIMA_HTTPS_PORT',
  '--db-url': 'QOIMA_DB_URL',
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads settings; flags in `argv` win over the environment. Unknown flags are an error. */
export function loadConfig(env: Record<string, string | undefined>, argv: string[] = []): Config {
  const merged: Record<string, string | undefined> = { ...env };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const name = FLAGS[flag];
    if (!name) throw new ConfigError(`unknown option ${flag} (known: ${Object.keys(FLAGS).join(', ')})`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`option ${flag} needs a value`);
    merged[name] = value;
  }
  const picked = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, merged[k] === '' ? undefined : merged[k]]),
  );
  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const s = parsed.data;
  if ((s.QOIMA_ROOT_ACCESS_KEY === undefined) !== (s.QOIMA_ROOT_SECRET_KEY === undefined)) {
    throw new ConfigError('QOIMA_ROOT_ACCESS_KEY and QOIMA_ROOT_SECRET_KEY go together');
  }
  if ((s.QOIMA_TLS_CERT === undefined) !== (s.QOIMA_TLS_KEY === undefined)) {
    throw new ConfigError('QOIMA_TLS_CERT and QOIMA_TLS_KEY go together');
  }
  const dataDir = s.QOIMA_DATA_DIR;
  return {
    chunkStore: chunkStoreSettings(s),
    host: s.QOIMA_HOST,
    port: s.QOIMA_PORT,
    dataDir,
    region: s.QOIMA_REGION,
    baseDomains: list(s.QOIMA_DOMAINS).map((d) => d.toLowerCase()),
    websiteDomains: list(s.QOIMA_WEBSITE_DOMAINS).map((d) => d.toLowerCase()),
    httpsPort: s.QOIMA_HTTPS_PORT,
    tls:
      s.QOIMA_TLS_CERT && s.QOIMA_TLS_KEY
        ? { certFile: s.QOIMA_TLS_CERT, keyFile: s.QOIMA_TLS_KEY }
        : undefined,
    dnsServers: list(s.QOIMA_DNS_SERVERS ?? ''),
    rootAccessKey: s.QOIMA_ROOT_ACCESS_KEY,
    rootSecretKey: s.QOIMA_ROOT_SECRET_KEY,
    dbUrl: s.QOIMA_DB_URL,
    dbAuthToken: s.QOIMA_DB_AUTH_TOKEN,
    dbReplica: s.QOIMA_DB_REPLICA,
    serverKey: s.QOIMA_SERVER_KEY,
    chunkSize: s.QOIMA_CHUNK_SIZE,
    inlineMax: s.QOIMA_INLINE_MAX,
    maxObjectSize: s.QOIMA_MAX_OBJECT_SIZE,
    gcDelayMs: s.QOIMA_GC_DELAY_SECONDS * 1000,
    gcIntervalMs: s.QOIMA_GC_INTERVAL_SECONDS * 1000,
    multipartMaxAgeMs: s.QOIMA_MULTIPART_MAX_AGE_SECONDS * 1000,
    heartbeatMs: s.QOIMA_HEARTBEAT_SECONDS * 1000,
    nodeTimeoutMs: s.QOIMA_NODE_TIMEOUT_SECONDS * 1000,
    shutdownGraceMs: s.QOIMA_SHUTDOWN_GRACE_SECONDS * 1000,
    bodyIdleMs: s.QOIMA_BODY_IDLE_SECONDS * 1000,
    sendTimeoutMs: s.QOIMA_SEND_TIMEOUT_SECONDS * 1000,
    fsync: s.QOIMA_FSYNC === '1',
    issuer: s.QOIMA_ISSUER,
    operatorToken: s.QOIMA_OPERATOR_TOKEN,
    quotaDefaults: {
      maxBytes: s.QOIMA_DEFAULT_MAX_BYTES,
      maxBuckets: s.QOIMA_DEFAULT_MAX_BUCKETS,
      maxObjects: s.QOIMA_DEFAULT_MAX_OBJECTS,
      maxObjectSize: s.QOIMA_DEFAULT_MAX_OBJECT_SIZE,
      requestsPerSecond: s.QOIMA_DEFAULT_REQUESTS_PER_SECOND,
      bytesPerSecond: s.QOIMA_DEFAULT_BYTES_PER_SECOND,
    },
    clientRefusalsPerSecond: s.QOIMA_CLIENT_REFUSALS_PER_SECOND,
    workers: s.QOIMA_WORKERS,
    workerSlot: s.QOIMA_WORKER_SLOT,
    requestLog: s.QOIMA_REQUEST_LOG === '1',
    log: {
      flushMs: s.QOIMA_LOG_FLUSH_MS,
      batchRows: s.QOIMA_LOG_BATCH_ROWS,
      maxQueue: s.QOIMA_LOG_QUEUE_MAX,
      retentionMs: s.QOIMA_LOG_RETENTION_DAYS * 86_400_000,
    },
    probeMs: s.QOIMA_PROBE_SECONDS * 1000,
    storageSampleMs: s.QOIMA_STORAGE_SAMPLE_SECONDS * 1000,
    trialDays: s.QOIMA_TRIAL_DAYS,
    consoleSignup: s.QOIMA_CONSOLE_SIGNUP === '1',
    consoleFailuresPerAddress: s.QOIMA_CONSOLE_FAILURES_PER_ADDRESS,
    pricesFile: s.QOIMA_PRICES_FILE,
    prices: s.QOIMA_PRICES === undefined ? undefined : parsePriceList(s.QOIMA_PRICES, 'QOIMA_PRICES'),
    dohUrl: s.QOIMA_DOH_URL,
    testClock: s.QOIMA_TEST_CLOCK === '1',
    sigv2: s.QOIMA_SIGV2 === '1',
  };
}

/** A price list from JSON text; a ConfigError naming `source` (a setting, a file) when it is not one. */
export function parsePriceList(text: string, source: string): PriceList {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${source}: not JSON (${(e as Error).message})`);
  }
  const parsed = PriceList.safeParse(json);
  if (!parsed.success)
    throw new ConfigError(
      `${source}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

function chunkStoreSettings(s: Settings): ChunkStoreSettings {
  if (s.QOIMA_CHUNK_STORE === 'fs') return { kind: 'fs' };
  const endpoint = s.QOIMA_CHUNK_S3_ENDPOINT;
  const bucket = s.QOIMA_CHUNK_S3_BUCKET;
  const accessKeyId = s.QOIMA_CHUNK_S3_ACCESS_KEY_ID;
  const secretAccessKey = s.QOIMA_CHUNK_S3_SECRET_ACCESS_KEY;
  if (!endpoint || !bucket || !accessKeyId || !secretAccessKey) {
    const names = ['ENDPOINT', 'BUCKET', 'ACCESS_KEY_ID', 'SECRET_ACCESS_KEY'] as const;
    const missing = names.filter((n) => !s[`QOIMA_CHUNK_S3_${n}`]).map((n) => `QOIMA_CHUNK_S3_${n}`);
    throw new ConfigError(`QOIMA_CHUNK_STORE=s3 needs ${missing.join(', ')}`);
  }
  const pathStyle = s.QOIMA_CHUNK_S3_PATH_STYLE === '1';
  const s3 = { endpoint, bucket, region: s.QOIMA_CHUNK_S3_REGION, accessKeyId, secretAccessKey, pathStyle };
  // with several serving processes each keeps its own part of the cache
  const cacheBytes = Math.floor(s.QOIMA_CHUNK_CACHE_BYTES / Math.max(1, s.QOIMA_WORKERS));
  return { kind: 's3', s3, cacheBytes };
}

export function endpointOf(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/** The housekeeping settings, as the core's maintenance wants them. */
export function maintenanceOptions(cfg: Config) {
  return {
    delayMs: cfg.gcDelayMs,
    nodeTimeoutMs: cfg.nodeTimeoutMs,
    multipartMaxAgeMs: cfg.multipartMaxAgeMs,
  };
}

/** The rollup settings: an hour is rolled up once its log rows have surely been flushed. */
export function rollupOptions(cfg: Config, now = Date.now()) {
  return {
    now,
    settleMs: cfg.log.flushMs + 60_000,
    gapMs: Math.max(3 * cfg.probeMs, 90_000),
    retentionMs: cfg.log.retentionMs,
  };
}
