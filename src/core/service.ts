/**
 * The one start-up path of every runtime. An entry (src/node, src/deno, src/workers) supplies what only
 * it has: the database client, how to read the migrations, the server key, its chunk store, its DNS
 * and how it learns a client's address. The rest happens here, the same way everywhere: migrations,
 * signing keys, the first account, the chunk store the settings ask for, this node's heartbeat, the
 * request log, the app, the background jobs and the graceful stop.
 *
 * `openData` is the part the admin CLI shares with a server (it serves nothing and has no node id).
 */
import type { Client } from '@libsql/client';
import type { Context } from 'hono';
import { type AppDeps, type createApp, errorResponse } from './app.ts';
import { serviceApp } from './assemble.ts';
import { TokenService } from './auth/tokens.ts';
import { probe } from './billing/prober.ts';
import { DEFAULT_PRICES, type PriceList } from './billing/prices.ts';
import { sampleStorage } from './billing/rollup.ts';
import { Billing } from './billing/service.ts';
import { type ChunkStoreRuntime, openChunkStore } from './block/configured-store.ts';
import { heartbeat, leaveCluster } from './block/gc.ts';
import type { ChunkStore } from './block/store.ts';
import { type Clock, systemClock, TestClock } from './clock.ts';
import { type Config, ConfigError, maintenanceOptions, rollupOptions } from './config.ts';
import { type ChangeStamp, type Db, openDb } from './db/index.ts';
import { type Migration, migrate } from './db/migrate.ts';
import { type Digests, fromBase64, randomBase32, timingSafeEqual } from './digests.ts';
import { CHECKED_CACHE_MS, Freshness, readGeneration } from './freshness.ts';
import { BatchingRequestLog, dbLogWriter, type LogWriter, noRequestLog } from './log/request-log.ts';
import { checkPresetCredentials, ensureRootAccount } from './model/accounts.ts';
import type { CertificateInspector, TxtLookup } from './model/domains.ts';
import { runMaintenance } from './model/maintenance.ts';
import { SecretBox } from './secretbox.ts';
import { S3Error } from './errors.ts';

/** What opening the metadata needs from an entry. */
export interface DataParts {
  /** The metadata database's client, opened by the entry (a local file, or a libSQL server). */
  client: Client;
  /** The schema migrations, read however the entry can (files, or bundled into the worker). */
  migrations: () => Promise<Migration[]>;
  /** The 32 bytes that seal secrets in the database (QOIMA_SERVER_KEY, or the entry's own keeping). */
  key: Uint8Array;
  /** The price list (default: QOIMA_PRICES, else the built-in one). */
  prices?: PriceList;
  /**
   * With a replica of the database (QOIMA_DB_REPLICA): resolves once reads see every commit the server
   * had when it was called. The service waits for it before each request and each job run.
   */
  fresh?: () => Promise<void>;
  /** Where the database can tell cheaply that nothing was committed (a local file): db/index.ts. */
  changeStamp?: ChangeStamp;
  clock?: Clock;
}

export interface Data {
  client: Client;
  db: Db;
  /** The settings generation the caches are exact by; a server checks it before each request. */
  freshness: Freshness;
  box: SecretBox;
  tokens: TokenService;
  billing: Billing;
}

/** Migrates the database and makes sure a signing key exists. */
export async function openData(cfg: Config, parts: DataParts): Promise<Data> {
  if (parts.key.length !== 32) throw new ConfigError('the server key must be 32 bytes (base64 of 32 bytes)');
  const box = await SecretBox.create(parts.key);
  await migrate(parts.client, await parts.migrations());
  const db = openDb(parts.client);
  const freshness = new Freshness(readGeneration(parts.client));
  const tokens = new TokenService(db, box, cfg.issuer, {
    clock: parts.clock,
    generation: freshness,
    cacheMs: CHECKED_CACHE_MS,
  });
  await tokens.ensureKey();
  const billing = new Billing(db, parts.prices ?? cfg.prices ?? DEFAULT_PRICES, cfg.trialDays);
  return { client: parts.client, db, box, freshness, tokens, billing };
}

/** A key given as base64 text (a setting or a file's content); `source` names it in the error. */
export function decodeServerKey(text: string, source: string): Uint8Array {
  const key = fromBase64(text.trim());
  if (!key || key.length !== 32) throw new ConfigError(`${source} must be base64 of 32 bytes`);
  return key;
}

/** What a serving entry supplies besides the metadata parts. */
export interface ServiceParts extends DataParts {
  store: ChunkStoreRuntime;
  /** The operator API's bearer token; null: the operator API is off. */
  operatorToken: string | null;
  digests: Digests;
  txtLookup: TxtLookup;
  inspectCertificate: CertificateInspector;
  getRawTarget?: (c: Context) => string | undefined;
  getClientAddress?: (c: Context) => string | undefined;
  getHeaderNames?: AppDeps['getHeaderNames'];
  getBody?: AppDeps['getBody'];
  waitUntil?: AppDeps['waitUntil'];
  /** Where the request log writes (default: straight into the database). */
  logWriter?: (db: Db, nodeId: string) => LogWriter;
  /** How often the request log flushes; 0: each request's rows at once (Workers, through waitUntil). */
  logFlushMs?: number;
  /** What this node's id starts with: `node` for a process, `worker` for an isolate. */
  nodeKind?: string;
}

/** A background job: what it is called (in failure messages), how often it runs, what it does. */
export interface Job {
  name: string;
  everyMs: number;
  run: () => Promise<unknown>;
}

export interface RootCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface Service extends Data {
  app: ReturnType<typeof createApp>;
  /** What entries serve: the app, and the test clock's operator route when QOIMA_TEST_CLOCK=1. */
  fetch: (request: Request, env?: unknown, ctx?: unknown) => Response | Promise<Response>;
  /** The store the app uses, and the store of record alone (what scrub re-hashes). */
  store: ChunkStore;
  backend: ChunkStore;
  nodeId: string;
  clock: Clock;
  /**
   * The first account: created on first start (from QOIMA_ROOT_* when given), or brought in line with
   * QOIMA_ROOT_* on later starts. The credentials when they were created or changed (to be shown
   * once), null when nothing changed.
   */
  ensureRootAccount(): Promise<RootCredentials | null>;
  /** Heartbeats, probes, metering (storage samples and rollups) and maintenance (GC). */
  jobs: readonly Job[];
  /**
   * Runs each job on its own timer (a long-running process); a job that fails is logged and runs
   * again. `background: false` (the other serving processes of a machine, where one runs the jobs for
   * all): only the heartbeat, which keeps this process's uploads alive.
   */
  startJobs(opts?: { background?: boolean }): Promise<void>;
  /** Runs every job once, in order (a scheduled invocation, as the Workers Cron Trigger). */
  runJobs(): Promise<void>;
  /** The heartbeat, when one is due (a runtime without timers calls this on each request). */
  beatIfDue(): Promise<void> | null;
  /**
   * The graceful stop: jobs stop, `stopServing` stops accepting and waits for the requests in flight
   * (true: it had to cut some after the grace period), then the request log is drained, this node
   * leaves the cluster and the database is closed. The entry exits afterwards.
   */
  shutdown(signal: string, stopServing: () => Promise<boolean>): Promise<void>;
}

/** Where the operator moves a test clock forward: POST with `?ms=N` and the operator token. */
export const TEST_CLOCK_PATH = '/admin/operator/clock';

export async function openService(cfg: Config, parts: ServiceParts): Promise<Service> {
  const clock = parts.clock ?? (cfg.testClock ? new TestClock() : systemClock);
  const data = await openData(cfg, { ...parts, clock });
  const { db, box, billing } = data;
  const warn = (m: string) => console.error(m);
  const { store, backend } = await openChunkStore(cfg, { warn, ...parts.store });
  const nodeId = `${parts.nodeKind ?? 'node'}_${randomBase32(12)}`;
  await heartbeat(db, nodeId);
  const requestLog = cfg.requestLog
    ? new BatchingRequestLog((parts.logWriter ?? dbLogWriter)(db, nodeId), nodeId, {
        ...cfg.log,
        flushMs: parts.logFlushMs ?? cfg.log.flushMs,
        warn,
      })
    : noRequestLog;
  const app = serviceApp(cfg, { ...parts, ...data, store, requestLog, nodeId, clock });

  const jobs: Job[] = [
    { name: 'heartbeat', everyMs: cfg.heartbeatMs, run: () => heartbeat(db, nodeId) },
    { name: 'probe', everyMs: cfg.probeMs, run: () => probe(db, nodeId) },
    {
      name: 'metering',
      everyMs: Math.min(cfg.storageSampleMs, 60_000),
      run: async () => {
        await sampleStorage(db, Date.now(), cfg.storageSampleMs);
        await billing.rollup(rollupOptions(cfg));
      },
    },
    {
      name: 'maintenance',
      everyMs: cfg.gcIntervalMs,
      run: async () => {
        await runMaintenance(db, store, maintenanceOptions(cfg));
        await parts.store.tidy?.();
      },
    },
  ];
  let timers: ReturnType<typeof setInterval>[] = [];
  const startJobs = async ({ background = true }: { background?: boolean } = {}) => {
    if (background) await probe(db, nodeId);
    timers = jobs
      .filter((job) => background || job.name === 'heartbeat')
      .map((job) => {
        const failed = (e: unknown) => console.error(`qoima: ${job.name} failed`, e);
        const run = fresh ? () => fresh().then(job.run) : job.run;
        const t = setInterval(() => void run().catch(failed), job.everyMs);
        (t as { unref?: () => void }).unref?.();
        return t;
      });
  };
  const runJobs = async () => {
    for (const job of jobs) await job.run();
  };
  let lastBeat = Date.now();
  const beatIfDue = () => {
    if (Date.now() - lastBeat < cfg.heartbeatMs) return null;
    lastBeat = Date.now();
    return heartbeat(db, nodeId).catch((e: unknown) => console.error('qoima: heartbeat failed', e));
  };

  let stopping: Promise<void> | null = null;
  const shutdown = (signal: string, stopServing: () => Promise<boolean>) =>
    (stopping ??= (async () => {
      console.log(`qoima: ${signal}: finishing in-flight requests (up to ${cfg.shutdownGraceMs / 1000}s)`);
      timers.forEach(clearInterval);
      if (await stopServing()) console.log('qoima: grace period over, closed the remaining connections');
      await requestLog.close();
      await leaveCluster(db, nodeId).catch(() => {});
      data.client.close();
      console.log('qoima: stopped');
    })());

  const ensureFirstAccount = async (): Promise<RootCredentials | null> => {
    const preset =
      cfg.rootAccessKey && cfg.rootSecretKey
        ? { accessKeyId: cfg.rootAccessKey, secretAccessKey: cfg.rootSecretKey }
        : null;
    if (preset) {
      const problem = checkPresetCredentials(preset.accessKeyId, preset.secretAccessKey);
      if (problem) throw new ConfigError(`QOIMA_ROOT_ACCESS_KEY/QOIMA_ROOT_SECRET_KEY: ${problem}`);
    }
    return ensureRootAccount({ db, box }, preset, cfg.quotaDefaults);
  };

  const operatorToken = parts.operatorToken;
  const serve: Service['fetch'] =
    clock instanceof TestClock
      ? (request, env, ctx) =>
          new URL(request.url).pathname === TEST_CLOCK_PATH
            ? moveClock(clock, request, operatorToken)
            : app.fetch(request, env, ctx as never)
      : (request, env, ctx) => app.fetch(request, env, ctx as never);
  const fresh = parts.fresh;
  const fetch: Service['fetch'] = fresh
    ? async (request, env, ctx) => {
        try {
          await fresh();
        } catch (e) {
          return databaseUnreachable(request, e);
        }
        return serve(request, env, ctx);
      }
    : serve;
  if (clock instanceof TestClock)
    warn("qoima: QOIMA_TEST_CLOCK=1: the operator can move this service's clock forward (tests only)");

  return {
    ...data,
    app,
    fetch,
    store,
    backend,
    nodeId,
    clock,
    ensureRootAccount: ensureFirstAccount,
    jobs,
    startJobs,
    runJobs,
    beatIfDue,
    shutdown,
  };
}

/** A node that cannot catch up with the database does not serve what may be stale: 503, try again. */
function databaseUnreachable(request: Request, e: unknown): Response {
  console.error('qoima: database unreachable', e);
  const unavailable = new S3Error(
    'ServiceUnavailable',
    'The metadata database cannot be reached; try again.',
    {
      headers: { 'retry-after': '1' },
    },
  );
  return errorResponse(unavailable, request.method, new URL(request.url).pathname, randomBase32(16));
}

/** The test clock's route: the operator moves the clock `ms` forward; answers the clock's new time. */
function moveClock(clock: TestClock, request: Request, operatorToken: string | null): Response {
  const given = (request.headers.get('authorization') ?? '').replace(/^Bearer\s+/i, '');
  if (!operatorToken || !timingSafeEqual(given, operatorToken))
    return Response.json({ error: 'the operator token is needed' }, { status: 403 });
  const ms = Number(new URL(request.url).searchParams.get('ms'));
  if (request.method !== 'POST' || !Number.isSafeInteger(ms) || ms < 0)
    return Response.json({ error: 'POST with ?ms=<milliseconds to move forward>' }, { status: 400 });
  clock.advance(ms);
  return Response.json({ now: new Date(clock.now()).toISOString() });
}
