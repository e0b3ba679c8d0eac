/**
 * Qoima on Node: reads settings, opens the data directory, serves the core app with @hono/node-server
 * over HTTP (and HTTPS with per-domain certificates when QOIMA_HTTPS_PORT is set).
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish (bounded), then exit 0.
 */
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type HttpBindings, type ServerType, serve } from '@hono/node-server';
import { createApp } from '../core/app.ts';
import { heartbeat, leaveCluster } from '../core/block/gc.ts';
import { randomBase32 } from '../core/digests.ts';
import { CredentialCache } from '../core/model/accounts.ts';
import { bucketForDomain } from '../core/model/domains.ts';
import { runMaintenance } from '../core/model/maintenance.ts';
import { AccountLimits } from '../core/s3/fairuse.ts';
import { cachedLookup } from '../core/s3/hosts.ts';
import { probe } from '../core/billing/prober.ts';
import { rollupAll, sampleStorage } from '../core/billing/rollup.ts';
import { BatchingRequestLog, noRequestLog } from '../core/log/request-log.ts';
import { ensureFirstAccount, openDataDir, requestLogWriter } from './bootstrap.ts';
import { ConfigError, endpointOf, loadConfig, maintenanceOptions, rollupOptions } from './config.ts';
import { nodeDigests } from './digests.ts';
import { txtLookup } from './dns.ts';
import { inspectCertificate, sniCallback } from './tls.ts';

async function listen(server: ServerType): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return (server.address() as AddressInfo).port;
}

/** Stops accepting, waits for in-flight requests up to `graceMs`, then cuts what is left. */
async function drain(server: ServerType, graceMs: number): Promise<boolean> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const http = server as unknown as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
  http.closeIdleConnections?.();
  const idleSweep = setInterval(() => http.closeIdleConnections?.(), 100);
  const timedOut = await Promise.race([closed.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref())]);
  clearInterval(idleSweep);
  if (timedOut) http.closeAllConnections?.();
  return timedOut;
}

async function main(): Promise<void> {
  const cfg = loadConfig(process.env, process.argv.slice(2));
  const { db, box, store, client, tokens, operatorToken, billing } = await openDataDir(cfg);
  const nodeId = `node_${randomBase32(12)}`;
  await heartbeat(db, nodeId);
  const requestLog = cfg.requestLog
    ? new BatchingRequestLog(requestLogWriter(cfg, db, nodeId), nodeId, { ...cfg.log, warn: (m) => console.error(m) })
    : noRequestLog;

  const credentials = new CredentialCache({ db, box });
  const customDomain = cachedLookup((host) => bucketForDomain(db, host));
  const app = createApp({
    db,
    store,
    box,
    digests: nodeDigests,
    nodeId,
    region: cfg.region,
    hosts: { baseDomains: cfg.baseDomains, websiteDomains: cfg.websiteDomains, customDomain, forgetDomain: customDomain.forget },
    limits: { chunkSize: cfg.chunkSize, inlineMax: cfg.inlineMax, maxSize: cfg.maxObjectSize },
    lookupCredential: credentials.lookup,
    txtLookup: txtLookup(cfg.dnsServers),
    inspectCertificate,
    tokens,
    operatorToken,
    accountLimits: new AccountLimits(db, cfg.quotaDefaults),
    requestLog,
    billing,
    getRawTarget: (c) => (c.env as HttpBindings | undefined)?.incoming?.url,
    getClientAddress: (c) => (c.env as HttpBindings | undefined)?.incoming?.socket?.remoteAddress,
  });

  // multi-GiB uploads take longer than Node's default 5-minute request timeout
  const serverOptions = { requestTimeout: 0, keepAliveTimeout: 65_000 };
  const servers: ServerType[] = [serve({ fetch: app.fetch, hostname: cfg.host, port: cfg.port, serverOptions })];
  const port = await listen(servers[0]!);
  let httpsPort: number | null = null;
  if (cfg.httpsPort !== undefined) {
    const https = serve({ fetch: app.fetch, hostname: cfg.host, port: cfg.httpsPort, createServer: createHttpsServer, serverOptions: { ...serverOptions, SNICallback: sniCallback(db, box) } });
    servers.push(https);
    httpsPort = await listen(https);
  }
  const endpoint = endpointOf(cfg.host, port);

  const created = await ensureFirstAccount({ db, box }, cfg, endpoint);
  if (created) {
    console.log(`qoima: root user of the first account (also in ${cfg.dataDir}/root-credentials.json, mode 0600):`);
    console.log(`qoima:   access key id:     ${created.accessKeyId}`);
    console.log(`qoima:   secret access key: ${created.secretAccessKey}`);
  }

  const every = (ms: number, what: string, job: () => Promise<unknown>) => setInterval(() => void job().catch((e) => console.error(`qoima: ${what} failed`, e)), ms);
  await probe(db, nodeId);
  const timers = [
    every(cfg.heartbeatMs, 'heartbeat', () => heartbeat(db, nodeId)),
    every(cfg.probeMs, 'probe', () => probe(db, nodeId)),
    every(Math.min(cfg.storageSampleMs, 60_000), 'metering', async () => {
      await sampleStorage(db, Date.now(), cfg.storageSampleMs);
      await rollupAll(db, rollupOptions(cfg));
    }),
    every(cfg.gcIntervalMs, 'maintenance', async () => {
      await runMaintenance(db, store, maintenanceOptions(cfg));
      await store.sweepTemporary();
    }),
  ];
  for (const t of timers) t.unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`qoima: ${signal}: finishing in-flight requests (up to ${cfg.shutdownGraceMs / 1000}s)`);
    for (const t of timers) clearInterval(t);
    const cut = await Promise.all(servers.map((s) => drain(s, cfg.shutdownGraceMs)));
    if (cut.some(Boolean)) console.log('qoima: grace period over, closed the remaining connections');
    await requestLog.close();
    await leaveCluster(db, nodeId).catch(() => {});
    client.close();
    console.log('qoima: stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const tls = httpsPort !== null ? `, https on port ${httpsPort}` : '';
  console.log(`qoima: ready on ${endpoint} (region ${cfg.region}, data in ${cfg.dataDir}${tls})`);
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) console.error(`qoima: configuration: ${e.message}`);
  else console.error('qoima: failed to start:', e);
  process.exit(1);
});
