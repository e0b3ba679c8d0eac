/**
 * Starting and stopping the servers the bench compares: Qoima (the compiled Node entry or the Deno entry),
 * nginx (Debian's, with a config written into the bench's temp directory) and the Node baselines in
 * `test/bench/servers/`. Every server listens on an ephemeral loopback port and is a child process, so
 * the bench's own event loop never shares a thread with a server under test.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');

export interface Server {
  proc: ChildProcess;
  endpoint: string;
}

export function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const nginxBin = () => (have('nginx') ? 'nginx' : '/usr/sbin/nginx');

/** wrk, nginx and valgrind come from Debian; installed with apt-get when missing and running as root. */
export function ensureTools(): void {
  const missing = ['nginx', 'wrk', 'valgrind'].filter(
    (c) => !have(c) && !(c === 'nginx' && have('/usr/sbin/nginx')),
  );
  if (!missing.length) return;
  if (process.getuid?.() !== 0)
    throw new Error(`bench needs ${missing.join(' and ')} (apt-get install ${missing.join(' ')})`);
  console.error(`bench: installing ${missing.join(', ')} with apt-get ...`);
  const apt = 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq';
  const install = `apt-get update -qq && ${apt} ${missing.join(' ')}`;
  execFileSync('sh', ['-c', install], { stdio: 'inherit' });
}

export async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

/** Spawns `cmd` and resolves once its stdout matches `ready` (group 1: the endpoint). */
export async function spawnReady(
  cmd: string,
  args: string[],
  env: Record<string, string | undefined>,
  ready: RegExp,
): Promise<Server> {
  const proc = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  const endpoint = await new Promise<string>((res, rej) => {
    let out = '';
    const timer = setTimeout(
      () => rej(new Error(`${cmd} ${args.join(' ')} did not start:\n${out}`)),
      180_000,
    );
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    });
    proc.once('exit', (c) => {
      clearTimeout(timer);
      rej(new Error(`${cmd} exited ${c} before it was ready:\n${out}`));
    });
  });
  proc.stdout!.resume();
  return { proc, endpoint };
}

export const CREDS = { accessKeyId: 'benchadmin', secretAccessKey: 'bench-secret-key' };

export type Runtime = 'node' | 'deno';

/**
 * Qoima as `npm start` runs it (compiled; `npm run bench` builds first) or as `npm run start:deno` does.
 * The environment passes through, so `QOIMA_WORKERS` reaches the server under test.
 * BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the Node server under load.
 */
export async function startQoima(
  runtime: Runtime,
  dataDir: string,
  extraEnv: Record<string, string> = {},
): Promise<Server> {
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const [cmd, args] =
    runtime === 'node'
      ? [process.execPath, [...nodeArgs, 'dist/node/main.js']]
      : [
          join(ROOT, 'node_modules/.bin/deno'),
          [
            'run',
            '--allow-net',
            '--allow-read',
            '--allow-write',
            '--allow-env',
            '--allow-ffi',
            '--allow-sys',
          ].concat(['src/deno/main.ts']),
        ];
  const env = {
    ...process.env,
    QOIMA_PORT: String(await freePort()),
    QOIMA_DATA_DIR: dataDir,
    QOIMA_ROOT_ACCESS_KEY: CREDS.accessKeyId,
    QOIMA_ROOT_SECRET_KEY: CREDS.secretAccessKey,
    // the benchmark measures the server, not the fair-use limits
    QOIMA_DEFAULT_REQUESTS_PER_SECOND: '10000000',
    QOIMA_DEFAULT_BYTES_PER_SECOND: String(1024 ** 4),
    QOIMA_CLIENT_REFUSALS_PER_SECOND: '10000000',
    ...extraEnv,
  };
  return spawnReady(cmd, args, env, /ready on (http:\/\/\S+)/);
}

/** A baseline server from `test/bench/servers/<name>.ts`; it prints `listening on <endpoint>`. */
export async function startBaseline(name: string, args: string[]): Promise<Server> {
  const script = join(ROOT, 'test/bench/servers', `${name}.ts`);
  return spawnReady(
    process.execPath,
    ['--import', 'tsx', script, ...args],
    process.env,
    /listening on (\S+)/,
  );
}

/** nginx serving `root` with sendfile and no access log, as a static file server is usually run. */
export async function startNginx(dir: string, root: string): Promise<Server> {
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  const temps = ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`);
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
  ${temps.map((t) => (t.startsWith('body') ? `client_${t}` : t)).join(' ')}
  server { listen 127.0.0.1:${port}; root ${root}; }
}
`,
  );
  const proc = spawn(nginxBin(), ['-c', conf, '-p', dir, '-g', 'daemon off;'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`${endpoint}/`).then(
      () => true,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, endpoint };
}

/** SIGTERM and wait for the exit (SIGKILL after 10 s). */
export async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
