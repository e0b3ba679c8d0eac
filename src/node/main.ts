/**
 * Qoima on Node: reads settings, opens the data directory, serves the core app with @hono/node-server.
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish (bounded), then exit 0.
 */
import type { AddressInfo } from 'node:net';
import { type HttpBindings, serve } from '@hono/node-server';
import { createApp } from '../core/app.ts';
import { heartbeat, leaveCluster } from '../core/block/gc.ts';
import { runMaintenance } from '../core/model/maintenance.ts';
import { randomBase32 } from '../core/digests.ts';
import { CredentialCache } from '../core/model/accounts.ts';
import { ConfigError, endpointOf, loadConfig, maintenanceOptions } from './config.ts';
import { ensureFirstAccount, openDataDir } from './bootstrap.ts';
import { nodeDigests } from './digests.ts';

async function main(): Promise<void> {
  const cfg = loadConfig(process.env, process.argv.slice(2));
  const opened = await openDataDir(cfg);
  const { db, box, store, client } = opened;
  const nodeId = `node_${randomBase32(12)}`;
  await heartbeat(db, nodeId);

  const credentials = new CredentialCache({ db, box });
  const app = createApp({
    db,
    store,
    digests: nodeDigests,
    nodeId,
    region: cfg.region,
    baseDomains: cfg.baseDomains,
    limits: { chunkSize: cfg.chunkSize, inlineMax: cfg.inlineMax, maxSize: cfg.maxObjectSize },
    lookupCredential: credentials.lookup,
    getRawTarget: (c) => (c.env as HttpBindings | undefined)?.incoming?.url,
  });

  const server = serve({
    fetch: app.fetch,
    hostname: cfg.host,
    port: cfg.port,
    // multi-GiB uploads take longer than Node's default 5-minute request timeout
    serverOptions: { requestTimeout: 0, keepAliveTimeout: 65_000 },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = endpointOf(cfg.host, port);

  const created = await ensureFirstAccount({ db, box }, cfg, endpoint);
  if (created) {
    console.log(`qoima: root user of the first account (also in ${cfg.dataDir}/root-credentials.json, mode 0600):`);
    console.log(`qoima:   access key id:     ${created.accessKeyId}`);
    console.log(`qoima:   secret access key: ${created.secretAccessKey}`);
  }

  const timers = [
    setInterval(() => void heartbeat(db, nodeId).catch((e) => console.error('qoima: heartbeat failed', e)), cfg.heartbeatMs),
    setInterval(() => {
      void runMaintenance(db, store, maintenanceOptions(cfg))
        .then(() => store.sweepTemporary())
        .catch((e) => console.error('qoima: maintenance failed', e));
    }, cfg.gcIntervalMs),
  ];
  for (const t of timers) t.unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`qoima: ${signal}: finishing in-flight requests (up to ${cfg.shutdownGraceMs / 1000}s)`);
    for (const t of timers) clearInterval(t);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const http = server as unknown as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
    http.closeIdleConnections?.();
    const idleSweep = setInterval(() => http.closeIdleConnections?.(), 100);
    const timedOut = await Promise.race([closed.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), cfg.shutdownGraceMs).unref())]);
    clearInterval(idleSweep);
    if (timedOut) {
      console.log('qoima: grace period over, closing remaining connections');
      http.closeAllConnections?.();
    }
    await leaveCluster(db, nodeId).catch(() => {});
    client.close();
    console.log('qoima: stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  console.log(`qoima: ready on ${endpoint} (region ${cfg.region}, data in ${cfg.dataDir})`);
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) console.error(`qoima: configuration: ${e.message}`);
  else console.error('qoima: failed to start:', e);
  process.exit(1);
});
