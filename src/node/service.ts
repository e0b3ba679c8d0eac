/**
 * Qoima as a process with a data directory: opens it, builds the core app and runs the background jobs.
 * Shared by the Node entry (main.ts) and the Deno entry (../deno/main.ts, through Deno's Node
 * compatibility); each entry brings its HTTP server, its DNS and how it learns a client's address.
 */
import type { Client } from '@libsql/client';
import type { Context } from 'hono';
import { type createApp, errorResponse } from '../core/app.ts';
import { serviceApp } from '../core/assemble.ts';
import { heartbeat, leaveCluster } from '../core/block/gc.ts';
import { probe } from '../core/billing/prober.ts';
import { sampleStorage } from '../core/billing/rollup.ts';
import type { Db } from '../core/db/index.ts';
import { randomBase32 } from '../core/digests.ts';
import { BatchingRequestLog, dbLogWriter, type LogWriter, noRequestLog } from '../core/log/request-log.ts';
import type { TxtLookup } from '../core/model/domains.ts';
import { runMaintenance } from '../core/model/maintenance.ts';
import type { SecretBox } from '../core/secretbox.ts';
import { S3Error } from '../core/errors.ts';
import { ensureFirstAccount, openDataDir } from './bootstrap.ts';
import { type Config, maintenanceOptions, rollupOptions } from './config.ts';
import { nodeDigests } from './digests.ts';
import type { ChunkStore } from '../core/block/store.ts';
import { inspectCertificate } from './tls.ts';

/** What an entry knows that the service cannot. */
export interface EntryParts {
  txtLookup: TxtLookup;
  getRawTarget?: (c: Context) => string | undefined;
  getClientAddress?: (c: Context) => string | undefined;
  /** Where the request log writes (default: straight into the database). */
  logWriter?: (db: Db, nodeId: string) => LogWriter;
}

export interface Service {
  app: ReturnType<typeof createApp>;
  /** What the entry serves: the app, once the node's reads are fresh (see replica.ts). */
  fetch: (req: Request, env?: unknown) => Promise<Response>;
  db: Db;
  box: SecretBox;
  client: Client;
  store: ChunkStore;
  nodeId: string;
  /** Creates the first account on a fresh data directory and prints its root user, once. */
  ensureFirstAccount(endpoint: string): Promise<void>;
  /** Starts heartbeats, probes, metering and maintenance. */
  startJobs(): Promise<void>;
  /**
   * The graceful stop: jobs stop, `stopServing` stops accepting and waits for the requests in flight
   * (true: it had to cut some after the grace period), then the request log is drained, this node
   * leaves the cluster and the database is closed. The entry exits afterwards.
   */
  shutdown(signal: string, stopServing: () => Promise<boolean>): Promise<void>;
}

export async function openService(cfg: Config, parts: EntryParts): Promise<Service> {
  const { db, box, store, sweepTemporary, client, tokens, operatorToken, billing, fresh } =
    await openDataDir(cfg);
  const nodeId = `node_${randomBase32(12)}`;
  await heartbeat(db, nodeId);
  const requestLog = cfg.requestLog
    ? new BatchingRequestLog((parts.logWriter ?? dbLogWriter)(db, nodeId), nodeId, {
        ...cfg.log,
        warn: (m) => console.error(m),
      })
    : noRequestLog;

  const app = serviceApp(cfg, {
    db,
    box,
    store,
    tokens,
    billing,
    requestLog,
    nodeId,
    operatorToken,
    digests: nodeDigests,
    txtLookup: parts.txtLookup,
    inspectCertificate,
    getRawTarget: parts.getRawTarget,
    getClientAddress: parts.getClientAddress,
  });

  const fetch = async (req: Request, env?: unknown): Promise<Response> => {
    try {
      await fresh();
    } catch (e) {
      console.error('qoima: database unreachable', e);
      const unavailable = new S3Error(
        'ServiceUnavailable',
        'The metadata database cannot be reached; try again.',
        {
          headers: { 'retry-after': '1' },
        },
      );
      return errorResponse(unavailable, req.method, new URL(req.url).pathname, randomBase32(16));
    }
    return app.fetch(req, env);
  };

  let timers: ReturnType<typeof setInterval>[] = [];
  const startJobs = async () => {
    const every = (ms: number, what: string, job: () => Promise<unknown>) =>
      setInterval(
        () =>
          void fresh()
            .then(job)
            .catch((e) => console.error(`qoima: ${what} failed`, e)),
        ms,
      );
    await probe(db, nodeId);
    timers = [
      every(cfg.heartbeatMs, 'heartbeat', () => heartbeat(db, nodeId)),
      every(cfg.probeMs, 'probe', () => probe(db, nodeId)),
      every(Math.min(cfg.storageSampleMs, 60_000), 'metering', async () => {
        await sampleStorage(db, Date.now(), cfg.storageSampleMs);
        await billing.rollup(rollupOptions(cfg));
      }),
      every(cfg.gcIntervalMs, 'maintenance', async () => {
        await runMaintenance(db, store, maintenanceOptions(cfg));
        await sweepTemporary();
      }),
    ];
    for (const t of timers) (t as { unref?: () => void }).unref?.();
  };

  let stopping: Promise<void> | null = null;
  const shutdown = (signal: string, stopServing: () => Promise<boolean>) =>
    (stopping ??= (async () => {
      console.log(`qoima: ${signal}: finishing in-flight requests (up to ${cfg.shutdownGraceMs / 1000}s)`);
      timers.forEach(clearInterval);
      if (await stopServing()) console.log('qoima: grace period over, closed the remaining connections');
      await requestLog.close();
      await leaveCluster(db, nodeId).catch(() => {});
      client.close();
      console.log('qoima: stopped');
    })());
  const firstAccount = async (endpoint: string) => {
    const created = await ensureFirstAccount({ db, box }, cfg, endpoint);
    if (!created) return;
    console.log(
      `qoima: root user of the first account (also in ${cfg.dataDir}/root-credentials.json, mode 0600):`,
    );
    console.log(`qoima:   access key id:     ${created.accessKeyId}`);
    console.log(`qoima:   secret access key: ${created.secretAccessKey}`);
  };
  return {
    app,
    fetch,
    db,
    box,
    client,
    store,
    nodeId,
    ensureFirstAccount: firstAccount,
    startJobs,
    shutdown,
  };
}
