/**
 * Qoima on Cloudflare Workers: the core app with an R2 bucket as its chunk store and a libSQL server
 * (sqld or Turso, over HTTP with @libsql/client/web) for metadata and the request log.
 *
 * Settings are the QOIMA_* variables of every runtime (wrangler.toml [vars], secrets for the keys).
 * Each isolate sets itself up on its first request (migrations, signing key, first account) and keeps
 * that for the requests that follow. Request log rows are written through ctx.waitUntil, so no
 * response waits on them; the Cron Trigger runs probes, metering and maintenance.
 */
import { createClient } from '@libsql/client/web';
import { type createApp, errorResponse } from '../core/app.ts';
import { serviceApp } from '../core/assemble.ts';
import { TokenService } from '../core/auth/tokens.ts';
import { heartbeat } from '../core/block/gc.ts';
import { probe } from '../core/billing/prober.ts';
import { DEFAULT_PRICES, PriceList } from '../core/billing/prices.ts';
import { sampleStorage } from '../core/billing/rollup.ts';
import { Billing } from '../core/billing/service.ts';
import { type Config, loadConfig, maintenanceOptions, rollupOptions } from '../core/config.ts';
import { openDb } from '../core/db/index.ts';
import { migrate } from '../core/db/migrate.ts';
import { fromBase64, randomBase32 } from '../core/digests.ts';
import { S3Error } from '../core/errors.ts';
import { BatchingRequestLog, dbLogWriter } from '../core/log/request-log.ts';
import { ensureRootAccount } from '../core/model/accounts.ts';
import { runMaintenance } from '../core/model/maintenance.ts';
import { SecretBox } from '../core/secretbox.ts';
import { workersDigests } from './digests.ts';
import { dohTxtLookup } from './dns.ts';
import { asSent, withLength } from './http.ts';
import { bundledMigrations } from './migrations.ts';
import { R2ChunkStore } from './r2-chunk-store.ts';

export interface Env {
  /** Qoima's own R2 bucket for chunks. */
  CHUNKS: R2Bucket;
  /** libSQL server URL (required here: there is no local file) and its token. */
  QOIMA_DB_URL?: string;
  QOIMA_DB_AUTH_TOKEN?: string;
  /** base64 of 32 bytes that seal secrets in the database (a secret: `wrangler secret put`). */
  QOIMA_SERVER_KEY?: string;
  /** The operator API's bearer token; unset: the operator API is off. */
  QOIMA_OPERATOR_TOKEN?: string;
  /** A price list as JSON (core/billing/prices.ts); unset: the built-in one. */
  QOIMA_PRICES?: string;
  /** DNS-over-HTTPS endpoint (JSON API) for domain ownership checks. */
  QOIMA_DOH_URL?: string;
  [setting: `QOIMA_${string}`]: string | undefined;
}

interface Isolate {
  app: ReturnType<typeof createApp>;
  /** Keeps this isolate's node row fresh, so its uploads in progress are never taken for abandoned. */
  beat(ctx: ExecutionContext): void;
  /** The Cron Trigger's work. */
  jobs(): Promise<void>;
}

let isolate: Promise<Isolate> | null = null;

async function setUp(env: Env): Promise<Isolate> {
  const vars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const cfg: Config = loadConfig(vars);
  if (!cfg.dbUrl) throw new Error('QOIMA_DB_URL is not set: on Workers metadata lives on a libSQL server');
  const rawKey = fromBase64(cfg.serverKey ?? '');
  if (!rawKey || rawKey.length !== 32) throw new Error('QOIMA_SERVER_KEY must be set to base64 of 32 bytes');
  const client = createClient({ url: cfg.dbUrl, authToken: cfg.dbAuthToken });
  await migrate(client, await bundledMigrations());
  const db = openDb(client);
  const box = await SecretBox.create(rawKey);
  const tokens = new TokenService(db, box, cfg.issuer);
  await tokens.ensureKey();
  const preset =
    cfg.rootAccessKey && cfg.rootSecretKey
      ? { accessKeyId: cfg.rootAccessKey, secretAccessKey: cfg.rootSecretKey }
      : null;
  await ensureRootAccount({ db, box }, preset, cfg.quotaDefaults);
  const nodeId = `worker_${randomBase32(12)}`;
  await heartbeat(db, nodeId);
  const store = new R2ChunkStore(env.CHUNKS);
  const requestLog = new BatchingRequestLog(dbLogWriter(db, nodeId), nodeId, {
    ...cfg.log,
    flushMs: 0,
    warn: (m) => console.error(m),
  });
  const prices = env.QOIMA_PRICES ? PriceList.parse(JSON.parse(env.QOIMA_PRICES)) : DEFAULT_PRICES;
  const billing = new Billing(db, prices, cfg.trialDays);
  const app = serviceApp(cfg, {
    db,
    box,
    store,
    tokens,
    requestLog,
    nodeId,
    digests: workersDigests,
    operatorToken: env.QOIMA_OPERATOR_TOKEN ?? null,
    billing,
    txtLookup: dohTxtLookup(env.QOIMA_DOH_URL ?? 'https://cloudflare-dns.com/dns-query'),
    inspectCertificate: () => {
      throw new S3Error(
        'NotImplemented',
        "On Workers, TLS for custom domains is Cloudflare's: add the domain to the worker in the Cloudflare dashboard.",
      );
    },
    getClientAddress: (c) => c.req.header('cf-connecting-ip'),
    waitUntil: (c) => (work) => c.executionCtx.waitUntil(work),
  });
  let lastBeat = Date.now();
  return {
    app,
    beat(ctx) {
      if (Date.now() - lastBeat < cfg.heartbeatMs) return;
      lastBeat = Date.now();
      ctx.waitUntil(heartbeat(db, nodeId).catch((e) => console.error('qoima: heartbeat failed', e)));
    },
    async jobs() {
      await probe(db, nodeId);
      await sampleStorage(db, Date.now(), cfg.storageSampleMs);
      await billing.rollup(rollupOptions(cfg));
      await runMaintenance(db, store, maintenanceOptions(cfg));
    },
  };
}

function isolateFor(env: Env): Promise<Isolate> {
  isolate ??= setUp(env).catch((e: unknown) => {
    isolate = null; // the next request tries again
    throw e;
  });
  return isolate;
}

export default {
  async fetch(request, env, ctx) {
    let it: Isolate;
    try {
      it = await isolateFor(env);
    } catch (e) {
      console.error('qoima: cannot start', e);
      return errorResponse(
        new S3Error('ServiceUnavailable', 'The service is starting or misconfigured; try again shortly.'),
        request.method,
        new URL(request.url).pathname,
        crypto.randomUUID(),
      );
    }
    it.beat(ctx);
    return withLength(request.method, await it.app.fetch(asSent(request), env, ctx));
  },
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil((await isolateFor(env)).jobs());
  },
} satisfies ExportedHandler<Env>;
