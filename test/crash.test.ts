/**
 * Crash safety: a real server process is SIGKILLed at random moments while clients upload (single and
 * multipart), overwrite and delete. After each restart every acknowledged write must be there byte for
 * byte, and nothing half-written may be visible. At the end, after GC, the chunk store and the
 * database must agree exactly (scrub finds nothing to repair).
 *
 * Also: SIGTERM lets in-flight requests finish, within a bounded grace period.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes, s3, presign } from './helpers/s3.ts';
import { type RunningServer, admin, removeDir, startServer, tempDir, waitForExit } from './helpers/server.ts';

const MiB = 1024 * 1024;
const ABSENT = 'absent';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeDir(d);
});

/** What each key may hold: one value once a write was acknowledged, several while one is in doubt. */
class Model {
  readonly possible = new Map<string, Set<string>>();
  acks = 0;
  get(key: string) {
    return this.possible.get(key) ?? new Set([ABSENT]);
  }
  async write(key: string, value: string, op: () => Promise<unknown>): Promise<boolean> {
    const before = this.get(key);
    this.possible.set(key, new Set([...before, value]));
    try {
      await op();
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status && status < 500) this.possible.set(key, before); // refused: nothing changed
      return false; // otherwise (connection lost): either value may be there
    }
    this.possible.set(key, new Set([value]));
    this.acks++;
    return true;
  }
}

async function workload(client: S3Client, model: Model, worker: number, stop: { now: boolean }) {
  const rnd = (n: number) => Math.floor(Math.random() * n);
  while (!stop.now) {
    const key = `w${worker}/k${rnd(6)}`;
    const dice = rnd(10);
    let ok: boolean;
    if (dice < 3) {
      const body = randomBytes(rnd(8000));
      ok = await model.write(key, sha(body), () =>
        client.send(new PutObjectCommand({ Bucket: 'crash', Key: key, Body: body })),
      );
    } else if (dice < 6) {
      const body = randomBytes(MiB + rnd(2 * MiB));
      ok = await model.write(key, sha(body), () =>
        client.send(new PutObjectCommand({ Bucket: 'crash', Key: key, Body: body })),
      );
    } else if (dice < 8) {
      const parts = [randomBytes(5 * MiB), randomBytes(1 + rnd(MiB))];
      ok = await model.write(key, sha(Buffer.concat(parts)), async () => {
        const { UploadId } = await client.send(
          new CreateMultipartUploadCommand({ Bucket: 'crash', Key: key }),
        );
        const done = [];
        for (const [i, Body] of parts.entries()) {
          const r = await client.send(
            new UploadPartCommand({ Bucket: 'crash', Key: key, UploadId, PartNumber: i + 1, Body }),
          );
          done.push({ PartNumber: i + 1, ETag: r.ETag });
        }
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket: 'crash',
            Key: key,
            UploadId,
            MultipartUpload: { Parts: done },
          }),
        );
      });
    } else {
      ok = await model.write(key, ABSENT, () =>
        client.send(new DeleteObjectCommand({ Bucket: 'crash', Key: key })),
      );
    }
    if (!ok && stop.now) return;
  }
}

async function verify(client: S3Client, model: Model) {
  const listed = new Map<string, number>();
  for (let token: string | undefined; ; ) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: 'crash', ContinuationToken: token }));
    for (const o of page.Contents ?? []) listed.set(o.Key!, o.Size!);
    token = page.NextContinuationToken;
    if (!token) break;
  }
  for (const key of listed.keys()) expect(model.possible.has(key), `unexpected key ${key}`).toBe(true);
  for (const [key, possible] of model.possible) {
    let seen = ABSENT;
    try {
      const got = await client.send(new GetObjectCommand({ Bucket: 'crash', Key: key }));
      const bytes = await got.Body!.transformToByteArray();
      expect(bytes.length).toBe(listed.get(key));
      seen = sha(bytes);
    } catch (e) {
      if ((e as { name?: string }).name !== 'NoSuchKey') throw e;
      expect(listed.has(key)).toBe(false);
    }
    expect([...possible], `key ${key}`).toContain(seen);
    model.possible.set(key, new Set([seen]));
  }
}

async function chunkFiles(dataDir: string) {
  return (await readdir(join(dataDir, 'chunks'), { recursive: true, withFileTypes: true })).filter((e) =>
    e.isFile(),
  ).length;
}

describe('SIGKILL at random moments', () => {
  it('keeps every acknowledged write, shows nothing half-written, leaks no chunk', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    const env = { QOIMA_GC_DELAY_SECONDS: '3600', QOIMA_HEARTBEAT_SECONDS: '1' };
    const model = new Model();
    let srv = await startServer({ dataDir, env });
    await s3(srv.endpoint, srv.creds).send(new CreateBucketCommand({ Bucket: 'crash' }));
    const rounds = 12;
    for (let round = 0; round < rounds; round++) {
      const client = s3(srv.endpoint, srv.creds);
      const stop = { now: false };
      const workers = [0, 1, 2, 3].map((w) => workload(client, model, w, stop));
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 1500));
      stop.now = true;
      await srv.kill();
      await Promise.all(workers);
      srv = await startServer({ dataDir, env });
      await verify(s3(srv.endpoint, srv.creds), model);
    }
    expect(model.acks).toBeGreaterThan(rounds);
    expect(await srv.stop()).toBe(0);

    // after every crash: uploads left hanging are aborted, interrupted bodies dropped, garbage collected
    await new Promise((r) => setTimeout(r, 1500));
    const gcEnv = {
      QOIMA_GC_DELAY_SECONDS: '0',
      QOIMA_NODE_TIMEOUT_SECONDS: '1',
      QOIMA_MULTIPART_MAX_AGE_SECONDS: '0',
    };
    await admin(dataDir, ['gc', '--json'], gcEnv);
    const report = JSON.parse(await admin(dataDir, ['scrub', '--json']));
    expect(report.corrupt).toEqual([]);
    expect(report.missing).toEqual([]);
    expect(report.refcountsFixed).toEqual([]);
    expect(report.orphanFiles).toEqual([]);
    expect(await chunkFiles(dataDir)).toBe(report.chunksChecked);

    // and the data is still all there
    srv = await startServer({ dataDir, env });
    await verify(s3(srv.endpoint, srv.creds), model);
    await srv.stop();
  }, 600_000);
});

describe('SIGTERM', () => {
  /** Sends a PUT whose body trickles in over `ms`; resolves with the status. */
  function slowPut(url: string, size: number, ms: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'PUT', headers: { 'content-length': String(size) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      const piece = Math.ceil(size / 10);
      let sent = 0;
      const tick = setInterval(() => {
        const n = Math.min(piece, size - sent);
        req.write(randomBytes(n));
        sent += n;
        if (sent >= size) {
          clearInterval(tick);
          req.end();
        }
      }, ms / 10);
    });
  }

  it('lets an upload in flight finish, refuses new connections, then exits 0', async () => {
    const srv = await startServer();
    dirs.push(srv.dataDir);
    const client = s3(srv.endpoint, srv.creds);
    await client.send(new CreateBucketCommand({ Bucket: 'drain' }));
    const url = await presign(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: '/drain/slow.bin',
      expiresIn: 60,
    });
    const upload = slowPut(url, 2 * MiB, 1500);
    await new Promise((r) => setTimeout(r, 300));
    srv.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    await expect(fetch(`${srv.endpoint}/`)).rejects.toThrow();
    expect(await upload).toBe(200);
    expect(await waitForExit(srv.proc)).toBe(0);
    const again = await startServer({ dataDir: srv.dataDir });
    const got = await s3(again.endpoint, again.creds).send(
      new GetObjectCommand({ Bucket: 'drain', Key: 'slow.bin' }),
    );
    expect(got.ContentLength).toBe(2 * MiB);
    await again.stop();
  });

  it('gives up on requests that outlast the grace period, committing nothing of them', async () => {
    const srv = await startServer({ env: { QOIMA_SHUTDOWN_GRACE_SECONDS: '1' } });
    dirs.push(srv.dataDir);
    await s3(srv.endpoint, srv.creds).send(new CreateBucketCommand({ Bucket: 'drain' }));
    const url = await presign(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: '/drain/endless.bin',
      expiresIn: 60,
    });
    const upload = slowPut(url, 2 * MiB, 20_000).catch(() => 'cut off');
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    srv.proc.kill('SIGTERM');
    expect(await waitForExit(srv.proc)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await upload).toBe('cut off');
    const again = await startServer({ dataDir: srv.dataDir });
    await expect(
      s3(again.endpoint, again.creds).send(new GetObjectCommand({ Bucket: 'drain', Key: 'endless.bin' })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
    await again.stop();
  });
});
