/**
 * Qoima's app without sockets: the compiled service (`dist/`, as `npm start` runs it) opened on an
 * existing data directory, its `fetch` called in a loop with 16 requests in flight, for `<seconds>`
 * after a warm-up. @hono/node-server's lightweight Request/Response are installed as `serve()` installs
 * them, and a response is read as the server reads it (its cached status, body and headers), so what is
 * measured is the app's own work, request log included: no HTTP parsing, no socket, no client on the
 * same cores, and a figure that moves by a few percent from run to run instead of tens.
 * `node --import tsx app-loop.ts <dataDir> <path> <seconds>`;
 * prints `app-loop {"requests": n, "cpuMicros": m}`.
 * `... <dataDir> <path> count:<n>`: for callgrind (rows/10-small.ts), 4,000 requests to warm up, then
 * `warm` on stdout and a wait for SIGUSR2 (the bench turns instrumentation on meanwhile), then exactly n
 * requests, and exit.
 */
import { getRequestListener } from '@hono/node-server';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../lib/procs.ts';

const [dataDir, path, length] = [process.argv[2]!, process.argv[3]!, process.argv[4] ?? '5'];
getRequestListener(() => new Response(null)); // installs the lightweight Request and Response

const dist = (p: string) => import(pathToFileURL(join(ROOT, 'dist', p)).href);
const { loadConfig } = await dist('local/config.js');
const { openService } = await dist('local/service.js');
const { requestLogWriter } = await dist('node/log-thread.js');
const env = { ...process.env, QOIMA_DATA_DIR: dataDir, QOIMA_WORKERS: '1' };
const cfg = loadConfig(env, []);
const service = await openService(cfg, {
  txtLookup: async () => [],
  getRawTarget: (c: { env?: { incoming?: { url?: string } } }) => c.env?.incoming?.url,
  getClientAddress: () => '127.0.0.1',
  logWriter: (db: unknown, nodeId: string) => requestLogWriter(cfg, db, nodeId),
});

const url = `http://127.0.0.1${path}`;
const headers = { host: '127.0.0.1', 'user-agent': 'app-loop' };
const fetchOne = async () => {
  const res: Response = await service.fetch(new Request(url, { headers }), { incoming: { url: path } });
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
  const cache = Object.getOwnPropertySymbols(res).find((k) => k.description === 'cache');
  const cached = cache && (res as unknown as Record<symbol, [number, unknown, unknown]>)[cache];
  if (!cached) return void (await res.arrayBuffer()); // (not the lightweight kind: read it as a client)
  if (cached[2] instanceof Headers) for (const _ of cached[2]); // what the server does to send them
};
const run = async (until: (n: number) => boolean) => {
  let n = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (!until(n)) {
        n++;
        await fetchOne();
      }
    }),
  );
  return n;
};
const counted = /^count:(\d+)$/.exec(length);
if (counted) {
  await run((n) => n >= 4000);
  console.log('warm');
  await new Promise((resolve) => process.once('SIGUSR2', resolve));
  await run((n) => n >= Number(counted[1]));
  process.exit(0);
}
const timed = (ms: number) => {
  const until = performance.now() + ms;
  return run(() => performance.now() >= until);
};
await timed(1000);
const before = process.cpuUsage();
const requests = await timed(Number(length) * 1000);
const used = process.cpuUsage(before);
console.log(`app-loop ${JSON.stringify({ requests, cpuMicros: used.user + used.system })}`);
process.exit(0); // (rows still queued for the request log are the loop's own; nothing to keep)
