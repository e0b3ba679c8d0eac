/**
 * Qoima on Node: reads settings, opens the data directory, serves the core app with @hono/node-server
 * over HTTP (and HTTPS when QOIMA_HTTPS_PORT is set: per-domain certificates by SNI, else the
 * service's own from QOIMA_TLS_CERT / QOIMA_TLS_KEY). With QOIMA_WORKERS above 1 (default: one per
 * core) this process becomes the primary of that many serving processes (cluster.ts), each running
 * the rest of this file.
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish (bounded), then exit 0.
 */
import { type Server as HttpsServer, createServer as createHttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpBindings, type ServerType, serve } from '@hono/node-server';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { type Config, ConfigError, endpointOf, loadConfig } from '../local/config.ts';
import { type ReadyMessage, runPrimary } from './cluster.ts';
import { openService } from '../local/service.ts';
import { askForBody, continueOnRead, deferContinue } from './continue.ts';
import { txtLookup } from './dns.ts';
import { fewerWrites } from './fewer-writes.ts';
import { givingBack } from './give-back.ts';
import { sendTimeout } from './send-timeout.ts';
import { writeEnvFile } from '../local/env-file.ts';
import { requestLogWriter } from './log-thread.ts';
import { requestBody } from './request-body.ts';
import { logRefusedHandshakes, serviceCertificate, sniCallback } from './tls.ts';

/** The names in Node's raw headers (name, value, name, value, ...), as sent. */
function rawHeaderNames(raw: string[] | undefined): string[] | undefined {
  if (!raw) return undefined;
  const names: string[] = [];
  for (let i = 0; i < raw.length; i += 2) names.push(raw[i]!);
  return names;
}

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
  const timedOut = await Promise.race([
    closed.then(() => false),
    new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref()),
  ]);
  clearInterval(idleSweep);
  if (timedOut) http.closeAllConnections?.();
  return timedOut;
}

async function main(): Promise<void> {
  const cfg = loadConfig(process.env, process.argv.slice(2));
  const count = cfg.workers || availableParallelism();
  if (cluster.isPrimary && count > 1) return runPrimary(cfg, count);
  return serveProcess(cfg);
}

/** One serving process: the whole service alone, or one of the machine's (cluster.ts). */
async function serveProcess(cfg: Config): Promise<void> {
  const own = cfg.httpsPort !== undefined ? await serviceCertificate(cfg.tls) : null;
  const service = await openService(cfg, {
    txtLookup: txtLookup(cfg.dnsServers),
    getRawTarget: (c) => (c.env as HttpBindings | undefined)?.incoming?.url,
    getClientAddress: (c) => (c.env as HttpBindings | undefined)?.incoming?.socket?.remoteAddress,
    getHeaderNames: (c) => rawHeaderNames((c.env as HttpBindings | undefined)?.incoming?.rawHeaders),
    getBody: (c) => {
      const incoming = (c.env as HttpBindings | undefined)?.incoming;
      return incoming && requestBody(incoming, () => askForBody(incoming), cfg.bodyIdleMs);
    },
    logWriter: (db, nodeId) => requestLogWriter(cfg, db, nodeId),
  });
  const { db, box, freshness } = service;

  // multi-GiB uploads take longer than Node's default 5-minute request timeout; sent chunk buffers go
  // back to the store's pool (give-back.ts); a client that stops taking a response is cut off
  // (send-timeout.ts); and fewer writes wake the client (fewer-writes.ts)
  const ServerResponse = fewerWrites(sendTimeout(givingBack(service.chunkBuffers), cfg.sendTimeoutMs));
  const serverOptions = { requestTimeout: 0, keepAliveTimeout: 65_000, ServerResponse };
  const fetch = continueOnRead(service.fetch);
  const servers: ServerType[] = [serve({ fetch, hostname: cfg.host, port: cfg.port, serverOptions })];
  for (const s of servers) deferContinue(s as HttpServer);
  const port = await listen(servers[0]!);
  let httpsPort: number | null = null;
  if (cfg.httpsPort !== undefined) {
    const tlsOptions = {
      ...own,
      SNICallback: sniCallback(db, box, own && createSecureContext(own), freshness),
    };
    const https = serve({
      fetch,
      hostname: cfg.host,
      port: cfg.httpsPort,
      createServer: createHttpsServer,
      serverOptions: { ...serverOptions, ...tlsOptions },
    });
    logRefusedHandshakes(https as HttpsServer, own !== null);
    deferContinue(https as HttpsServer);
    servers.push(https);
    httpsPort = await listen(https);
  }
  const endpoint = endpointOf(cfg.host, port);

  await service.ensureFirstAccount(endpoint);
  if (cfg.workerSlot === 0) {
    const env = await writeEnvFile(service, cfg, endpoint);
    console.log(`qoima: first account ${env.accountId ?? '(none)'}; for a shell: source ${env.path}`);
  }

  await service.startJobs({ background: cfg.workerSlot === 0 });
  const stop = async (signal: string) => {
    await service.shutdown(signal, async () =>
      (await Promise.all(servers.map((s) => drain(s, cfg.shutdownGraceMs)))).some(Boolean),
    );
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  if (cluster.isWorker) {
    process.send!({ qoimaReady: { endpoint, httpsPort } } satisfies ReadyMessage);
    return;
  }
  const tls = httpsPort !== null ? `, https on port ${httpsPort}` : '';
  console.log(`qoima: ready on ${endpoint} (region ${cfg.region}, data in ${cfg.dataDir}${tls})`);
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) console.error(`qoima: configuration: ${e.message}`);
  else console.error('qoima: failed to start:', e);
  process.exit(1);
});
