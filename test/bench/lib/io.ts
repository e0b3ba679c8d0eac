/**
 * The bench's own I/O: random test files, a streaming PUT and GET with Node's http client, the
 * sha256sum baseline, and the peak resident set size of a server's processes while work runs.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';

export const MiB = 1024 * 1024;

export async function randomFile(path: string, bytes: number): Promise<void> {
  await pipeline(
    (async function* () {
      for (let left = bytes; left > 0; left -= 4 * MiB) {
        const n = Math.min(4 * MiB, left);
        const b = new Uint8Array(n);
        for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
        yield b;
      }
    })(),
    createWriteStream(path),
  );
}

/** PUT a file to a (presigned) URL, streaming it in 1 MiB reads; bytes/s. */
export async function putFile(url: string, path: string, headers: Record<string, string> = {}) {
  const { size } = await stat(path);
  const t0 = performance.now();
  await new Promise<void>((res, rej) => {
    const h = { ...headers, 'content-length': String(size) };
    const req = request(url, { method: 'PUT', headers: h }, (r) => {
      r.resume();
      r.on('end', () => (r.statusCode === 200 ? res() : rej(new Error(`PUT ${url}: ${r.statusCode}`))));
    });
    req.on('error', rej);
    createReadStream(path, { highWaterMark: MiB }).pipe(req);
  });
  return size / ((performance.now() - t0) / 1000);
}

/** GET a URL and throw the bytes away; bytes/s. */
export async function getToNull(url: string): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  await new Promise<void>((res, rej) => {
    request(url, (r) => {
      if (r.statusCode !== 200) rej(new Error(`GET ${url}: ${r.statusCode}`));
      r.on('data', (d: Buffer) => (n += d.length));
      r.on('end', () => res());
    })
      .on('error', rej)
      .end();
  });
  return n / ((performance.now() - t0) / 1000);
}

export function sha256sumSpeed(path: string, size: number): number {
  const t0 = performance.now();
  execFileSync('sha256sum', [path], { stdio: 'ignore' });
  return size / ((performance.now() - t0) / 1000);
}

/** `pid` and every process descended from it (a server with several workers is a tree). */
async function tree(pid: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const s = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // the command name (field 2) may hold spaces and parentheses; the parent pid follows the last ')'
    const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(name)]);
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(parents.get(all[i]!) ?? []));
  return all;
}

/** The largest resident set size of any one process of `pid`'s tree while `work` runs (every 20 ms). */
export async function peakRss(pid: number, work: () => Promise<unknown>): Promise<number> {
  let peak = 0;
  let pids = await tree(pid);
  const refresh = setInterval(async () => (pids = await tree(pid)), 500);
  const sample = async () => {
    for (const p of pids) {
      const status = await readFile(`/proc/${p}/status`, 'utf8').catch(() => '');
      peak = Math.max(peak, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024);
    }
  };
  const timer = setInterval(() => void sample(), 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
    clearInterval(refresh);
    await sample();
  }
  return peak;
}
