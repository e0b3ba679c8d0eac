/**
 * Metadata beyond one server: a libSQL server primary (sqld) with a read replica (sqld too), and Qoima
 * nodes that keep an embedded replica of the database (QOIMA_DB_REPLICA): reads are local, writes go on
 * to the primary, and every request first catches up with the server (src/local/replica.ts). Shown: a
 * node reading its replica still gives read-after-write, for its own writes and for another node's, and
 * concurrent writers through two nodes end with one complete winner.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, s3 } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer, tempDir } from './helpers/server.ts';
import { type RunningSqld, startSqld } from './helpers/sqld.ts';

const CREDS = { accessKeyId: 'replica-root', secretAccessKey: 'replica-root-secret-key' };
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
let primary: RunningSqld;
let readReplica: RunningSqld;
let dataDir: string;
const servers: RunningServer[] = [];
let onPrimary: S3Client;
let onReplica: S3Client;
let viaSqldReplica: S3Client;
const endpoints: Record<string, string> = {};
let plain: RunningServer;

async function node(dbUrl: string, replicaFile?: string): Promise<RunningServer> {
  const env: Record<string, string> = {
    QOIMA_ROOT_ACCESS_KEY: CREDS.accessKeyId,
    QOIMA_ROOT_SECRET_KEY: CREDS.secretAccessKey,
    QOIMA_DB_URL: dbUrl,
  };
  if (replicaFile) env.QOIMA_DB_REPLICA = join(dataDir, replicaFile);
  const srv = await startServer({ dataDir, env, credentialsOptional: true });
  servers.push(srv);
  return srv;
}

const bytesOf = async (c: S3Client, Bucket: string, Key: string) =>
  Buffer.from(await (await c.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToByteArray());

beforeAll(async () => {
  primary = await startSqld({ primary: true });
  readReplica = await startSqld({ replicaOf: primary.grpcUrl });
  dataDir = await tempDir();
  plain = await node(primary.url);
  onPrimary = s3(plain.endpoint, CREDS);
  endpoints.a = (await node(primary.url, 'replica-a.db')).endpoint;
  endpoints.b = (await node(readReplica.url, 'replica-b.db')).endpoint;
  onReplica = s3(endpoints.a, CREDS);
  viaSqldReplica = s3(endpoints.b, CREDS);
}, 90_000);

afterAll(async () => {
  for (const s of servers) expect(await s.stop()).toBe(0);
  await readReplica?.stop();
  await primary?.stop();
  for (const d of [dataDir, primary?.dir, readReplica?.dir]) if (d) await removeDir(d);
});

describe.each([
  ['an embedded replica of the primary', 'a', () => onReplica],
  ['an embedded replica synced through a sqld read replica', 'b', () => viaSqldReplica],
])('a node reading %s', (_, name, client) => {
  const unique = (what: string) => `${what}-${name}-${Math.random().toString(36).slice(2, 8)}`;
  it('reads its own writes at once, every time', async () => {
    const bucket = unique('own');
    await client().send(new CreateBucketCommand({ Bucket: bucket }));
    for (let i = 0; i < 20; i++) {
      const body = randomBytes(100 + i);
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: `k${i}`, Body: body }));
      expect(md5(await bytesOf(client(), bucket, `k${i}`))).toBe(md5(body));
      const listed = await client().send(new ListObjectsV2Command({ Bucket: bucket }));
      expect(listed.KeyCount).toBe(i + 1);
    }
  });

  it("sees another node's writes, deletes and access changes by its very next request", async () => {
    for (let i = 0; i < 10; i++) {
      const bucket = unique(`theirs-${i}`);
      await onPrimary.send(new CreateBucketCommand({ Bucket: bucket }));
      const body = randomBytes(5000);
      await onPrimary.send(new PutObjectCommand({ Bucket: bucket, Key: 'x', Body: body }));
      expect(md5(await bytesOf(client(), bucket, 'x'))).toBe(md5(body));
      const anonymous = () => fetch(`${endpoints[name]}/${bucket}/x`).then((r) => r.status);
      expect(await anonymous()).toBe(403);
      await onPrimary.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'public-read' }));
      expect(await anonymous()).toBe(200);
      await onPrimary.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'private' }));
      expect(await anonymous()).toBe(403);
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: 'x', Body: 'replaced' }));
      expect((await bytesOf(onPrimary, bucket, 'x')).toString()).toBe('replaced');
    }
    const bucket = unique('deleted');
    await client().send(new CreateBucketCommand({ Bucket: bucket }));
    await onPrimary.send(new DeleteBucketCommand({ Bucket: bucket }));
    await expect(client().send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('concurrent writers through it and another node end with one complete winner', async () => {
    const bucket = unique('race');
    await onPrimary.send(new CreateBucketCommand({ Bucket: bucket }));
    for (let round = 0; round < 4; round++) {
      const one = randomBytes(20_000 + round);
      const two = randomBytes(30_000 + round);
      await Promise.all([
        onPrimary.send(new PutObjectCommand({ Bucket: bucket, Key: 'c', Body: one })),
        client().send(new PutObjectCommand({ Bucket: bucket, Key: 'c', Body: two })),
      ]);
      const a = md5(await bytesOf(onPrimary, bucket, 'c'));
      expect(md5(await bytesOf(client(), bucket, 'c'))).toBe(a);
      expect([md5(one), md5(two)]).toContain(a);
    }
  });
});

describe('the primary lost', () => {
  it('nodes answer 503 with Retry-After rather than serve what may be stale; writes are refused', async () => {
    await primary.stop();
    for (const endpoint of [endpoints.a!, endpoints.b!]) {
      const res = await fetch(`${endpoint}/anything/x`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.text()).toContain('<Code>ServiceUnavailable</Code>');
    }
  }, 60_000);
});
