/**
 * `npm run bench`: Qoima against baselines measured in the same run on the same machine.
 *  - GET throughput, 1 MiB and 256 MiB objects, 1 and 16 clients: Qoima vs nginx serving the same bytes
 *    from a plain directory (sendfile), both on loopback, both driven by wrk;
 *  - GET requests/s for a 4 KiB object at 64 connections: Qoima vs nginx;
 *  - PUT throughput of a 1 GiB object vs `sha256sum` of the same file;
 *  - peak RSS of the Qoima process during a 2 GiB PUT and a 2 GiB GET.
 * Qoima is reached through presigned URLs (what browsers use), so every request is verified.
 * Needs Debian's nginx and wrk (installed with apt-get when missing and running as root).
 * BENCH_SECONDS (default 5) sets each wrk run's length; BENCH_ONLY (a regular expression) keeps only the
 * groups whose name matches: `get-large`, `get-4k`, `log`, `put`, `rss`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const ROOT = resolve(import.meta.dirname, '../..');
const MiB = 1024 * 1024;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const wanted = (group: string) => !ONLY || ONLY.test(group);
const CREDS = { accessKeyId: 'benchadmin', secretAccessKey: 'bench-secret-key' };

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ensureTools() {
  const missing = ['nginx', 'wrk'].filter((c) => !have(c) && !(c === 'nginx' && have('/usr/sbin/nginx')));
  if (!missing.length) return;
  if (process.getuid?.() !== 0)
    throw new Error(`bench needs ${missing.join(' and ')} (apt-get install ${missing.join(' ')})`);
  console.error(`bench: installing ${missing.join(', ')} with apt-get ...`);
  execFileSync(
    'sh',
    [
      '-c',
      `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`,
    ],
    { stdio: 'inherit' },
  );
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

async function randomFile(path: string, bytes: number) {
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

async function startQoima(
  dataDir: string,
  port: number,
  extraEnv: Record<string, string> = {},
): Promise<{ proc: ChildProcess; endpoint: string }> {
  // the compiled server, as `npm start` runs it (npm run bench builds it first)
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server under load
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, 'dist/node/main.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      QOIMA_PORT: String(port),
      QOIMA_DATA_DIR: dataDir,
      QOIMA_ROOT_ACCESS_KEY: CREDS.accessKeyId,
      QOIMA_ROOT_SECRET_KEY: CREDS.secretAccessKey,
      // the benchmark measures the server, not the fair-use limits
      QOIMA_DEFAULT_REQUESTS_PER_SECOND: '10000000',
      QOIMA_DEFAULT_BYTES_PER_SECOND: String(1024 ** 4),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((res, rej) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready on (http:\/\/\S+)/.exec(out);
      if (m) res(m[1]!);
    });
    proc.once('exit', (c) => rej(new Error(`qoima exited ${c}`)));
  });
  return { proc, endpoint };
}

async function startNginx(dir: string, root: string): Promise<{ proc: ChildProcess; endpoint: string }> {
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; root ${root}; }
}
`,
  );
  const bin = have('nginx') ? 'nginx' : '/usr/sbin/nginx';
  const proc = spawn(bin, ['-c', conf, '-p', dir, '-g', 'daemon off;'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${endpoint}/`).then(
        () => true,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, endpoint };
}

interface WrkResult {
  requestsPerSec: number;
  bytesPerSec: number;
}

function wrk(url: string, connections: number, seconds = SECONDS): WrkResult {
  const threads = Math.min(2, connections);
  const out = execFileSync(
    'wrk',
    ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency', url],
    { encoding: 'utf8' },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const m = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
  const unit = { B: 1, KB: 1024, MB: MiB, GB: 1024 * MiB }[(m?.[2] ?? 'B') as 'B'];
  return { requestsPerSec: rps, bytesPerSec: Number(m?.[1] ?? 0) * unit };
}

/** Peak resident set size of `pid` while `work` runs, sampled every 20 ms. */
async function peakRss(pid: number, work: () => Promise<unknown>): Promise<number> {
  let peak = 0;
  const sample = async () => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    peak = Math.max(peak, kb * 1024);
  };
  const timer = setInterval(() => void sample(), 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
    await sample();
  }
  return peak;
}

/** PUT a file to a presigned URL with Node's http client, streaming it in 1 MiB reads; bytes/s. */
async function putFile(url: string, path: string): Promise<number> {
  const { size } = await stat(path);
  const t0 = performance.now();
  await new Promise<void>((res, rej) => {
    const req = request(url, { method: 'PUT', headers: { 'content-length': String(size) } }, (r) => {
      r.resume();
      r.on('end', () => (r.statusCode === 200 ? res() : rej(new Error(`PUT ${r.statusCode}`))));
    });
    req.on('error', rej);
    createReadStream(path, { highWaterMark: MiB }).pipe(req);
  });
  return size / ((performance.now() - t0) / 1000);
}

async function getToNull(url: string): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  await new Promise<void>((res, rej) => {
    request(url, (r) => {
      r.on('data', (d: Buffer) => (n += d.length));
      r.on('end', () => res());
    })
      .on('error', rej)
      .end();
  });
  return n / ((performance.now() - t0) / 1000);
}

function sha256sumSpeed(path: string, size: number): number {
  const t0 = performance.now();
  execFileSync('sha256sum', [path], { stdio: 'ignore' });
  return size / ((performance.now() - t0) / 1000);
}

const fmtRate = (b: number) => `${(b / 1e6).toFixed(0)} MB/s`;
const fmtRps = (r: number) => `${r.toFixed(0)} req/s`;

async function main() {
  ensureTools();
  const work = await mkdtemp(join(tmpdir(), 'qoima-bench-'));
  await chmod(work, 0o755);
  const www = join(work, 'www');
  await mkdir(www);
  const procs: ChildProcess[] = [];
  try {
    console.error('bench: writing test files ...');
    const files = {
      small: join(www, '4k.bin'),
      mid: join(www, '1m.bin'),
      big: join(www, '256m.bin'),
      put: join(work, '1g.bin'),
      huge: join(work, '2g.bin'),
    };
    await randomFile(files.small, 4096);
    await randomFile(files.mid, MiB);
    await randomFile(files.big, 256 * MiB);
    if (wanted('put')) await randomFile(files.put, 1024 * MiB);
    if (wanted('rss')) await randomFile(files.huge, 2048 * MiB);

    const qport = await freePort();
    const q = await startQoima(join(work, 'qoima-data'), qport);
    procs.push(q.proc);
    const n = await startNginx(work, www);
    procs.push(n.proc);
    const s3 = new S3Client({
      endpoint: q.endpoint,
      region: 'us-east-1',
      credentials: CREDS,
      forcePathStyle: true,
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
    const url = (cmd: GetObjectCommand | PutObjectCommand) =>
      getSignedUrl(s3, cmd, { expiresIn: 7 * 24 * 3600 });
    for (const [key, path] of [
      ['4k.bin', files.small],
      ['1m.bin', files.mid],
      ['256m.bin', files.big],
    ] as const) {
      await putFile(await url(new PutObjectCommand({ Bucket: 'bench', Key: key })), path);
    }
    const qurl = async (key: string) => url(new GetObjectCommand({ Bucket: 'bench', Key: key }));

    const rows: string[][] = [];
    const row = (
      what: string,
      ours: string,
      base: string,
      ratio: number | null,
      goal: string,
      ok: boolean | null,
    ) =>
      rows.push([
        what,
        ours,
        base,
        ratio === null ? '' : `${ratio.toFixed(2)}×`,
        goal,
        ok === null ? '' : ok ? 'met' : 'MISSED',
      ]);

    for (const [label, key, goal] of wanted('get-large')
      ? ([
          ['1 MiB', '1m.bin', null],
          ['256 MiB', '256m.bin', 0.8],
        ] as const)
      : []) {
      for (const clients of [1, 16]) {
        console.error(`bench: GET ${label}, ${clients} client(s) ...`);
        const seconds = key === '256m.bin' ? Math.max(SECONDS, 8) : SECONDS;
        const ours = wrk(await qurl(key), clients, seconds).bytesPerSec;
        const base = wrk(`${n.endpoint}/${key}`, clients, seconds).bytesPerSec;
        const ratio = ours / base;
        row(
          `GET ${label}, ${clients} client${clients > 1 ? 's' : ''}`,
          fmtRate(ours),
          `nginx ${fmtRate(base)}`,
          ratio,
          goal ? `≥ ${goal}× nginx` : '',
          goal ? ratio >= goal : null,
        );
      }
    }

    if (wanted('get-4k')) {
      console.error('bench: GET 4 KiB, 64 connections ...');
      const ours4k = wrk(await qurl('4k.bin'), 64).requestsPerSec;
      const base4k = wrk(`${n.endpoint}/4k.bin`, 64).requestsPerSec;
      row(
        'GET 4 KiB, 64 connections',
        fmtRps(ours4k),
        `nginx ${fmtRps(base4k)}`,
        ours4k / base4k,
        '≥ 0.5× nginx',
        ours4k / base4k >= 0.5,
      );
    }

    if (wanted('log')) {
      console.error('bench: GET 4 KiB with the request log on and off ...');
      const quietPort = await freePort();
      const quiet = await startQoima(join(work, 'qoima-data'), quietPort, { QOIMA_REQUEST_LOG: '0' });
      procs.push(quiet.proc);
      const quietS3 = new S3Client({
        endpoint: quiet.endpoint,
        region: 'us-east-1',
        credentials: CREDS,
        forcePathStyle: true,
      });
      const quietUrl = await getSignedUrl(quietS3, new GetObjectCommand({ Bucket: 'bench', Key: '4k.bin' }), {
        expiresIn: 3600,
      });
      const loggedUrl = await qurl('4k.bin');
      // alternated, three rounds each, so drift on a shared machine falls on both sides alike
      let quiet4k = 0;
      let logged4k = 0;
      for (let round = 0; round < 3; round++) {
        quiet4k += wrk(quietUrl, 64).requestsPerSec / 3;
        logged4k += wrk(loggedUrl, 64).requestsPerSec / 3;
      }
      quiet.proc.kill('SIGTERM');
      row(
        'GET 4 KiB, request log on',
        fmtRps(logged4k),
        `log off ${fmtRps(quiet4k)}`,
        logged4k / quiet4k,
        '≥ 0.95× log off',
        logged4k / quiet4k >= 0.95,
      );
    }

    if (wanted('put')) {
      console.error('bench: PUT 1 GiB ...');
      const sumSpeed = sha256sumSpeed(files.put, 1024 * MiB);
      const putSpeed = await putFile(
        await url(new PutObjectCommand({ Bucket: 'bench', Key: '1g.bin' })),
        files.put,
      );
      row(
        'PUT 1 GiB',
        fmtRate(putSpeed),
        `sha256sum ${fmtRate(sumSpeed)}`,
        putSpeed / sumSpeed,
        '≥ 0.7× sha256sum',
        putSpeed / sumSpeed >= 0.7,
      );
    }

    if (wanted('rss')) {
      console.error('bench: peak RSS, 2 GiB PUT and GET ...');
      // each on a freshly started process, so one measurement does not inherit the other's heap
      const restart = async () => {
        q.proc.kill('SIGTERM');
        await new Promise((r) => q.proc.once('exit', r));
        Object.assign(q, await startQoima(join(work, 'qoima-data'), qport));
        procs.push(q.proc);
      };
      await restart();
      const rssPut = await peakRss(q.proc.pid!, async () =>
        putFile(await url(new PutObjectCommand({ Bucket: 'bench', Key: '2g.bin' })), files.huge),
      );
      await restart();
      const rssGet = await peakRss(q.proc.pid!, async () => getToNull(await qurl('2g.bin')));
      for (const [what, v] of [
        ['peak RSS, 2 GiB PUT', rssPut],
        ['peak RSS, 2 GiB GET', rssGet],
      ] as const) {
        row(what, `${(v / MiB).toFixed(0)} MiB`, '', null, '< 256 MiB', v < 256 * MiB);
      }
    }

    const head = ['measurement', 'Qoima', 'baseline (same run)', 'ratio', 'goal', ''];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    console.log(line(head));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows) console.log(line(r));
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error('bench failed:', e);
  process.exit(1);
});
