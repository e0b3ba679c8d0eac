/// <reference lib="deno.ns" />
/**
 * Qoima on Deno: the same service as on Node — data directory, libSQL file, filesystem chunk store
 * (src/local, which runs here through Deno's Node compatibility) — served by Deno.serve.
 * `npm run start:deno`.
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish (bounded), then exit 0.
 */
import { ConfigError, endpointOf, loadConfig } from '../local/config.ts';
import { writeEnvFile } from '../local/env-file.ts';
import { openService } from '../local/service.ts';
import { txtLookup } from './dns.ts';

type Env = { remoteAddr?: Deno.NetAddr };

async function main(): Promise<void> {
  const cfg = loadConfig(Deno.env.toObject(), Deno.args);
  const service = await openService(cfg, {
    txtLookup: txtLookup(cfg.dnsServers),
    getClientAddress: (c) => (c.env as Env | undefined)?.remoteAddr?.hostname,
  });

  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve(
    { hostname: cfg.host, port: cfg.port, onListen: (addr) => listening.resolve(addr as Deno.NetAddr) },
    (req, info) => service.fetch(req, { remoteAddr: info.remoteAddr } satisfies Env),
  );
  const endpoint = endpointOf(cfg.host, (await listening.promise).port);
  await service.ensureFirstAccount(endpoint);
  const env = await writeEnvFile(service, cfg, endpoint);
  console.log(`qoima: first account ${env.accountId ?? '(none)'}; for a shell: source ${env.path}`);
  await service.startJobs();
  const stop = async (signal: string) => {
    await service.shutdown(signal, () => {
      const grace = new Promise<boolean>((r) => setTimeout(() => r(true), cfg.shutdownGraceMs));
      return Promise.race([server.shutdown().then(() => false), grace]);
    });
    Deno.exit(0);
  };
  Deno.addSignalListener('SIGTERM', () => void stop('SIGTERM'));
  Deno.addSignalListener('SIGINT', () => void stop('SIGINT'));

  console.log(
    `qoima: ready on ${endpoint} (region ${cfg.region}, data in ${cfg.dataDir}, on Deno ${Deno.version.deno})`,
  );
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) console.error(`qoima: configuration: ${e.message}`);
  else console.error('qoima: failed to start:', e);
  Deno.exit(1);
});
