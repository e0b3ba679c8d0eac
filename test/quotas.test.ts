/** Quotas (bytes, buckets, objects, largest object) and fair use (request rate, bandwidth). */
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_TOKEN, account as newAccount, operator as operatorAt } from './helpers/accounts.ts';
import { api } from './helpers/api.ts';
import { randomBytes } from './helpers/s3.ts';
import { type RunningServer, admin, removeDir, startServer, advanceClock } from './helpers/server.ts';

let srv: RunningServer;

beforeAll(async () => {
  srv = await startServer({
    env: {
      QOIMA_OPERATOR_TOKEN: OPERATOR_TOKEN,
      QOIMA_DEFAULT_MAX_BYTES: String(50 * 1024 * 1024),
      QOIMA_DEFAULT_MAX_BUCKETS: '20',
      QOIMA_DEFAULT_MAX_OBJECTS: '1000',
      QOIMA_DEFAULT_MAX_OBJECT_SIZE: String(40 * 1024 * 1024),
    },
  });
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

const operator = (method: string, path: string, body?: unknown) =>
  operatorAt(srv.endpoint, method, path, body);
const account = (quota: Parameters<typeof newAccount>[1]) => newAccount(srv.endpoint, quota);

describe('operator API', () => {
  it('needs the operator token; account credentials do not open it', async () => {
    expect((await fetch(`${srv.endpoint}/admin/operator/accounts`)).status).toBe(403);
    expect((await api(srv, 'GET', '/admin/operator/accounts')).status).toBe(403);
    expect((await operator('GET', '/accounts')).status).toBe(200);
  });

  it('new accounts get the default quotas, visible to the account with its usage', async () => {
    const res = await operator('POST', '/accounts', { name: 'defaults' });
    const a = await res.json();
    const usage = await (await api({ endpoint: srv.endpoint, creds: a }, 'GET', '/admin/usage')).json();
    expect(usage.quota).toMatchObject({
      maxBytes: 50 * 1024 * 1024,
      maxBuckets: 20,
      maxObjects: 1000,
      maxObjectSize: 40 * 1024 * 1024,
    });
    expect(usage.usage).toMatchObject({ bytes: 0, buckets: 0, objects: 0 });
  });
});

describe('quotas', () => {
  it('refuse an upload past the byte quota with QuotaExceeded (403), keeping nothing', async () => {
    const { client, creds } = await account({ maxBytes: 10_000 });
    await client.send(new CreateBucketCommand({ Bucket: 'q-bytes' }));
    await client.send(new PutObjectCommand({ Bucket: 'q-bytes', Key: 'a', Body: randomBytes(6_000) }));
    await expect(
      client.send(new PutObjectCommand({ Bucket: 'q-bytes', Key: 'b', Body: randomBytes(6_000) })),
    ).rejects.toMatchObject({
      name: 'QuotaExceeded',
      $metadata: { httpStatusCode: 403 },
      message: expect.stringMatching(/quota of 10000 stored bytes/),
    });
    const usage = await (await api({ endpoint: srv.endpoint, creds }, 'GET', '/admin/usage')).json();
    expect(usage.usage).toMatchObject({ bytes: 6_000, objects: 1, reservedBytes: 0 });
  });

  it('concurrent uploads cannot together overshoot the byte quota', async () => {
    const { client, creds } = await account({ maxBytes: 1_000_000 });
    await client.send(new CreateBucketCommand({ Bucket: 'q-race' }));
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        client.send(new PutObjectCommand({ Bucket: 'q-race', Key: `k${i}`, Body: randomBytes(300_000) })),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBe(3);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as { name: string }).name).toBe('QuotaExceeded');
    const usage = await (await api({ endpoint: srv.endpoint, creds }, 'GET', '/admin/usage')).json();
    expect(usage.usage.bytes).toBe(900_000);
    expect(usage.usage.reservedBytes).toBe(0);
  });

  it('refuse an object larger than the largest allowed before reading it', async () => {
    const { client } = await account({ maxObjectSize: 1_000 });
    await client.send(new CreateBucketCommand({ Bucket: 'q-size' }));
    await expect(
      client.send(new PutObjectCommand({ Bucket: 'q-size', Key: 'big', Body: randomBytes(1_001) })),
    ).rejects.toMatchObject({
      name: 'QuotaExceeded',
      message: expect.stringMatching(/larger than the largest/),
    });
    await client.send(new PutObjectCommand({ Bucket: 'q-size', Key: 'ok', Body: randomBytes(1_000) }));
  });

  it('count buckets and objects (an overwrite is not a new object)', async () => {
    const { client } = await account({ maxBuckets: 2, maxObjects: 2 });
    await client.send(new CreateBucketCommand({ Bucket: 'q-count-1' }));
    await client.send(new CreateBucketCommand({ Bucket: 'q-count-2' }));
    await expect(client.send(new CreateBucketCommand({ Bucket: 'q-count-3' }))).rejects.toMatchObject({
      name: 'QuotaExceeded',
      message: expect.stringMatching(/2 buckets/),
    });
    await client.send(new PutObjectCommand({ Bucket: 'q-count-1', Key: 'a', Body: 'a' }));
    await client.send(new PutObjectCommand({ Bucket: 'q-count-2', Key: 'b', Body: 'b' }));
    await expect(
      client.send(new PutObjectCommand({ Bucket: 'q-count-1', Key: 'c', Body: 'c' })),
    ).rejects.toMatchObject({ name: 'QuotaExceeded', message: expect.stringMatching(/2 objects/) });
    await client.send(new PutObjectCommand({ Bucket: 'q-count-1', Key: 'a', Body: 'a again' }));
  });

  it('count multipart parts while they wait, and let the completed object in', async () => {
    const { client, creds } = await account({ maxBytes: 12 * 1024 * 1024 });
    await client.send(new CreateBucketCommand({ Bucket: 'q-mpu' }));
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'q-mpu', Key: 'm' }));
    const p1 = await client.send(
      new UploadPartCommand({
        Bucket: 'q-mpu',
        Key: 'm',
        UploadId,
        PartNumber: 1,
        Body: randomBytes(5 * 1024 * 1024),
      }),
    );
    const p2 = await client.send(
      new UploadPartCommand({
        Bucket: 'q-mpu',
        Key: 'm',
        UploadId,
        PartNumber: 2,
        Body: randomBytes(5 * 1024 * 1024),
      }),
    );
    await expect(
      client.send(
        new PutObjectCommand({ Bucket: 'q-mpu', Key: 'other', Body: randomBytes(3 * 1024 * 1024) }),
      ),
    ).rejects.toMatchObject({ name: 'QuotaExceeded' });
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'q-mpu',
        Key: 'm',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    const usage = await (await api({ endpoint: srv.endpoint, creds }, 'GET', '/admin/usage')).json();
    expect(usage.usage).toMatchObject({ bytes: 10 * 1024 * 1024, uploadBytes: 0 });
  });

  it('can be changed by the operator at any time, also with the admin CLI', async () => {
    const { id, client } = await account({ maxBuckets: 1 });
    await client.send(new CreateBucketCommand({ Bucket: 'q-change-1' }));
    await expect(client.send(new CreateBucketCommand({ Bucket: 'q-change-2' }))).rejects.toMatchObject({
      name: 'QuotaExceeded',
    });
    const set = JSON.parse(
      await admin(srv.dataDir, ['quotas', 'set', '--account', id, '--max-buckets', '3', '--json']),
    );
    expect(set.maxBuckets).toBe(3);
    await client.send(new CreateBucketCommand({ Bucket: 'q-change-2' }));
    const shown = JSON.parse(await admin(srv.dataDir, ['quotas', 'show', '--account', id, '--json']));
    expect(shown.usage.buckets).toBe(2);
  });
});

describe('fair use', () => {
  it('over the request rate: 503 SlowDown with Retry-After; later requests pass again', async () => {
    const { client, creds } = await account({ requestsPerSecond: 5 });
    await client.send(new CreateBucketCommand({ Bucket: 'q-rate' }));
    const { signedFetch } = await import('./helpers/s3.ts');
    const responses = await Promise.all(
      Array.from({ length: 30 }, () =>
        signedFetch(srv.endpoint, creds, { path: '/q-rate', query: { 'list-type': '2' } }),
      ),
    );
    const slow = responses.filter((r) => r.status === 503);
    expect(slow.length).toBeGreaterThan(10);
    expect(responses.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(Number(slow[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await slow[0]!.text()).toContain('<Code>SlowDown</Code>');
    await advanceClock(srv, 2_100); // the allowance refills
    expect(
      (await signedFetch(srv.endpoint, creds, { path: '/q-rate', query: { 'list-type': '2' } })).status,
    ).toBe(200);
  });

  it('over the bandwidth: SlowDown until the account is back under its byte rate, other accounts unaffected', async () => {
    const { client, creds } = await account({ bytesPerSecond: 200_000 });
    await client.send(new CreateBucketCommand({ Bucket: 'q-bw' }));
    await client.send(new PutObjectCommand({ Bucket: 'q-bw', Key: 'big', Body: randomBytes(1_000_000) }));
    const { signedFetch } = await import('./helpers/s3.ts');
    const next = await signedFetch(srv.endpoint, creds, { path: '/q-bw/big' });
    expect(next.status).toBe(503);
    expect(Number(next.headers.get('retry-after'))).toBeGreaterThanOrEqual(2);
    const bystander = await signedFetch(srv.endpoint, srv.creds, { path: '/' });
    expect(bystander.status).toBe(200);
  });
});
