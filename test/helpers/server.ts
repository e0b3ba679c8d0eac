/**
 * Starts the real Qoima server as a child process on an ephemeral port, with its own data directory,
 * and reads the root credentials it writes: on Node (src/node/main.ts) by default, or on Deno
 * (src/deno/main.ts), or as a Worker under wrangler dev with a local sqld (src/node/dev-workers.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RunningServer {
  endpoint: string;
  port: number;
  /** When started with QOIMA_HTTPS_PORT. */
  httpsPort: number | null;
  dataDir: string;
  creds: Creds;
  /** The settings the test gave (over the defaults below). */
  env: Record<string, string>;
  proc: ChildProcess;
  output: () => string;
  /**
   * The output once it matches `pattern`, checked as each piece arrives (or after `timeoutMs`: the
   * assertion that follows then says what is missing).
   */
  logged: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop: () => Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill: () => Promise<void>;
}

/**
 * Tests drive the server hard (and are refused often, from one address); the fair-use limits get their own
 * tests.
 */
const TEST_LIMITS = {
  QOIMA_DEFAULT_REQUESTS_PER_SECOND: '1000000',
  QOIMA_DEFAULT_BYTES_PER_SECOND: String(1024 ** 4),
  QOIMA_CLIENT_REFUSALS_PER_SECOND: '1000000',
  QOIMA_CONSOLE_FAILURES_PER_ADDRESS: '1000000',
  // one serving process unless a test is about several (test/workers.test.ts)
  QOIMA_WORKERS: '1',
};

/**
 * Every test server's clock can be moved forward (advanceClock), so a test waits for no cache lifetime:
 * the caches read the service's clock, which only the operator, and only with this setting, can move.
 */
const TEST_CLOCK = { QOIMA_TEST_CLOCK: '1' };

export type Runtime = 'node' | 'deno' | 'workers';

/** How each runtime's server is started (the npm scripts' commands). */
const COMMANDS: Record<Runtime, (args: string[]) => [string, string[]]> = {
  node: (args) => [process.execPath, ['--import', 'tsx', 'src/node/main.ts', ...args]],
  deno: (args) => [
    join(ROOT, 'node_modules/.bin/deno'),
    [
      'run',
      '--allow-net',
      '--allow-read',
      '--allow-write',
      '--allow-env',
      '--allow-ffi',
      '--allow-sys',
      'src/deno/main.ts',
      ...args,
    ],
  ],
  workers: (args) => [process.execPath, ['--import', 'tsx', 'src/node/dev-workers.ts', ...args]],
};

export interface StartOptions {
  runtime?: Runtime;
  /** A node joining a service another node created writes no credentials file. */
  credentialsOptional?: boolean;
  dataDir?: string;
  env?: Record<string, string>;
  args?: string[];
}

export async function tempDir(prefix = 'qoima-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function waitForExit(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((r) => proc.once('exit', (code) => r(code)));
}

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? (await tempDir());
  const [command, args] = COMMANDS[opts.runtime ?? 'node'](opts.args ?? []);
  const proc = spawn(command, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      QOIMA_PORT: '0',
      QOIMA_DATA_DIR: dataDir,
      QOIMA_FSYNC: '0',
      ...TEST_LIMITS,
      ...TEST_CLOCK,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiting = new Set<() => void>();
  const more = (d: Buffer) => {
    out += d.toString();
    for (const check of waiting) check();
  };
  proc.stdout!.on('data', more);
  proc.stderr!.on('data', more);
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${out}`)),
      opts.runtime === 'workers' ? 150_000 : 30_000,
    );
    const check = () => {
      const m = /ready on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before it was ready:\n${out}`));
    });
  });
  const saved = await readFile(join(dataDir, 'root-credentials.json'), 'utf8').catch(
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' && opts.credentialsOptional)
        return '{"accessKeyId": "", "secretAccessKey": ""}';
      throw e;
    },
  );
  const creds = JSON.parse(saved) as Creds;
  const https = /https on port (\d+)/.exec(out);
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    httpsPort: https ? Number(https[1]) : null,
    dataDir,
    creds: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    env: opts.env ?? {},
    proc,
    output: () => out,
    logged: (pattern, timeoutMs = 10_000) =>
      new Promise<string>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiting.delete(check);
          resolve(out);
        };
        const check = () => pattern.test(out) && done();
        const timer = setTimeout(done, timeoutMs);
        waiting.add(check);
        check();
      }),
    stop: async () => {
      proc.kill('SIGTERM');
      return waitForExit(proc);
    },
    kill: async () => {
      proc.kill('SIGKILL');
      await waitForExit(proc);
    },
  };
}

/**
 * Moves a server's clock forward by `ms` (QOIMA_TEST_CLOCK, on for every test server): fair-use
 * allowances refill, and time-bound things (key expiries, trials) come due. (The settings caches need
 * no such help: a change anywhere is seen by the next request.)
 */
export async function advanceClock(srv: RunningServer, ms: number): Promise<void> {
  const token =
    srv.env.QOIMA_OPERATOR_TOKEN ?? (await readFile(join(srv.dataDir, 'operator-token'), 'utf8')).trim();
  const res = await fetch(`${srv.endpoint}/admin/operator/clock?ms=${ms}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`advancing the clock: ${res.status} ${await res.text()}`);
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Runs the admin CLI on a data directory; resolves with stdout (rejects on a non-zero exit). */
export async function admin(
  dataDir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/node/admin.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, QOIMA_DATA_DIR: dataDir, ...TEST_LIMITS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await waitForExit(proc);
  if (code !== 0) throw new Error(`admin ${args.join(' ')} exited ${code}: ${err}${out}`);
  return out;
}
