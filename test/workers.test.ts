/**
 * Every core (QOIMA_WORKERS): one `npm start` is a primary and N serving processes on one port, one
 * data directory and one database. Shown: requests are served by all of them; a process that dies is
 * started again while the others keep serving; SIGTERM lets every process finish its requests and
 * exits 0; fair use holds for the machine as a whole, not N times over.
 */
import { CreateBucketCommand, PutBucketAclCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_TOKEN, account } from './helpers/accounts.ts';
import { logRows } from './helpers/db.ts';
import { presign, randomBytes, s3 } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer, waitForExit } from './helpers/server.ts';

const run = promisify(execFile);
let srv: RunningServer;

/** The serving processes under the primary (not tsx's esbuild helper, also its child). */
async function children(pid: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-o', 'pid=,args=', '--ppid', String(pid)]).catch(() => ({
    stdout: '',
  }));
  return stdout
    .split('\n')
    .filter((line) => line.includes('src/node/main.ts'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

/** A GET on a fresh connection each time, so the primary hands each to the next process. */
function freshGet(url: string, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: new Agent({ keepAlive: false }), timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end();
  });
}

beforeAll(async () => {
  srv = await startServer({
    env: {
      QOIMA_WORKERS: '2',
      QOIMA_OPERATOR_TOKEN: OPERATOR_TOKEN,
      QOIMA_LOG_FLUSH_MS: '100',
      // small chunks: an upload shows as staged after its first 64 KiB (the SIGTERM test waits for it)
      QOIMA_CHUNK_SIZE: '65536',
    },
  });
  const c = s3(srv.endpoint, srv.creds);
  await c.send(new CreateBucketCommand({ Bucket: 'pub' }));
  await c.send(new PutObjectCommand({ Bucket: 'pub', Key: 'a.txt', Body: 'hello' }));
  await c.send(new PutBucketAclCommand({ Bucket: 'pub', ACL: 'public-read' }));
}, 60_000);

afterAll(async () => {
  if (srv.proc.exitCode === null) await srv.stop();
  await removeDir(srv.dataDir);
});

describe('QOIMA_WORKERS=2', () => {
  it('serves one port through two processes, both of which answer', async () => {
    expect(srv.output()).toMatch(/ready on http:\/\/\S+ .*2 processes/);
    expect(await children(srv.proc.pid!)).toHaveLength(2);
    for (let i = 0; i < 40; i++) expect(await freshGet(`${srv.endpoint}/pub/a.txt`)).toBe(200);
    await expect
      .poll(async () => new Set((await logRows(srv.dataDir, "key = 'a.txt'")).map((r) => r.node_id)).size, {
        timeout: 10_000,
      })
      .toBe(2);
  });

  it('starts a process that dies again; the other serves meanwhile', async () => {
    const [victim] = await children(srv.proc.pid!);
    process.kill(victim!, 'SIGKILL');
    // a connection handed to the process in the instant it died is lost with it; the next are served
    const url = `${srv.endpoint}/pub/a.txt`;
    await expect.poll(() => freshGet(url, 2_000).catch(() => 0), { timeout: 10_000 }).toBe(200);
    await expect
      .poll(
        async () => {
          const now = await children(srv.proc.pid!);
          return now.length === 2 && !now.includes(victim!);
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    await expect
      .poll(() => /serving process \d exited \(SIGKILL\); starting it again/.test(srv.output()))
      .toBe(true);
    for (let i = 0; i < 10; i++) expect(await freshGet(url)).toBe(200);
  });

  it('holds an account to its request rate across both processes, not twice over', async () => {
    const rate = 10;
    const acct = await account(srv.endpoint, { requestsPerSecond: rate });
    await acct.client.send(new CreateBucketCommand({ Bucket: 'limited' }));
    await acct.client.send(new PutObjectCommand({ Bucket: 'limited', Key: 'x', Body: 'x' }));
    const url = await presign(srv.endpoint, acct.creds, { path: '/limited/x', expiresIn: 600 });
    const started = Date.now();
    const statuses = await Promise.all(Array.from({ length: 80 }, () => freshGet(url)));
    const seconds = (Date.now() - started) / 1000;
    const admitted = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    // a burst of two seconds' worth plus the rate over the time taken, for the machine as a whole;
    // the two setup requests above were charged too
    expect(admitted).toBeLessThanOrEqual(2 * rate + Math.ceil(rate * seconds) + 1);
    // and at least one process's share (which process a connection reaches is the cluster's turn-taking)
    expect(admitted).toBeGreaterThanOrEqual(rate / 2);
  });

  const staged = async () => {
    const c = createClient({ url: `file:${join(srv.dataDir, 'qoima.db')}` });
    try {
      return Number((await c.execute('select count(*) as n from stagings')).rows[0]!.n);
    } finally {
      c.close();
    }
  };

  it('SIGTERM lets every process finish its requests, then exits 0', async () => {
    const body = randomBytes(4 * 1024 * 1024);
    const url = await presign(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: '/pub/slow.bin',
      expiresIn: 600,
    });
    const pids = await children(srv.proc.pid!);
    const status = new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'PUT', headers: { 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 1024 * 1024));
      // once a serving process is writing the upload, stop the machine, then send the rest
      void (async () => {
        while ((await staged()) === 0) await new Promise((r) => setTimeout(r, 20));
        srv.proc.kill('SIGTERM');
        req.end(body.subarray(1024 * 1024));
      })().catch(reject);
    });
    expect(await status).toBe(200);
    expect(await waitForExit(srv.proc)).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
