/**
 * Small objects at 64 connections (wrk -t2 -c64), the way browsers fetch a site's files: Qoima's
 * anonymous GET of a public-read object (4 KiB and 64 KiB), its website host (`/` → index.html, 4 KiB)
 * and a presigned GET, beside nginx, a bare Hono app (the ceiling of Qoima's stack) and s3rver serving
 * the same bytes.
 */
import {
  type Bench,
  type Compare,
  type Figure,
  PRIVATE,
  PUBLIC,
  type Row,
  WEBSITE_HOST,
} from '../lib/context.ts';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../lib/procs.ts';
import { SECONDS, requestRate } from '../lib/wrk.ts';

export const C = 64;
const KiB = 1024;
export const vs = (what: string, goals: { nginx?: number; hono?: number } = {}): Compare[] => [
  { row: `${what} · nginx`, name: 'nginx', goal: goals.nginx },
  { row: `${what} · bare Hono`, name: 'bare Hono', goal: goals.hono },
];

const sized = (
  what: string,
  name: string,
  bytes: number,
  goals: { nginx?: number; hono?: number },
): Row[] => [
  {
    what,
    who: 'nginx',
    measure: async (b) => {
      await b.file(name, bytes);
      return requestRate(`${(await b.nginx()).endpoint}/${name}`, { connections: C });
    },
  },
  {
    what,
    who: 'bare Hono',
    measure: async (b) => {
      await b.file(name, bytes);
      return requestRate(`${(await b.bareHono()).endpoint}/${name}`, { connections: C });
    },
  },
  {
    what,
    who: 's3rver anonymous',
    compare: vs(what),
    measure: async (b) => {
      const s = await b.s3rverObject(name, bytes);
      return requestRate(`${s.endpoint}/${PRIVATE}/${name}`, { connections: C });
    },
  },
  {
    what,
    who: 'Qoima anonymous',
    compare: vs(what, goals),
    measure: async (b) => {
      const q = await b.qoima();
      await b.stored(q, PUBLIC, name, bytes);
      return requestRate(`${q.server.endpoint}/${PUBLIC}/${name}`, { connections: C });
    },
  },
];

export const GET_4K = `GET 4 KiB, ${C} conns`;

/**
 * The app alone (servers/app-loop.ts): anonymous GETs of `pub/4k.bin` per second of CPU, every thread
 * of the process counted, no socket and no client; a figure steady enough to show a cut of a few percent.
 */
async function appLoop(b: Bench) {
  const q = await b.qoima();
  await b.stored(q, PUBLIC, '4k.bin', 4 * KiB);
  const script = join(ROOT, 'test/bench/servers/app-loop.ts');
  const args = ['--import', 'tsx', script, q.dataDir, `/${PUBLIC}/4k.bin`, String(SECONDS)];
  const out = execFileSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...q.env },
  });
  const { requests, cpuMicros } = JSON.parse(/^app-loop (.*)$/m.exec(out)![1]!) as Record<string, number>;
  return { value: (requests! * 1e6) / cpuMicros!, unit: 'req/s' as const };
}

/**
 * The same loop under valgrind's callgrind: instructions per anonymous 4 KiB GET, counted only while
 * 3,000 requests run after 4,000 to warm up. It does not move with the machine's load: two builds run
 * side by side agree to about 1 % from pair to pair, and runs of one build a few minutes apart within
 * about 10 % (the bench's server shares the data directory, and its background work varies). It counts
 * user-space instructions only (no kernel, no socket) in every thread (the request log's too).
 */
async function appInstructions(b: Bench): Promise<Figure> {
  const q = await b.qoima();
  await b.stored(q, PUBLIC, '4k.bin', 4 * KiB);
  const n = 3000;
  const out = join(b.work, 'callgrind.out');
  const script = join(ROOT, 'test/bench/servers/app-loop.ts');
  const args = [
    '--tool=callgrind',
    '--instr-atstart=no',
    `--callgrind-out-file=${out}`,
    '--smc-check=all-non-file',
  ];
  const p = spawn(
    'valgrind',
    [...args, process.execPath, '--import', 'tsx', script, q.dataDir, `/${PUBLIC}/4k.bin`, `count:${n}`],
    {
      cwd: ROOT,
      env: { ...process.env, ...q.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => p.once('exit', r));
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => d.toString().includes('warm') && resolve());
    void exited.then((code) => reject(new Error(`app-loop under callgrind exited ${code}:\n${stderr}`)));
  });
  execFileSync('callgrind_control', ['-i', 'on', String(p.pid)], { stdio: 'ignore' });
  p.kill('SIGUSR2');
  await exited;
  const collected = /Collected : ([\d,]+)/.exec(stderr);
  if (!collected) throw new Error(`callgrind printed no count:\n${stderr}`);
  return { value: Number(collected[1]!.replaceAll(',', '')) / n, unit: 'instr' };
}

export const SITE = `GET / (index.html, 4 KiB), ${C} conns`;

export const rows: Row[] = [
  ...sized(GET_4K, '4k.bin', 4 * KiB, { nginx: 0.25, hono: 0.5 }),
  { what: 'GET 4 KiB, the app without sockets, per CPU-second', who: 'Qoima anonymous', measure: appLoop },
  {
    what: 'GET 4 KiB, the app without sockets, instructions a request (callgrind)',
    who: 'Qoima anonymous',
    measure: appInstructions,
  },
  {
    what: GET_4K,
    who: 's3rver presigned',
    compare: vs(GET_4K),
    measure: async (b) => {
      const s = await b.s3rverObject('4k.bin', 4 * KiB);
      return requestRate(await b.presignedGet(s.s3, PRIVATE, '4k.bin'), { connections: C });
    },
  },
  {
    what: GET_4K,
    who: 'Qoima presigned',
    compare: vs(GET_4K, { nginx: 0.2 }),
    measure: async (b) => {
      const q = await b.qoima();
      await b.stored(q, PRIVATE, '4k.bin', 4 * KiB);
      return requestRate(await b.presignedGet(q.s3, PRIVATE, '4k.bin'), { connections: C });
    },
  },
  ...sized(`GET 64 KiB, ${C} conns`, '64k.bin', 64 * KiB, {}),
  {
    what: SITE,
    who: 'nginx',
    measure: async (b) => {
      await b.file('index.html', 4 * KiB);
      return requestRate(`${(await b.nginx()).endpoint}/`, { connections: C });
    },
  },
  {
    what: SITE,
    who: 'bare Hono',
    measure: async (b) => {
      await b.file('index.html', 4 * KiB);
      return requestRate(`${(await b.bareHono()).endpoint}/index.html`, { connections: C });
    },
  },
  {
    what: SITE,
    who: 'Qoima website host',
    compare: vs(SITE),
    measure: async (b) => websiteRate(b, 'node'),
  },
];

/** `GET /` on bucket `pub`'s website host: the Host header names the site, the address is loopback. */
export async function websiteRate(b: Bench, runtime: 'node' | 'deno') {
  const q = await b.qoima(runtime);
  await b.stored(q, PUBLIC, 'index.html', 4 * KiB);
  const port = new URL(q.server.endpoint).port;
  return requestRate(`${q.server.endpoint}/`, {
    connections: C,
    headers: { Host: `${WEBSITE_HOST}:${port}` },
  });
}
