/**
 * Qoima on Cloudflare Workers: the core's one start-up path (core/service.ts) with an R2 bucket as its
 * chunk store (or a bucket of an S3 service: QOIMA_CHUNK_STORE=s3, with no local cache) and a libSQL
 * server (sqld or Turso, over HTTP with @libsql/client/web) for metadata and the request log.
 *
 * Settings are the QOIMA_* variables of every runtime (wrangler.toml [vars], secrets for the keys).
 * Each isolate sets itself up on its first request (migrations, signing key, first account) and keeps
 * that for the requests that follow. Request log rows are written through ctx.waitUntil, so no
 * response waits on them; heartbeats ride on requests, and the Cron Trigger runs the other jobs.
 */
import { createClient } from '@libsql/client/web';
import { errorResponse } from '../core/app.ts';
import { ConfigError, loadConfig } from '../core/config.ts';
import { S3Error } from '../core/errors.ts';
import { decodeServerKey, openService, type Service } from '../core/service.ts';
import { workersDigests } from './digests.ts';
import { dohTxtLookup } from './dns.ts';
import { asSent, withLength } from './http.ts';
import { bundledMigrations } from './migrations.ts';
import { R2ChunkStore } from './r2-chunk-store.ts';

export interface Env {
  /** Qoima's own R2 bucket for chunks. */
  CHUNKS: R2Bucket;
  /** Settings (core/config.ts); here QOIMA_DB_URL and QOIMA_SERVER_KEY are required. */
  [setting: `QOIMA_${string}`]: string | undefined;
}

let isolate: Promise<Service> | null = null;

async function setUp(env: Env): Promise<Service> {
  const vars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  const cfg = loadConfig(vars);
  if (!cfg.dbUrl)
    throw new ConfigError('QOIMA_DB_URL is not set: on Workers metadata lives on a libSQL server');
  if (!cfg.serverKey) throw new ConfigError('QOIMA_SERVER_KEY must be set to base64 of 32 bytes');
  const service = await openService(cfg, {
    client: createClient({ url: cfg.dbUrl, authToken: cfg.dbAuthToken }),
    migrations: bundledMigrations,
    key: decodeServerKey(cfg.serverKey, 'QOIMA_SERVER_KEY'),
    store: { own: () => new R2ChunkStore(env.CHUNKS) },
    operatorToken: cfg.operatorToken ?? null,
    nodeKind: 'worker',
    logFlushMs: 0,
    digests: workersDigests,
    txtLookup: dohTxtLookup(cfg.dohUrl),
    inspectCertificate: () => {
      throw new S3Error(
        'NotImplemented',
        "On Workers, TLS for custom domains is Cloudflare's: add the domain to the worker in the Cloudflare dashboard.",
      );
    },
    getClientAddress: (c) => c.req.header('cf-connecting-ip'),
    waitUntil: (c) => (work) => c.executionCtx.waitUntil(work),
  });
  await service.ensureRootAccount();
  return service;
}

function isolateFor(env: Env): Promise<Service> {
  isolate ??= setUp(env).catch((e: unknown) => {
    isolate = null; // the next request tries again
    throw e;
  });
  return isolate;
}

export default {
  async fetch(request, env, ctx) {
    let it: Service;
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
    const beat = it.beatIfDue();
    if (beat) ctx.waitUntil(beat);
    return withLength(request.method, await it.fetch(asSent(request), env, ctx));
  },
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil((await isolateFor(env)).runJobs());
  },
} satisfies ExportedHandler<Env>;
