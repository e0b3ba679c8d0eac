/**
 * Fair use as a stranger would try it: refused requests are charged to the client's address, never to
 * the bucket owner's request rate; a flood of them is slowed down at that address, as are failed console
 * sign-ins spread over many logins. And uploads sent
 * without Content-Length (aws-chunked, as the SDKs stream) count against the bandwidth as they arrive.
 * Requests come from several loopback addresses (127.0.0.x) to act as several clients.
 */
import { CreateBucketCommand, PutBucketAclCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_TOKEN, account } from './helpers/accounts.ts';
import { logRows } from './helpers/db.ts';
import { hostRequest } from './helpers/http.ts';
import { type RawRequest, randomBytes, signRequest, signedFetch } from './helpers/s3.ts';
import { type Creds, type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;

beforeAll(async () => {
  srv = await startServer({
    env: {
      QOIMA_OPERATOR_TOKEN: OPERATOR_TOKEN,
      QOIMA_LOG_FLUSH_MS: '100',
      QOIMA_CLIENT_REFUSALS_PER_SECOND: '5',
      QOIMA_CONSOLE_FAILURES_PER_ADDRESS: '5',
    },
  });
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

/** A request from another client address: anonymous (creds null) or signed. */
async function from(address: string, creds: Creds | null, r: RawRequest) {
  const { url, method, headers } = await signRequest(srv.endpoint, creds, r);
  const u = new URL(url);
  return hostRequest(srv.port, u.host, u.pathname + u.search, { method, headers, localAddress: address });
}

/** An upload form with a made-up policy and signature, posted to `bucket` from `address`. */
function forgedForm(address: string, bucket: string, keyId: string) {
  const boundary = 'forged-form-boundary';
  const fields: Record<string, string> = {
    key: 'planted.txt',
    policy: btoa('{"expiration":"2099-01-01T00:00:00Z","conditions":[]}'),
    'x-amz-algorithm': 'AWS4-HMAC-SHA256',
    'x-amz-credential': `${keyId}/20260101/us-east-1/s3/aws4_request`,
    'x-amz-date': '20260101T000000Z',
    'x-amz-signature': '0'.repeat(64),
  };
  const parts = Object.entries(fields).map(
    ([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
  );
  const body = `${parts.join('')}--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="x.txt"\r\n\r\nplanted\r\n--${boundary}--\r\n`;
  return hostRequest(srv.port, new URL(srv.endpoint).host, `/${bucket}`, {
    method: 'POST',
    body,
    localAddress: address,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
}

/** Asks until `ok` (or the deadline), `everyMs` apart. */
async function until<T>(
  what: () => Promise<T>,
  ok: (v: T) => boolean,
  everyMs = 100,
  seconds = 15,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('refused requests', () => {
  it("do not spend the owner's request rate (an account at 2 requests/s, eight anonymous and eight foreign GETs)", async () => {
    const owner = await account(srv.endpoint);
    await owner.client.send(new CreateBucketCommand({ Bucket: 'owned' }));
    await owner.client.send(new PutObjectCommand({ Bucket: 'owned', Key: 'a.txt', Body: 'mine' }));
    await owner.setQuota({ requestsPerSecond: 2 });
    const stranger = await account(srv.endpoint);
    const refused = await Promise.all([
      ...Array.from({ length: 8 }, () => from('127.0.0.2', null, { path: '/owned/a.txt' })),
      ...Array.from({ length: 8 }, () => from('127.0.0.3', stranger.creds, { path: '/owned/a.txt' })),
      ...Array.from({ length: 4 }, () => forgedForm('127.0.0.7', 'owned', stranger.creds.accessKeyId)),
    ]);
    expect(refused.map((r) => r.status)).toEqual(Array(20).fill(403));
    const own = await signedFetch(srv.endpoint, owner.creds, { path: '/owned/a.txt' });
    expect(own.status).toBe(200);
    expect(await own.text()).toBe('mine');
  });

  it('anonymous reads a public bucket allows still count against its owner', async () => {
    const owner = await account(srv.endpoint);
    await owner.client.send(new CreateBucketCommand({ Bucket: 'shared' }));
    await owner.client.send(new PutObjectCommand({ Bucket: 'shared', Key: 'a.txt', Body: 'public' }));
    await owner.client.send(new PutBucketAclCommand({ Bucket: 'shared', ACL: 'public-read' }));
    await owner.setQuota({ requestsPerSecond: 2 });
    const reads = await Promise.all(
      Array.from({ length: 12 }, () => from('127.0.0.4', null, { path: '/shared/a.txt' })),
    );
    expect(reads.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    const slow = reads.filter((r) => r.status === 503);
    expect(slow.length).toBeGreaterThan(0);
    expect(slow[0]!.body).toMatch(/<Code>SlowDown<\/Code>.*this account is limited to 2 requests/s);
  });

  it('a flood of them is slowed down at its address (503 SlowDown), and only there', async () => {
    const owner = await account(srv.endpoint);
    await owner.client.send(new CreateBucketCommand({ Bucket: 'flooded' }));
    await owner.client.send(new PutObjectCommand({ Bucket: 'flooded', Key: 'a.txt', Body: 'mine' }));
    const statuses: number[] = [];
    let slowed: Awaited<ReturnType<typeof from>> | undefined;
    for (let i = 0; i < 30; i++) {
      const r = await from('127.0.0.5', null, { path: '/flooded/a.txt' });
      statuses.push(r.status);
      if (r.status === 503) slowed ??= r;
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(403));
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(15);
    expect(slowed!.body).toContain('<Code>SlowDown</Code>');
    expect(Number(slowed!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // even the owner's keys are slowed at that address, while the owner elsewhere is served
    expect((await from('127.0.0.5', owner.creds, { path: '/flooded/a.txt' })).status).toBe(503);
    expect((await from('127.0.0.5', owner.creds, { path: '/admin/buckets' })).body).toContain(
      '"code":"SlowDown"',
    );
    expect((await from('127.0.0.6', owner.creds, { path: '/flooded/a.txt' })).status).toBe(200);
    // and the address is let in again once it slows down (here: to the Retry-After of 1 s the answers carry)
    const later = await until(
      () => from('127.0.0.5', owner.creds, { path: '/flooded/a.txt' }),
      (r) => r.status !== 503,
      1000,
    );
    expect(later.status).toBe(200);
  });
});

describe('console sign-in', () => {
  it('failed sign-ins are limited per client address too, across logins; the owner elsewhere still gets in', async () => {
    const signIn = (address: string, fields: Record<string, string>) =>
      hostRequest(srv.port, new URL(srv.endpoint).host, '/console/sign-in', {
        method: 'POST',
        localAddress: address,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
    // five wrong passwords for five logins: each login is far from its own limit of ten
    for (let i = 0; i < 5; i++)
      expect(
        (await signIn('127.0.0.8', { email: `guess${i}@example.kz`, password: 'not the password' })).status,
      ).toBe(403);
    const held = await signIn('127.0.0.8', { ...srv.creds });
    expect(held.status).toBe(503);
    expect(held.body).toContain('Too many failed attempts from your address');
    expect((await signIn('127.0.0.9', { ...srv.creds })).status).toBe(303);
  });
});

describe('uploads without Content-Length', () => {
  it('count against the bandwidth as they arrive, and the log shows their bytes', async () => {
    const a = await account(srv.endpoint);
    await a.client.send(new CreateBucketCommand({ Bucket: 'streamed' }));
    await a.setQuota({ bytesPerSecond: 1000 });
    // a stream body of known length: the SDK sends it aws-chunked (STREAMING-UNSIGNED-PAYLOAD-TRAILER),
    // chunked
    const put = (key: string) =>
      a.client.send(
        new PutObjectCommand({
          Bucket: 'streamed',
          Key: key,
          Body: Readable.from([Buffer.from(randomBytes(20_000))]),
          ContentLength: 20_000,
        }),
      );
    await put('one');
    await expect(put('two')).rejects.toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    await expect(put('three')).rejects.toMatchObject({ name: 'SlowDown' });
    const rows = await until(
      () => logRows(srv.dataDir, `account_id = '${a.id}' AND operation = 'PutObject'`),
      (r) => r.length === 3,
    );
    expect(rows.map((r) => r.status)).toEqual([200, 503, 503]);
    expect(Number(rows[0]!.bytes_in)).toBeGreaterThanOrEqual(20_000);
  });
});
