/** The request log: one row per request, batched off the hot path; SIGTERM loses nothing, SIGKILL little. */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { createClient } from '@libsql/client';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { logRows } from './helpers/db.ts';
import { s3, signedFetch } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeDir(d);
});

const rows = logRows;

/** The log's rows once `ok` holds for them (the log is written off the hot path, in batches). */
async function rowsOnce(dataDir: string, ok: (log: Record<string, unknown>[]) => boolean) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const log = await rows(dataDir);
    if (ok(log) || Date.now() > deadline) return log;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function start(env: Record<string, string>): Promise<RunningServer> {
  const srv = await startServer({ env });
  dirs.push(srv.dataDir);
  return srv;
}

describe('what is logged', () => {
  it('every request, refused and anonymous ones too, with its account, operation, status, error code, bytes and auth', async () => {
    const srv = await start({ QOIMA_LOG_FLUSH_MS: '100' });
    const client = s3(srv.endpoint, srv.creds);
    await client.send(new CreateBucketCommand({ Bucket: 'logged' }));
    await client.send(new PutObjectCommand({ Bucket: 'logged', Key: 'a.txt', Body: 'hello world' }));
    await client.send(new GetObjectCommand({ Bucket: 'logged', Key: 'a.txt' }));
    // anonymous, refused
    await fetch(`${srv.endpoint}/logged/a.txt`, { headers: { 'user-agent': 'curious-browser/1.0' } });
    await signedFetch(srv.endpoint, srv.creds, { path: '/logged/missing.txt' });
    await api(srv, 'GET', '/admin/buckets');
    const log = await rowsOnce(srv.dataDir, (l) => l.some((r) => r.operation === 'API GET /admin/buckets'));
    const find = (op: string, status: number) => log.find((r) => r.operation === op && r.status === status);
    const accountId = find('CreateBucket', 200)!.account_id;
    expect(accountId).toMatch(/^acc/);
    expect(find('PutObject', 200)).toMatchObject({
      bucket: 'logged',
      key: 'a.txt',
      auth: 'root',
      storage_class: 'STANDARD',
      account_id: accountId,
    });
    expect(Number(find('PutObject', 200)!.bytes_in)).toBeGreaterThanOrEqual(11);
    expect(find('GetObject', 200)).toMatchObject({ bytes_out: 11, error_code: null });
    expect(find('GetObject', 403)).toMatchObject({
      auth: 'anonymous',
      error_code: 'AccessDenied',
      user_agent: 'curious-browser/1.0',
      client_ip: '127.0.0.1',
      account_id: accountId,
    });
    expect(find('GetObject', 404)).toMatchObject({ error_code: 'NoSuchKey' });
    expect(find('API GET /admin/buckets', 200)).toMatchObject({ account_id: accountId, auth: 'root' });
    for (const r of log) {
      expect(r.request_id).toMatch(/^[0-9A-F]{16}$/);
      expect(Number(r.duration_ms)).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('copies out of COLD', () => {
  it('record the bytes taken out of COLD storage, for CopyObject and UploadPartCopy alike', async () => {
    const srv = await start({ QOIMA_LOG_FLUSH_MS: '100' });
    const client = s3(srv.endpoint, srv.creds);
    await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: '/archive',
      headers: { 'x-qoima-storage-class': 'COLD' },
    });
    await client.send(new CreateBucketCommand({ Bucket: 'hot' }));
    await client.send(new PutObjectCommand({ Bucket: 'archive', Key: 'old.bin', Body: 'x'.repeat(70_000) }));
    await client.send(
      new CopyObjectCommand({ Bucket: 'hot', Key: 'copied.bin', CopySource: 'archive/old.bin' }),
    );
    await client.send(
      new CopyObjectCommand({ Bucket: 'archive', Key: 'still-cold.bin', CopySource: 'archive/old.bin' }),
    ); // stays in COLD
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: 'hot', Key: 'mp.bin' }),
    );
    await client.send(
      new UploadPartCopyCommand({
        Bucket: 'hot',
        Key: 'mp.bin',
        UploadId,
        PartNumber: 1,
        CopySource: 'archive/old.bin',
        CopySourceRange: 'bytes=0-999',
      }),
    );
    const log = await rowsOnce(srv.dataDir, (l) => l.some((r) => r.operation === 'UploadPartCopy'));
    const retrieval = (op: string, bucket: string) =>
      Number(log.find((r) => r.operation === op && r.bucket === bucket)!.retrieval_bytes);
    expect(retrieval('CopyObject', 'hot')).toBe(70_000);
    expect(retrieval('CopyObject', 'archive')).toBe(0);
    expect(retrieval('UploadPartCopy', 'hot')).toBe(1000);
    expect(retrieval('PutObject', 'archive')).toBe(0);
  });
});

describe('durability of the log', () => {
  it('SIGTERM drains the queue: nothing is lost', async () => {
    const srv = await start({ QOIMA_LOG_FLUSH_MS: '600000', QOIMA_LOG_BATCH_ROWS: '100000' });
    const client = s3(srv.endpoint, srv.creds);
    await client.send(new CreateBucketCommand({ Bucket: 'drain-log' }));
    for (let i = 0; i < 50; i++)
      await signedFetch(srv.endpoint, srv.creds, { path: '/drain-log', query: { 'list-type': '2' } });
    expect(await rows(srv.dataDir)).toHaveLength(0); // still queued
    expect(await srv.stop()).toBe(0);
    expect((await rows(srv.dataDir, "operation = 'ListObjectsV2'")).length).toBe(50);
  });

  it('SIGKILL loses at most what arrived since the last flush', async () => {
    const srv = await start({ QOIMA_LOG_FLUSH_MS: '300' });
    await s3(srv.endpoint, srv.creds).send(new CreateBucketCommand({ Bucket: 'kill-log' }));
    for (let i = 0; i < 40; i++)
      await signedFetch(srv.endpoint, srv.creds, { path: '/kill-log', query: { 'list-type': '2' } });
    // those 40 are flushed (the timer's work, waited for as it happens)
    await rowsOnce(srv.dataDir, (l) => l.filter((r) => r.operation === 'ListObjectsV2').length >= 40);
    for (let i = 0; i < 20; i++)
      await signedFetch(srv.endpoint, srv.creds, {
        path: '/kill-log',
        query: { 'list-type': '2', 'max-keys': '1' },
      });
    await srv.kill();
    const logged = await rows(srv.dataDir, "operation = 'ListObjectsV2'");
    expect(logged.length).toBeGreaterThanOrEqual(40);
    expect(logged.length).toBeLessThanOrEqual(60);
  });

  it('while the log cannot be written, requests are still served; rows wait, the excess is counted as dropped', async () => {
    const srv = await start({ QOIMA_LOG_FLUSH_MS: '100', QOIMA_LOG_QUEUE_MAX: '30' });
    const client = s3(srv.endpoint, srv.creds);
    await client.send(new CreateBucketCommand({ Bucket: 'outage-log' }));
    await rowsOnce(srv.dataDir, (l) => l.some((r) => r.operation === 'CreateBucket'));
    const db = createClient({ url: `file:${join(srv.dataDir, 'qoima.db')}` });
    await db.execute('ALTER TABLE request_log RENAME TO request_log_away');
    for (let i = 0; i < 50; i++) {
      const res = await signedFetch(srv.endpoint, srv.creds, {
        path: '/outage-log',
        query: { 'list-type': '2' },
      });
      expect(res.status).toBe(200);
    }
    await srv.logged(/request log cannot be written/, 15_000);
    await db.execute('ALTER TABLE request_log_away RENAME TO request_log');
    await srv.logged(/request log written again/, 15_000);
    const logged = await rows(srv.dataDir, "operation = 'ListObjectsV2'");
    expect(logged.length).toBe(30); // the queue's bound
    const drops = (await db.execute('SELECT sum(dropped) AS n FROM log_drops')).rows[0]!.n;
    expect(Number(drops)).toBe(20);
    expect(srv.output()).toMatch(/request log written again/);
    db.close();
    await srv.stop();
  });
});
