/**
 * Races and edges of the write path: a GET while the key is overwritten never gets wrong or missing
 * bytes; an upload whose staging was given up is refused, not committed with holes; empty parts;
 * deleting a bucket with unfinished uploads.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { createClient } from '@libsql/client';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presign, randomBytes, s3 } from './helpers/s3.ts';
import { type RunningServer, admin, removeDir, startServer } from './helpers/server.ts';

const MiB = 1024 * 1024;
let srv: RunningServer;
let client: S3Client;

beforeAll(async () => {
  srv = await startServer({ env: { QOIMA_CHUNK_SIZE: String(MiB) } });
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: 'races' }));
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('reading while the key changes', () => {
  it('every GET gets one whole version, byte for byte, whatever overwrites and deletes run meanwhile', async () => {
    const versions = [randomBytes(3 * MiB + 17), randomBytes(2 * MiB), randomBytes(5 * MiB + 1)];
    const known = new Set(versions.map(sha));
    await client.send(new PutObjectCommand({ Bucket: 'races', Key: 'hot', Body: versions[0] }));
    let stop = false;
    const writer = (async () => {
      let i = 1;
      for (; !stop; i++) {
        if (i % 7 === 0)
          // never absent for long
          await client.send(new PutObjectCommand({ Bucket: 'races', Key: 'hot', Body: versions[0] }));
        else
          await client.send(
            new PutObjectCommand({ Bucket: 'races', Key: 'hot', Body: versions[i % versions.length] }),
          );
      }
      return i - 1;
    })();
    // a fixed number of reads, each racing the writer (on a slow machine they take longer, not fewer)
    for (let reads = 0; reads < 20; reads++) {
      const res = await fetch(await presign(srv.endpoint, srv.creds, { path: '/races/hot', expiresIn: 60 }));
      expect(res.status).toBe(200);
      const body = new Uint8Array(await res.arrayBuffer());
      expect(body.length).toBe(Number(res.headers.get('content-length')));
      expect(known.has(sha(body))).toBe(true);
    }
    stop = true;
    const writes = await writer;
    expect(writes).toBeGreaterThan(1); // the reads did race overwrites
  });
});

describe('an upload given up while it streams', () => {
  it('is refused (RequestTimeout) and commits nothing, instead of an object with holes', async () => {
    const url = new URL(
      await presign(srv.endpoint, srv.creds, { method: 'PUT', path: '/races/given-up', expiresIn: 60 }),
    );
    const total = 6 * MiB;
    const piece = randomBytes(MiB);
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(url, { method: 'PUT', headers: { 'content-length': String(total) } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      void (async () => {
        for (let sent = 0; sent < total; sent += MiB) {
          req.write(piece);
          if (sent === 2 * MiB) {
            await new Promise((r) => setTimeout(r, 500)); // two chunks are staged by now
            // what the collector does to the stagings of a node it takes for dead
            const db = createClient({ url: `file:${join(srv.dataDir, 'qoima.db')}` });
            await db.batch(
              ['DELETE FROM chunk_refs WHERE owner IN (SELECT id FROM stagings)', 'DELETE FROM stagings'],
              'write',
            );
            db.close();
          }
        }
        req.end();
      })();
    });
    const { status, body } = await answer;
    expect(status).toBe(400);
    expect(body).toContain('<Code>RequestTimeout</Code>');
    await expect(
      client.send(new HeadObjectCommand({ Bucket: 'races', Key: 'given-up' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});

describe('multipart edges', () => {
  it('takes an empty part, and an empty part copied from an empty object', async () => {
    await client.send(new PutObjectCommand({ Bucket: 'races', Key: 'empty-source', Body: '' }));
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: 'races', Key: 'empty-mp' }),
    );
    const p1 = await client.send(
      new UploadPartCommand({ Bucket: 'races', Key: 'empty-mp', UploadId, PartNumber: 1, Body: '' }),
    );
    const p2 = await client.send(
      new UploadPartCopyCommand({
        Bucket: 'races',
        Key: 'empty-mp',
        UploadId,
        PartNumber: 2,
        CopySource: 'races/empty-source',
      }),
    );
    expect(p1.ETag).toBe(`"${createHash('md5').update('').digest('hex')}"`);
    expect(p2.CopyPartResult!.ETag).toBe(p1.ETag);
    await expect(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'races',
          Key: 'empty-mp',
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: p1.ETag },
              { PartNumber: 2, ETag: p2.CopyPartResult!.ETag },
            ],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'EntityTooSmall' }); // as S3: every part but the last is at least 5 MiB
    const { UploadId: one } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: 'races', Key: 'empty-one' }),
    );
    const only = await client.send(
      new UploadPartCommand({ Bucket: 'races', Key: 'empty-one', UploadId: one, PartNumber: 1, Body: '' }),
    );
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'races',
        Key: 'empty-one',
        UploadId: one,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: only.ETag }] },
      }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: 'races', Key: 'empty-one' }));
    expect(got.ContentLength).toBe(0);
    await client.send(new AbortMultipartUploadCommand({ Bucket: 'races', Key: 'empty-mp', UploadId }));
  });

  it('deleting a bucket takes its unfinished uploads with it, releasing their chunks', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'races-gone' }));
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: 'races-gone', Key: 'big' }),
    );
    await client.send(
      new UploadPartCommand({
        Bucket: 'races-gone',
        Key: 'big',
        UploadId,
        PartNumber: 1,
        Body: randomBytes(5 * MiB),
      }),
    );
    await client.send(new DeleteBucketCommand({ Bucket: 'races-gone' }));
    const report = JSON.parse(await admin(srv.dataDir, ['scrub', '--json']));
    expect(report.refcountsFixed).toEqual([]);
    const db = createClient({ url: `file:${join(srv.dataDir, 'qoima.db')}` });
    const left = await db.execute({
      sql: 'SELECT count(*) AS n FROM multipart_uploads WHERE id = ?',
      args: [UploadId!],
    });
    db.close();
    expect(Number(left.rows[0]!.n)).toBe(0);
  });
});
