/**
 * The settings caches weaken no promise: two server processes share one service (one data directory's
 * database file, or one libSQL server), each with its caches warm, and a change made through one (a
 * bucket turned private, a key revoked, a bucket deleted) is seen by the very next request through the
 * other, with no clock moved and no wait; and so is a small object replaced or deleted, whose bytes a
 * process keeps once read, or a bigger one whose chunk list it keeps.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutBucketAclCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { s3 } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer, tempDir } from './helpers/server.ts';
import { type RunningSqld, startSqld } from './helpers/sqld.ts';

const ROOT_KEYS = { QOIMA_ROOT_ACCESS_KEY: 'caches-root', QOIMA_ROOT_SECRET_KEY: 'caches-root-secret-key' };

describe.each([
  ['one data directory', false],
  ['one libSQL server', true],
])('two processes on %s', (_name, useSqld) => {
  let sqld: RunningSqld | null = null;
  let dataDir: string;
  let a: RunningServer;
  let b: RunningServer;
  let viaA: S3Client;
  let viaB: S3Client;

  beforeAll(async () => {
    sqld = useSqld ? await startSqld() : null;
    dataDir = await tempDir();
    const env = sqld ? { ...ROOT_KEYS, QOIMA_DB_URL: sqld.url } : ROOT_KEYS;
    a = await startServer({ dataDir, env });
    b = await startServer({ dataDir, env });
    viaA = s3(a.endpoint, a.creds);
    viaB = s3(b.endpoint, b.creds);
  }, 60_000);

  afterAll(async () => {
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
    await sqld?.stop();
    await removeDir(dataDir);
    if (sqld) await removeDir(sqld.dir);
  });

  const anonymous = (srv: RunningServer, path: string) => fetch(`${srv.endpoint}${path}`);

  it('a public bucket turned private through one refuses the next anonymous read through the other', async () => {
    await viaB.send(new CreateBucketCommand({ Bucket: 'flip', ACL: 'public-read' }));
    await viaB.send(new PutObjectCommand({ Bucket: 'flip', Key: 'a.txt', Body: 'hello' }));
    for (let i = 0; i < 3; i++) expect((await anonymous(a, '/flip/a.txt')).status).toBe(200);
    await viaB.send(new PutBucketAclCommand({ Bucket: 'flip', ACL: 'private' }));
    expect((await anonymous(a, '/flip/a.txt')).status).toBe(403);
    await viaB.send(new PutBucketAclCommand({ Bucket: 'flip', ACL: 'public-read' }));
    expect((await anonymous(a, '/flip/a.txt')).status).toBe(200);
  });

  it('a small object replaced or deleted through one is read as it is now through the other', async () => {
    const get = (range?: string) =>
      fetch(`${a.endpoint}/flip/small.txt`, { headers: range ? { range } : {} });
    const put = (Body: string) => viaB.send(new PutObjectCommand({ Bucket: 'flip', Key: 'small.txt', Body }));
    await put('first version');
    for (let i = 0; i < 3; i++) expect(await (await get()).text()).toBe('first version');
    await put('second');
    expect(await (await get()).text()).toBe('second');
    expect(await (await get('bytes=1-3')).text()).toBe('eco');
    await viaB.send(new DeleteObjectCommand({ Bucket: 'flip', Key: 'small.txt' }));
    expect((await get()).status).toBe(404);
    await put('first version');
    expect(await (await get()).text()).toBe('first version');
    // and one kept in chunks (its chunk list is kept by object id): the new bytes at once
    const big = (fill: string) => fill.repeat(40_000);
    const url = `${a.endpoint}/flip/big.txt`;
    await viaB.send(new PutObjectCommand({ Bucket: 'flip', Key: 'big.txt', Body: big('a') }));
    for (let i = 0; i < 3; i++) expect(await (await fetch(url)).text()).toBe(big('a'));
    await viaB.send(new PutObjectCommand({ Bucket: 'flip', Key: 'big.txt', Body: big('b') }));
    expect(await (await fetch(url)).text()).toBe(big('b'));
    await viaB.send(new DeleteObjectCommand({ Bucket: 'flip', Key: 'big.txt' }));
    expect((await fetch(url)).status).toBe(404);
  });

  it('a key revoked through one is refused by the next request through the other (SigV4 and Bearer)', async () => {
    const res = await api(b, 'POST', '/admin/keys', {
      name: 'roaming',
      scopes: [{ bucket: 'flip', actions: ['read'] }],
      expiresInSeconds: 3600,
    });
    expect(res.status).toBe(201);
    const key = (await res.json()) as {
      keyId: string;
      accessKeyId: string;
      secretAccessKey: string;
      token: string;
    };
    const keyViaA = s3(a.endpoint, key);
    const bearer = () =>
      fetch(`${a.endpoint}/flip/a.txt`, { headers: { authorization: `Bearer ${key.token}` } });
    for (let i = 0; i < 3; i++) {
      await keyViaA.send(new GetObjectCommand({ Bucket: 'flip', Key: 'a.txt' }));
      expect((await bearer()).status).toBe(200);
    }
    expect((await api(b, 'DELETE', `/admin/keys/${key.keyId}`)).status).toBe(200);
    await expect(keyViaA.send(new GetObjectCommand({ Bucket: 'flip', Key: 'a.txt' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    expect((await bearer()).status).toBe(403);
  });

  it('a bucket deleted through one is gone for the next request through the other', async () => {
    await viaB.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
    await viaB.send(new PutObjectCommand({ Bucket: 'short-lived', Key: 'x', Body: 'x' }));
    for (let i = 0; i < 3; i++) await viaA.send(new HeadBucketCommand({ Bucket: 'short-lived' }));
    await viaB.send(new DeleteObjectCommand({ Bucket: 'short-lived', Key: 'x' }));
    await viaB.send(new DeleteBucketCommand({ Bucket: 'short-lived' }));
    await expect(viaA.send(new HeadBucketCommand({ Bucket: 'short-lived' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
    // and made again through the other, it is there at once
    await viaB.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
    await viaA.send(new HeadBucketCommand({ Bucket: 'short-lived' }));
  });
});
