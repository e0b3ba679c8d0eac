/**
 * Past one machine on engines that exist: two Qoima nodes with NO shared directory — metadata on one
 * libSQL server (sqld), chunks in a bucket of a real Ceph cluster (radosgw) — serve one service.
 * Shown here: an object written through one node is read through the other; deletes and races agree;
 * GC on one node never takes a chunk a writer on the other still needs; a Deno node beside them reads
 * what they wrote and they what it wrote; a node SIGKILLed mid-upload
 * loses no acknowledged object, shows nothing partial and leaks no chunk after GC; a gateway stopped
 * and restarted under traffic gives clients 503 with Retry-After, never a wrong byte; the S3 core cases
 * and aws-cli / rclone / s3cmd pass with chunks in RGW.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { access, readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCeph, startCeph } from './helpers/ceph.ts';
import { coreS3Cases } from './helpers/core-cases.ts';
import { randomBytes, s3 } from './helpers/s3.ts';
import { ROOT, type RunningServer, admin, removeDir, startServer, tempDir } from './helpers/server.ts';
import { type RunningSqld, startSqld } from './helpers/sqld.ts';

const MiB = 1024 * 1024;
const CHUNKS = 'qoima-chunks';
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let ceph: RunningCeph;
let sqld: RunningSqld;
let rgw: S3Client;
let env: Record<string, string>;
const dirs: string[] = [];
const nodes: RunningServer[] = [];
let a: RunningServer;
let b: RunningServer;
let viaA: S3Client;
let viaB: S3Client;
let meta: Client;
const ROOT_CREDS = { accessKeyId: 'scale-root', secretAccessKey: 'scale-root-secret-key' };

async function node(dataDir?: string, extra: Record<string, string> = {}): Promise<RunningServer> {
  const dir = dataDir ?? (await tempDir('qoima-scale-'));
  if (!dataDir) dirs.push(dir);
  const srv = await startServer({ dataDir: dir, env: { ...env, ...extra }, credentialsOptional: true });
  nodes.push(srv);
  return srv;
}

/** The admin CLI as an operator runs it beside the nodes: same database, same chunk bucket. */
const cli = (args: string[]) => admin(a.dataDir, [...args, '--json'], env);

async function chunkNames(): Promise<Set<string>> {
  const names = new Set<string>();
  let token: string | undefined;
  do {
    const page = await rgw.send(
      new ListObjectsV2Command({ Bucket: CHUNKS, Prefix: 'chunks/', ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) names.add(o.Key!.slice('chunks/'.length));
    token = page.NextContinuationToken;
  } while (token);
  return names;
}

async function bytesOf(client: S3Client, Bucket: string, Key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

beforeAll(async () => {
  [ceph, sqld] = await Promise.all([startCeph({ memstoreBytes: 2 * 1024 * MiB }), startSqld()]);
  rgw = s3(ceph.endpoint, ceph);
  await rgw.send(new CreateBucketCommand({ Bucket: CHUNKS }));
  env = {
    QOIMA_DB_URL: sqld.url,
    QOIMA_SERVER_KEY: nodeRandomBytes(32).toString('base64'),
    QOIMA_ROOT_ACCESS_KEY: ROOT_CREDS.accessKeyId,
    QOIMA_ROOT_SECRET_KEY: ROOT_CREDS.secretAccessKey,
    QOIMA_CHUNK_STORE: 's3',
    QOIMA_CHUNK_S3_ENDPOINT: ceph.endpoint,
    QOIMA_CHUNK_S3_BUCKET: CHUNKS,
    QOIMA_CHUNK_S3_REGION: ceph.region,
    QOIMA_CHUNK_S3_ACCESS_KEY_ID: ceph.accessKeyId,
    QOIMA_CHUNK_S3_SECRET_ACCESS_KEY: ceph.secretAccessKey,
    QOIMA_CHUNK_SIZE: String(MiB),
    QOIMA_INLINE_MAX: '0',
    QOIMA_GC_DELAY_SECONDS: '0',
    QOIMA_GC_INTERVAL_SECONDS: '3600',
    QOIMA_HEARTBEAT_SECONDS: '1',
    QOIMA_NODE_TIMEOUT_SECONDS: '3',
  };
  a = await node();
  b = await node(undefined, { QOIMA_CHUNK_CACHE_BYTES: '0' });
  viaA = s3(a.endpoint, ROOT_CREDS);
  viaB = s3(b.endpoint, ROOT_CREDS);
  meta = createClient({ url: sqld.url });
  await viaA.send(new CreateBucketCommand({ Bucket: 'shared' }));
}, 180_000);

afterAll(async () => {
  meta?.close();
  for (const n of nodes) if (n.proc.exitCode === null && n.proc.signalCode === null) await n.stop();
  await ceph?.stop();
  await sqld?.stop();
  for (const d of [...dirs, sqld?.dir]) if (d) await removeDir(d);
});

describe('two nodes, no shared directory: one sqld, one RGW bucket', () => {
  it('keep chunks only in the backend; an object written through one is read through the other', async () => {
    const body = randomBytes(3 * MiB + 17);
    await viaA.send(new PutObjectCommand({ Bucket: 'shared', Key: 'photo.jpg', Body: body }));
    expect((await bytesOf(viaB, 'shared', 'photo.jpg')).equals(Buffer.from(body))).toBe(true);
    expect((await chunkNames()).size).toBeGreaterThanOrEqual(4);
    for (const n of [a, b]) expect(await readdir(n.dataDir)).not.toContain('chunks');
  });

  it('a bucket deleted on one is gone on the other at once', async () => {
    await viaA.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
    await viaB.send(new DeleteBucketCommand({ Bucket: 'short-lived' }));
    await expect(viaA.send(new HeadBucketCommand({ Bucket: 'short-lived' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('concurrent writers through both nodes end with one complete winner', async () => {
    for (let round = 0; round < 3; round++) {
      const one = randomBytes(2 * MiB + round);
      const two = randomBytes(2 * MiB + 100 + round);
      await Promise.all([
        viaA.send(new PutObjectCommand({ Bucket: 'shared', Key: 'contested', Body: one })),
        viaB.send(new PutObjectCommand({ Bucket: 'shared', Key: 'contested', Body: two })),
      ]);
      const [fromA, fromB] = [
        await bytesOf(viaA, 'shared', 'contested'),
        await bytesOf(viaB, 'shared', 'contested'),
      ];
      expect(fromA.equals(fromB)).toBe(true);
      expect([md5(one), md5(two)]).toContain(md5(fromA));
    }
  });

  it('GC on one node never deletes a chunk that a writer on the other still needs', async () => {
    // Node B takes an upload of the same bytes as an object that node A then deletes and collects at
    // once (GC delay 0): B finds the chunks already stored and relies on them, under its staging refs.
    const body = Buffer.from(randomBytes(3 * MiB));
    await viaA.send(new PutObjectCommand({ Bucket: 'shared', Key: 'original', Body: body }));
    const url = await getSignedUrl(viaB, new PutObjectCommand({ Bucket: 'shared', Key: 'copy' }), {
      expiresIn: 600,
    });
    const staged = async () =>
      Number(
        (await meta.execute('select count(*) as n from chunk_refs where owner in (select id from stagings)'))
          .rows[0]!.n,
      );
    const status = new Promise<number>((resolveStatus, reject) => {
      const req = request(url, { method: 'PUT', headers: { 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolveStatus(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 2 * MiB + 5));
      void (async () => {
        while ((await staged()) < 2) await new Promise((r) => setImmediate(r));
        await viaA.send(new DeleteObjectCommand({ Bucket: 'shared', Key: 'original' }));
        await cli(['gc']);
        req.end(body.subarray(2 * MiB + 5));
      })().catch(reject);
    });
    expect(await status).toBe(200);
    expect((await bytesOf(viaA, 'shared', 'copy')).equals(body)).toBe(true);
    const report = JSON.parse(await cli(['scrub'])) as { missing: unknown[]; corrupt: unknown[] };
    expect(report).toMatchObject({ missing: [], corrupt: [] });
  }, 60_000);
});

/** Every chunk in the backend is referenced, and every referenced chunk is in the backend. */
async function backendMatchesMetadata(): Promise<void> {
  const referenced = new Set(
    (await meta.execute('select hash from chunks where refcount > 0')).rows.map((r) => String(r.hash)),
  );
  const stored = await chunkNames();
  expect(
    [...stored].filter((h) => !referenced.has(h)),
    'chunks leaked in the backend',
  ).toEqual([]);
  expect(
    [...referenced].filter((h) => !stored.has(h)),
    'chunks missing from the backend',
  ).toEqual([]);
}

describe.each([
  ['a Deno node', 'deno', { QOIMA_CHUNK_CACHE_BYTES: '0' }],
  ['a Worker under wrangler dev', 'workers', {}],
] as const)('%s beside them, on the same sqld and RGW bucket', (_, runtime, extra) => {
  it('writes chunks only to the backend, and each runtime reads what the other wrote, byte for byte', async () => {
    const dir = await tempDir(`qoima-scale-${runtime}-`);
    dirs.push(dir);
    const srv = await startServer({
      runtime,
      dataDir: dir,
      env: { ...env, ...extra },
      credentialsOptional: true,
    });
    nodes.push(srv);
    const via = s3(srv.endpoint, ROOT_CREDS);
    const theirs = Buffer.from(randomBytes(2 * MiB + 11));
    await via.send(new PutObjectCommand({ Bucket: 'shared', Key: `by-${runtime}`, Body: theirs }));
    expect((await bytesOf(viaA, 'shared', `by-${runtime}`)).equals(theirs)).toBe(true);
    const fromNode = Buffer.from(randomBytes(MiB + 5));
    await viaB.send(
      new PutObjectCommand({ Bucket: 'shared', Key: `by-node-for-${runtime}`, Body: fromNode }),
    );
    expect((await bytesOf(via, 'shared', `by-node-for-${runtime}`)).equals(fromNode)).toBe(true);
    // its chunks are in the backend, none on its own disk (nor in miniflare's local R2)
    const stored = await chunkNames();
    for (const chunk of [theirs.subarray(0, MiB), theirs.subarray(2 * MiB)])
      expect(stored.has(sha256(chunk))).toBe(true);
    expect(await readdir(dir)).not.toContain('chunks');
    await cli(['gc']); // what earlier tests overwrote (GC delay 0), so the comparison is of this test
    await backendMatchesMetadata();
    await srv.stop();
  }, 240_000);
});

describe('a node SIGKILLed in the middle of uploads', () => {
  it('loses no acknowledged object, shows nothing partial and leaks no chunk after GC', async () => {
    await viaA.send(new CreateBucketCommand({ Bucket: 'crash' }));
    const victim = await node(undefined, { QOIMA_CHUNK_CACHE_BYTES: '0' });
    const viaVictim = s3(victim.endpoint, ROOT_CREDS, { maxAttempts: 1 });
    const acked = new Map<string, string>();
    const candidates = new Map<string, Set<string>>();
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const key = `w${w}/k${i}`;
        const body = randomBytes(MiB + ((i * 7919) % MiB) + 1);
        candidates.set(key, new Set([md5(body)]));
        try {
          await viaVictim.send(new PutObjectCommand({ Bucket: 'crash', Key: key, Body: body }));
          acked.set(key, md5(body));
        } catch {
          return;
        }
      }
    };
    const writers = [0, 1, 2].map(writer);
    while (acked.size < 6) await new Promise((r) => setImmediate(r));
    await victim.kill();
    stop = true;
    await Promise.all(writers);

    const listed = await viaB.send(new ListObjectsV2Command({ Bucket: 'crash' }));
    for (const [key, sum] of acked) expect(md5(await bytesOf(viaB, 'crash', key)), key).toBe(sum);
    for (const o of listed.Contents ?? []) {
      const got = md5(await bytesOf(viaB, 'crash', o.Key!));
      expect(candidates.get(o.Key!)?.has(got), `${o.Key} is whole`).toBe(true);
    }
    // The dead node's uploads are dropped once it misses its heartbeats; GC then takes their chunks.
    await expect
      .poll(
        async () => {
          await cli(['gc']);
          await backendMatchesMetadata();
          return true;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
  }, 120_000);
});

describe('the chunk gateway stopped and restarted under traffic', () => {
  it('clients see 503 with Retry-After while it is down, never a wrong byte', async () => {
    const body = Buffer.from(randomBytes(2 * MiB + 3));
    await viaA.send(new PutObjectCommand({ Bucket: 'shared', Key: 'steady', Body: body }));
    const seen = { ok: 0, unavailable: 0 };
    let stop = false;
    const traffic = async () => {
      while (!stop) {
        const res = await fetch(
          await getSignedUrl(viaB, new GetObjectCommand({ Bucket: 'shared', Key: 'steady' })),
        );
        if (res.status === 200) {
          // A body cut off mid-way is an error the client sees, never bytes that are not the object's.
          const got = await res.arrayBuffer().then(
            (x) => Buffer.from(x),
            () => null,
          );
          if (got) {
            expect(got.equals(body)).toBe(true);
            seen.ok++;
          }
        } else {
          const text = await res.text();
          expect(res.status, `${text}\n${b.output().slice(-3000)}`).toBe(503);
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
          expect(text).toContain('<Code>ServiceUnavailable</Code>');
          seen.unavailable++;
        }
      }
    };
    const loops = [traffic(), traffic()];
    while (seen.ok < 3) await new Promise((r) => setImmediate(r));
    await ceph.stopGateway();
    while (seen.unavailable < 3) await new Promise((r) => setImmediate(r));
    const put = await viaB
      .send(new PutObjectCommand({ Bucket: 'shared', Key: 'during', Body: randomBytes(MiB) }))
      .then(
        () => 200,
        (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode,
      );
    expect(put).toBe(503);
    await ceph.startGateway();
    const okBefore = seen.ok;
    while (seen.ok < okBefore + 3) await new Promise((r) => setImmediate(r));
    stop = true;
    await Promise.all(loops);
    await expect(viaB.send(new HeadBucketCommand({ Bucket: 'shared' }))).resolves.toBeTruthy();
  }, 120_000);
});

describe('the S3 core cases with chunks in RGW', () => {
  coreS3Cases(() => ({ ...a, creds: ROOT_CREDS }));
});

const clientsScript = await (async () => {
  const candidates = [
    process.env.QOIMA_CLIENTS_SH,
    resolve(ROOT, '../shared/clients/clients.sh'),
    '/work/shared/clients/clients.sh',
  ];
  for (const c of candidates)
    if (
      c &&
      (await access(c).then(
        () => true,
        () => false,
      ))
    )
      return c;
  console.warn('scale-ceph.test: no clients.sh found; set QOIMA_CLIENTS_SH');
  return null;
})();

describe.skipIf(!clientsScript)('aws-cli, rclone and s3cmd with chunks in RGW', () => {
  it('pass every step of clients.sh', async () => {
    const out = await new Promise<string>((done) => {
      const env = { ...process.env };
      delete env.AWS_CA_BUNDLE;
      const p = spawn(
        'bash',
        [clientsScript!, '127.0.0.1', String(a.port), ROOT_CREDS.accessKeyId, ROOT_CREDS.secretAccessKey],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env,
        },
      );
      let text = '';
      p.stdout.on('data', (d: Buffer) => (text += d.toString()));
      p.stderr.on('data', (d: Buffer) => (text += d.toString()));
      p.on('exit', () => done(text));
    });
    expect(
      out.split('\n').filter((l) => l.startsWith('FAIL')),
      out,
    ).toEqual([]);
    expect(out).toMatch(/clients: \d+ passed, 0 failed/);
  }, 600_000);
});
