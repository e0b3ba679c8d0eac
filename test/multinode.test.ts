/**
 * Several nodes, one service: two real Node processes sharing one libSQL server (sqld) and one chunk
 * directory serve the same buckets consistently, whichever node a request reaches.
 */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { randomBytes, s3 } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer, tempDir } from './helpers/server.ts';
import { type RunningSqld, startSqld } from './helpers/sqld.ts';

const ROOT_KEYS = { QOIMA_ROOT_ACCESS_KEY: 'multinode-root', QOIMA_ROOT_SECRET_KEY: 'multinode-secret-key' };
let sqld: RunningSqld;
let dataDir: string;
let a: RunningServer;
let b: RunningServer;
let viaA: S3Client;
let viaB: S3Client;

beforeAll(async () => {
  sqld = await startSqld();
  dataDir = await tempDir();
  const env = { ...ROOT_KEYS, QOIMA_DB_URL: sqld.url };
  a = await startServer({ dataDir, env });
  b = await startServer({ dataDir, env });
  viaA = s3(a.endpoint, a.creds);
  viaB = s3(b.endpoint, b.creds);
}, 60_000);

afterAll(async () => {
  expect(await a.stop()).toBe(0);
  expect(await b.stop()).toBe(0);
  await sqld.stop();
  await removeDir(dataDir);
  await removeDir(sqld.dir);
});

const bytesOf = async (client: S3Client, Bucket: string, Key: string) =>
  Buffer.from(await (await client.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToByteArray());
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

describe('two Node processes on one sqld and one chunk directory', () => {
  it('are two processes serving one service', () => {
    expect(a.port).not.toBe(b.port);
    expect(a.proc.pid).not.toBe(b.proc.pid);
    expect(a.creds).toEqual(b.creds);
  });

  it('an object written through one is read through the other, byte for byte', async () => {
    await viaA.send(new CreateBucketCommand({ Bucket: 'shared' }));
    const body = randomBytes(6 * 1024 * 1024 + 7); // more than one chunk
    await viaA.send(
      new PutObjectCommand({ Bucket: 'shared', Key: 'photo.jpg', Body: body, ContentType: 'image/jpeg' }),
    );
    expect((await bytesOf(viaB, 'shared', 'photo.jpg')).equals(Buffer.from(body))).toBe(true);
    expect(await viaB.send(new HeadObjectCommand({ Bucket: 'shared', Key: 'photo.jpg' }))).toMatchObject({
      ContentType: 'image/jpeg',
      ContentLength: body.length,
    });
  });

  it('a bucket deleted on one is gone on the other at once', async () => {
    await viaA.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
    expect((await viaB.send(new HeadBucketCommand({ Bucket: 'short-lived' }))).$metadata.httpStatusCode).toBe(
      200,
    );
    await viaB.send(new DeleteBucketCommand({ Bucket: 'short-lived' }));
    await expect(viaA.send(new HeadBucketCommand({ Bucket: 'short-lived' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    expect((await viaA.send(new ListBucketsCommand({}))).Buckets?.map((x) => x.Name)).not.toContain(
      'short-lived',
    );
    await expect(
      viaA.send(new PutObjectCommand({ Bucket: 'short-lived', Key: 'x', Body: 'x' })),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('concurrent writers to one key through both nodes end with one complete winner', async () => {
    await viaA.send(new CreateBucketCommand({ Bucket: 'race' }));
    for (let round = 0; round < 4; round++) {
      const one = randomBytes(5 * 1024 * 1024 + round);
      const two = randomBytes(5 * 1024 * 1024 + 100 + round);
      await Promise.all([
        viaA.send(new PutObjectCommand({ Bucket: 'race', Key: 'contested', Body: one })),
        viaB.send(new PutObjectCommand({ Bucket: 'race', Key: 'contested', Body: two })),
      ]);
      const fromA = await bytesOf(viaA, 'race', 'contested');
      const fromB = await bytesOf(viaB, 'race', 'contested');
      expect(fromA.equals(fromB)).toBe(true);
      expect([md5(one), md5(two)]).toContain(md5(fromA));
      const head = await viaB.send(new HeadObjectCommand({ Bucket: 'race', Key: 'contested' }));
      expect(head.ETag).toBe(`"${md5(fromA)}"`);
      expect(head.ContentLength).toBe(fromA.length);
    }
  });

  it('a multipart upload can be started on one node, fed through both and completed on the other', async () => {
    const part1 = randomBytes(5 * 1024 * 1024);
    const part2 = randomBytes(1024);
    const { UploadId } = await viaA.send(
      new CreateMultipartUploadCommand({ Bucket: 'shared', Key: 'assembled.bin' }),
    );
    const p1 = await viaA.send(
      new UploadPartCommand({ Bucket: 'shared', Key: 'assembled.bin', UploadId, PartNumber: 1, Body: part1 }),
    );
    const p2 = await viaB.send(
      new UploadPartCommand({ Bucket: 'shared', Key: 'assembled.bin', UploadId, PartNumber: 2, Body: part2 }),
    );
    await viaB.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'shared',
        Key: 'assembled.bin',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    expect((await bytesOf(viaA, 'shared', 'assembled.bin')).equals(Buffer.concat([part1, part2]))).toBe(true);
  });

  it('an access key issued on one node works on the other, and its revocation reaches it at once', async () => {
    const res = await api(a, 'POST', '/admin/keys', {
      name: 'roaming',
      scopes: [{ bucket: 'shared', actions: ['read'] }],
      expiresInSeconds: 3600,
    });
    expect(res.status).toBe(201);
    const key = (await res.json()) as { accessKeyId: string; secretAccessKey: string };
    const keyViaB = s3(b.endpoint, key);
    expect((await bytesOf(keyViaB, 'shared', 'photo.jpg')).length).toBeGreaterThan(0);
    expect((await bytesOf(s3(a.endpoint, key), 'shared', 'photo.jpg')).length).toBeGreaterThan(0);
    expect((await api(b, 'DELETE', `/admin/keys/${key.accessKeyId}`)).status).toBe(200);
    await expect(
      s3(a.endpoint, key).send(new GetObjectCommand({ Bucket: 'shared', Key: 'photo.jpg' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
  });
});

describe('nodes starting together on a fresh database', () => {
  it('create exactly one first account between them, usable through every node', async () => {
    const db = await startSqld();
    const dirs = [await tempDir(), await tempDir(), await tempDir()];
    // separate directories here, so each node's credentials file tells whether it created the account
    const env = { QOIMA_DB_URL: db.url, QOIMA_SERVER_KEY: Buffer.alloc(32, 7).toString('base64') };
    const nodes = await Promise.all(
      dirs.map((dataDir) => startServer({ dataDir, env, credentialsOptional: true })),
    );
    try {
      const creators = nodes.filter((n) => n.creds.accessKeyId !== '');
      expect(creators).toHaveLength(1);
      for (const n of nodes) {
        const list = await s3(n.endpoint, creators[0]!.creds).send(new ListBucketsCommand({}));
        expect(list.$metadata.httpStatusCode).toBe(200);
      }
      const { createClient } = await import('@libsql/client');
      const c = createClient({ url: db.url });
      expect(
        Number((await c.execute('SELECT count(*) AS n FROM accounts WHERE deleted_at IS NULL')).rows[0]!.n),
      ).toBe(1);
      c.close();
    } finally {
      for (const n of nodes) await n.stop();
      await db.stop();
      for (const d of [...dirs, db.dir]) await removeDir(d);
    }
  });
});

describe('the libSQL server lost', () => {
  it('a node answers 503 with Retry-After, never 500, for reads and writes alike', async () => {
    const db = await startSqld();
    const dir = await tempDir();
    const node = await startServer({ dataDir: dir, env: { ...ROOT_KEYS, QOIMA_DB_URL: db.url } });
    try {
      const client = s3(node.endpoint, node.creds);
      await client.send(new CreateBucketCommand({ Bucket: 'lost' }));
      await client.send(new PutObjectCommand({ Bucket: 'lost', Key: 'k', Body: 'here' }));
      expect(
        await (
          await client.send(new GetObjectCommand({ Bucket: 'lost', Key: 'k' }))
        ).Body!.transformToString(),
      ).toBe('here');
      await db.stop();
      // the bucket is in the node's cache: the GET goes as far as the object's row before it fails
      const get = client.send(new GetObjectCommand({ Bucket: 'lost', Key: 'k' }));
      const put = client.send(new PutObjectCommand({ Bucket: 'lost', Key: 'k2', Body: 'there' }));
      for (const sent of [get, put]) {
        await expect(sent).rejects.toMatchObject({
          name: 'ServiceUnavailable',
          $metadata: { httpStatusCode: 503 },
          $response: { headers: expect.objectContaining({ 'retry-after': expect.stringMatching(/^\d+$/) }) },
        });
      }
    } finally {
      await node.kill();
      await removeDir(dir);
      await removeDir(db.dir);
    }
  }, 60_000);
});
