/** Buckets: create/list/head/delete/location, naming rules, storage class, accounts kept apart. */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketLocationCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, s3, signedFetch } from './helpers/s3.ts';
import { type Creds, type RunningServer, admin, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
let other: S3Client;
let otherCreds: Creds;

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  otherCreds = JSON.parse(await admin(srv.dataDir, ['accounts', 'create', '--name', 'other', '--json']));
  other = s3(srv.endpoint, otherCreds);
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

describe('bucket lifecycle', () => {
  it('creates, lists, heads and deletes a bucket', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'life-cycle' }));
    const list = await client.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toContain('life-cycle');
    expect(list.Buckets?.find((b) => b.Name === 'life-cycle')?.CreationDate).toBeInstanceOf(Date);
    const head = await client.send(new HeadBucketCommand({ Bucket: 'life-cycle' }));
    expect(head.BucketRegion).toBe('us-east-1');
    await client.send(new DeleteBucketCommand({ Bucket: 'life-cycle' }));
    await expect(client.send(new HeadBucketCommand({ Bucket: 'life-cycle' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('answers GetBucketLocation (empty for us-east-1, as S3) and an unversioned GetBucketVersioning', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'where-am-i' }));
    const loc = await client.send(new GetBucketLocationCommand({ Bucket: 'where-am-i' }));
    expect(loc.LocationConstraint ?? '').toBe('');
    const ver = await client.send(new GetBucketVersioningCommand({ Bucket: 'where-am-i' }));
    expect(ver.Status).toBeUndefined();
  });

  it('refuses to delete a bucket that holds objects, then deletes it once empty', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'not-empty' }));
    await client.send(new PutObjectCommand({ Bucket: 'not-empty', Key: 'x', Body: 'x' }));
    await expect(client.send(new DeleteBucketCommand({ Bucket: 'not-empty' }))).rejects.toMatchObject({
      name: 'BucketNotEmpty',
      $metadata: { httpStatusCode: 409 },
    });
  });

  it('answers 200 to the owner creating it again (us-east-1) and BucketAlreadyExists to others', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'taken-name' }));
    const again = await client.send(new CreateBucketCommand({ Bucket: 'taken-name' }));
    expect(again.$metadata.httpStatusCode).toBe(200);
    await expect(other.send(new CreateBucketCommand({ Bucket: 'taken-name' }))).rejects.toMatchObject({
      name: 'BucketAlreadyExists',
      $metadata: { httpStatusCode: 409 },
    });
  });

  it('rejects a NoSuchBucket for operations on a missing bucket', async () => {
    await expect(
      client.send(new PutObjectCommand({ Bucket: 'never-made', Key: 'k', Body: 'b' })),
    ).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  it('paginates ListBuckets with max-buckets and a continuation token', async () => {
    for (const n of ['page-a', 'page-b', 'page-c']) await other.send(new CreateBucketCommand({ Bucket: n }));
    const p1 = await other.send(new ListBucketsCommand({ MaxBuckets: 2, Prefix: 'page-' }));
    expect(p1.Buckets?.map((b) => b.Name)).toEqual(['page-a', 'page-b']);
    const p2 = await other.send(
      new ListBucketsCommand({ MaxBuckets: 2, Prefix: 'page-', ContinuationToken: p1.ContinuationToken }),
    );
    expect(p2.Buckets?.map((b) => b.Name)).toEqual(['page-c']);
    expect(p2.ContinuationToken).toBeUndefined();
  });
});

describe('bucket names', () => {
  const bad = [
    'ab',
    'a'.repeat(64),
    'Upper-case',
    'under_score',
    '-dash-first',
    'dash-last-',
    'two..dots',
    '192.168.1.1',
    'xn--punycode',
    'ends-s3alias',
    'console',
  ];
  for (const name of bad) {
    it(`refuses "${name}" with InvalidBucketName`, async () => {
      const res = await signedFetch(srv.endpoint, srv.creds, { method: 'PUT', path: `/${name}` });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('InvalidBucketName');
    });
  }
  it('accepts dots, digits and hyphens inside', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'my.site-2026' }));
  });
});

describe('storage class', () => {
  it('is STANDARD by default and COLD when asked with x-qoima-storage-class', async () => {
    const res = await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: '/cold-archive',
      headers: { 'x-qoima-storage-class': 'COLD' },
    });
    expect(res.status).toBe(200);
    const head = await signedFetch(srv.endpoint, srv.creds, { method: 'HEAD', path: '/cold-archive' });
    expect(head.headers.get('x-qoima-storage-class')).toBe('COLD');
    await client.send(new PutObjectCommand({ Bucket: 'cold-archive', Key: 'old.log', Body: 'log' }));
    const obj = await signedFetch(srv.endpoint, srv.creds, { method: 'HEAD', path: '/cold-archive/old.log' });
    expect(obj.headers.get('x-amz-storage-class')).toBe('COLD');
  });

  it('refuses an unknown class', async () => {
    const res = await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: '/glacier-ish',
      headers: { 'x-qoima-storage-class': 'GLACIER' },
    });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('InvalidStorageClass');
  });

  it('can never be changed: not by re-creating the bucket, not per object', async () => {
    await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: '/fixed-class',
      headers: { 'x-qoima-storage-class': 'COLD' },
    });
    const again = await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: '/fixed-class',
      headers: { 'x-qoima-storage-class': 'STANDARD' },
    });
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/storage class COLD.*cannot be changed/);
    await expect(
      client.send(
        new PutObjectCommand({ Bucket: 'fixed-class', Key: 'k', Body: 'b', StorageClass: 'STANDARD' }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidStorageClass',
      message: expect.stringMatching(/storage class of their bucket \(COLD\)/),
    });
    // restating the bucket's own class is fine
    await signedFetch(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: '/fixed-class/ok',
      headers: { 'x-amz-storage-class': 'COLD' },
      body: 'ok',
    }).then((r) => expect(r.status).toBe(200));
  });
});

describe('tenant isolation', () => {
  it('one account never sees or touches another account’s buckets', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'root-private' }));
    await client.send(new PutObjectCommand({ Bucket: 'root-private', Key: 'secret.txt', Body: 'mine' }));
    const theirs = await other.send(new ListBucketsCommand({}));
    expect(theirs.Buckets?.map((b) => b.Name)).not.toContain('root-private');
    for (const attempt of [
      signedFetch(srv.endpoint, otherCreds, { path: '/root-private/secret.txt' }),
      signedFetch(srv.endpoint, otherCreds, { path: '/root-private', query: { 'list-type': '2' } }),
      signedFetch(srv.endpoint, otherCreds, { method: 'PUT', path: '/root-private/planted.txt', body: 'x' }),
      signedFetch(srv.endpoint, otherCreds, { method: 'DELETE', path: '/root-private/secret.txt' }),
      signedFetch(srv.endpoint, otherCreds, { method: 'DELETE', path: '/root-private' }),
      signedFetch(srv.endpoint, otherCreds, { method: 'PUT', path: '/their-copy' }).then(() =>
        signedFetch(srv.endpoint, otherCreds, {
          method: 'PUT',
          path: '/their-copy/stolen',
          headers: { 'x-amz-copy-source': '/root-private/secret.txt' },
        }),
      ),
    ]) {
      const res = await attempt;
      expect(res.status).toBe(403);
      expect(await errorCode(res)).toBe('AccessDenied');
    }
    const still = await signedFetch(srv.endpoint, srv.creds, { path: '/root-private/secret.txt' });
    expect(await still.text()).toBe('mine');
  });
});

describe('outside us-east-1', () => {
  it('says BucketAlreadyOwnedByYou to the owner creating a bucket again', async () => {
    const eu = await startServer({ env: { QOIMA_REGION: 'eu-west-1' } });
    try {
      const c = s3(eu.endpoint, eu.creds, { region: 'eu-west-1' });
      const config = { LocationConstraint: 'eu-west-1' as const };
      await c.send(new CreateBucketCommand({ Bucket: 'mine', CreateBucketConfiguration: config }));
      await expect(
        c.send(new CreateBucketCommand({ Bucket: 'mine', CreateBucketConfiguration: config })),
      ).rejects.toMatchObject({ name: 'BucketAlreadyOwnedByYou', $metadata: { httpStatusCode: 409 } });
    } finally {
      await eu.stop();
      await removeDir(eu.dataDir);
    }
  });
});
