/**
 * Runs wrk (Debian's) and reads its report: requests/s, bytes/s, the 50th and 99th percentile latency
 * (`--latency`), and how many answers were not 2xx/3xx or failed at the socket, so a figure made of
 * refusals never passes for a fast server.
 */
import { execFileSync } from 'node:child_process';
import type { Figure } from './context.ts';

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

export interface WrkResult {
  requestsPerSec: number;
  bytesPerSec: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  /** Non-2xx/3xx answers and socket errors (connect, read, write, timeout), as text; '' if none. */
  failed: string;
}

const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
const TIME: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function percentile(out: string, p: number): number {
  const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
  return m ? Number(m[1]) * TIME[m[2]!]! : Number.NaN;
}

export interface WrkOptions {
  connections: number;
  seconds?: number;
  /** Spelled as wrk expects: a `host` in lower case would be sent beside wrk's own `Host`. */
  headers?: Record<string, string>;
}

export function wrk(url: string, { connections, seconds = SECONDS, headers = {} }: WrkOptions): WrkResult {
  const threads = Math.min(2, connections);
  // a slow answer is a latency to report, not a failure (wrk's own timeout is 2 s)
  const args = [
    '-t',
    String(threads),
    '-c',
    String(connections),
    '-d',
    `${seconds}s`,
    '--timeout',
    '30s',
    '--latency',
  ];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  const out = execFileSync('wrk', [...args, url], { encoding: 'utf8' });
  const transfer = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const kinds = ['connect', 'read', 'write', 'timeout'].map(
    (k, i) => [k, Number(socket?.[i + 1] ?? 0)] as const,
  );
  const failed = [['non-2xx', non2xx] as const, ...kinds]
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  return {
    requestsPerSec: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    bytesPerSec: Number(transfer?.[1] ?? 0) * (UNITS[transfer?.[2] ?? 'B'] ?? 1),
    p50: percentile(out, 50),
    p99: percentile(out, 99),
    failed: failed.join(', '),
  };
}

/** A run at the same load whose figures are dropped: every server is measured warm (JIT, caches). */
const WARM_UP_SECONDS = 1;

/** wrk's request rate as a row's figure, after a warm-up run. */
export function requestRate(url: string, opts: WrkOptions): Figure {
  wrk(url, { ...opts, seconds: WARM_UP_SECONDS });
  const r = wrk(url, opts);
  return { value: r.requestsPerSec, unit: 'req/s', p50: r.p50, p99: r.p99, failed: r.failed };
}

/** wrk's transfer rate as a row's figure. */
export function transferRate(url: string, opts: WrkOptions): Figure {
  const r = wrk(url, opts);
  return { value: r.bytesPerSec, unit: 'B/s', p50: r.p50, p99: r.p99, failed: r.failed };
}
