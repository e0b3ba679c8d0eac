/**
 * Chunks in a bucket of a real Ceph cluster (radosgw, test/helpers/ceph.ts): the chunk store contract
 * over the S3 API, the backend's own check of what is written, damage in the backend caught by the
 * reader, the node-local read cache (bound, eviction, damaged copies), a gateway outage surfacing as
 * ChunkBackendUnavailableError within the call's deadline and recovery after it, and the settings.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { readdir, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedChunkStore } from '../src/core/block/cached-store.ts';
import { openChunkStore } from '../src/core/block/configured-store.ts';
import { readVerifiedChunk } from '../src/core/block/reader.ts';
import { S3ChunkStore, type S3ChunkStoreOptions } from '../src/core/block/s3-store.ts';
import { ChunkBackendUnavailableError, ChunkCorruptError, chunkHash } from '../src/core/block/store.ts';
import { ConfigError, loadConfig } from '../src/core/config.ts';
import { FsChunkStore } from '../src/local/fs-chunk-store.ts';
import { type RunningCeph, startCeph } from './helpers/ceph.ts';
import { s3 } from './helpers/s3.ts';
import { removeDir, startServer, tempDir } from './helpers/server.ts';

const BUCKET = 'qoima-chunks';
let ceph: RunningCeph;
let sdk: S3Client;
let options: S3ChunkStoreOptions;
let store: S3ChunkStore;
const dirs: string[] = [];

beforeAll(async () => {
  ceph = await startCeph();
  sdk = s3(ceph.endpoint, ceph);
  await sdk.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const { endpoint, region, accessKeyId, secretAccessKey } = ceph;
  options = { endpoint, bucket: BUCKET, region, accessKeyId, secretAccessKey };
  store = new S3ChunkStore(options);
});

afterAll(async () => {
  await ceph?.stop();
  for (const d of dirs) await removeDir(d);
});

async function chunk(size = 4096): Promise<{ hash: string; bytes: Uint8Array }> {
  const bytes = new Uint8Array(randomBytes(size));
  return { hash: await chunkHash(bytes), bytes };
}

/** Replaces a chunk's object behind the store's back, as bit rot or a stray writer would. */
async function overwrite(hash: string, body: Uint8Array): Promise<void> {
  await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: `chunks/${hash}`, Body: body }));
}

async function localCache(): Promise<FsChunkStore> {
  const dir = await tempDir('qoima-cache-');
  dirs.push(dir);
  const local = new FsChunkStore(dir, false);
  await local.init();
  return local;
}

function same(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && Buffer.from(a).equals(Buffer.from(b));
}

async function collect(it: AsyncIterable<string>): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const h of it) out.add(h);
  return out;
}

describe('S3ChunkStore on Ceph RGW', () => {
  it('keeps a chunk under its hash; repeated puts and deletes are harmless; missing is null', async () => {
    const { hash, bytes } = await chunk(100_000);
    expect(await store.has(hash)).toBe(false);
    expect(await store.get(hash)).toBeNull();
    await store.put(hash, bytes);
    await store.put(hash, bytes);
    expect(await store.has(hash)).toBe(true);
    expect(same(await store.get(hash), bytes)).toBe(true);
    expect(same(await store.get(hash, bytes.length), bytes)).toBe(true);
    expect(same(await readVerifiedChunk(store, hash, { size: bytes.length }), bytes)).toBe(true);
    await store.delete(hash);
    await store.delete(hash);
    expect(await store.has(hash)).toBe(false);
    expect(await store.get(hash, bytes.length)).toBeNull();
  });

  it('refuses to store bytes that are not the chunk its name says (the backend checks them)', async () => {
    const a = await chunk();
    const b = await chunk();
    await expect(store.put(a.hash, b.bytes)).rejects.toThrow(/XAmzContentSHA256Mismatch/);
    expect(await store.has(a.hash)).toBe(false);
  });

  it('lists every chunk page by page, past a thousand, and nothing that is not a chunk', async () => {
    const before = await collect(store.list());
    const made: string[] = [];
    const queue = Array.from({ length: 1100 }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const bytes = new TextEncoder().encode(`listing chunk ${i} ${Math.random()}`);
          const hash = await chunkHash(bytes);
          await store.put(hash, bytes);
          made.push(hash);
        }
      }),
    );
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'chunks/not-a-chunk', Body: 'x' }));
    await sdk.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'elsewhere/readme', Body: 'x' }));
    const listed = await collect(store.list());
    expect(listed.size).toBe(before.size + made.length);
    for (const h of made) expect(listed.has(h)).toBe(true);
    await Promise.all(made.map((h) => store.delete(h)));
  });

  it('a body cut off on the way is fetched again, never returned short', async () => {
    const x = await chunk(100_000);
    await store.put(x.hash, x.bytes);
    let cuts = 1; // connections whose answer is cut off after CUT_AT bytes
    const CUT_AT = 20_000;
    const open = new Set<Socket>();
    const proxy = createServer((client) => {
      open.add(client);
      client.on('close', () => open.delete(client));
      const upstream = connect(Number(new URL(ceph.endpoint).port), '127.0.0.1');
      let budget = cuts-- > 0 ? CUT_AT : Infinity;
      const close = () => (client.destroy(), upstream.destroy());
      client.pipe(upstream);
      upstream.on('data', (d: Buffer) => {
        client.write(d.subarray(0, budget));
        budget -= d.length;
        if (budget <= 0) close();
      });
      upstream.on('end', () => client.end());
      upstream.on('error', close);
      client.on('error', close);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const { port } = proxy.address() as AddressInfo;
    const via = new S3ChunkStore({ ...options, endpoint: `http://127.0.0.1:${port}` });
    try {
      expect(same(await via.get(x.hash, x.bytes.length), x.bytes)).toBe(true);
      expect(cuts).toBeLessThan(0); // the first answer was cut and a second one fetched
      cuts = 1000;
      for (const c of open) c.destroy(); // no kept-alive connection from before escapes the cuts
      await expect(via.get(x.hash, x.bytes.length)).rejects.toBeInstanceOf(ChunkBackendUnavailableError);
    } finally {
      proxy.close();
    }
  });

  it("a chunk damaged in the backend fails the reader's check, whatever its length", async () => {
    const { hash, bytes } = await chunk(10_000);
    await store.put(hash, bytes);
    const flipped = bytes.slice();
    flipped[1234]! ^= 1;
    for (const bad of [flipped, bytes.subarray(0, 5000), new Uint8Array(20_000)]) {
      await overwrite(hash, bad);
      const read = readVerifiedChunk(store, hash, { size: bytes.length });
      await expect(read).rejects.toBeInstanceOf(ChunkCorruptError);
    }
  });
});

describe('the read cache in front of the backend', () => {
  const SIZE = 64 * 1024;

  it('serves repeats from local disk, stays within its bound, lets the least recently used go', async () => {
    const local = await localCache();
    const cache = await CachedChunkStore.open(store, local, 3 * SIZE);
    const [a, b, c, d] = await Promise.all([chunk(SIZE), chunk(SIZE), chunk(SIZE), chunk(SIZE)]);
    for (const x of [a, b, c, d]) await cache.put(x.hash, x.bytes);
    expect(cache.cachedBytes).toBe(0); // writes go around the cache
    for (const x of [a, b, c]) await readVerifiedChunk(cache, x!.hash, { size: SIZE });
    expect(cache.cachedBytes).toBe(3 * SIZE);
    await readVerifiedChunk(cache, a!.hash, { size: SIZE }); // a is now more recent than b
    await readVerifiedChunk(cache, d!.hash, { size: SIZE });
    expect(cache.cachedBytes).toBe(3 * SIZE);
    expect(await collect(local.list())).toEqual(new Set([a!.hash, c!.hash, d!.hash]));
    // a cached chunk is served without the backend: gone there, still read here
    await sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `chunks/${a!.hash}` }));
    expect(same(await readVerifiedChunk(cache, a!.hash, { size: SIZE }), a!.bytes)).toBe(true);
    // ...but whether a chunk exists is the backend's answer, so a writer stores it again
    expect(await cache.has(a!.hash)).toBe(false);
    // deleting removes the chunk from both
    await cache.delete(c!.hash);
    expect(cache.isCached(c!.hash)).toBe(false);
    expect(await store.has(c!.hash)).toBe(false);
    expect(await local.has(c!.hash)).toBe(false);
  });

  it("drops a damaged or cut-short local copy and serves the backend's good chunk instead", async () => {
    const local = await localCache();
    const cache = await CachedChunkStore.open(store, local, 10 * SIZE);
    const x = await chunk(SIZE);
    await cache.put(x.hash, x.bytes);
    const file = local.path(x.hash);
    const damages = [() => writeFile(file, randomBytes(SIZE)), () => truncate(file, 100)];
    for (const damage of damages) {
      await readVerifiedChunk(cache, x.hash, { size: SIZE });
      expect(cache.isCached(x.hash)).toBe(true);
      await damage();
      const read = await readVerifiedChunk(cache, x.hash, { size: SIZE });
      expect(same(read, x.bytes)).toBe(true);
      expect(cache.isCached(x.hash)).toBe(true); // fetched again and cached again, whole
      expect(same(await local.get(x.hash), x.bytes)).toBe(true);
    }
  });

  it('never caches a damaged backend chunk: the reader fails as it would without the cache', async () => {
    const local = await localCache();
    const cache = await CachedChunkStore.open(store, local, 10 * SIZE);
    const x = await chunk(SIZE);
    await store.put(x.hash, x.bytes);
    await overwrite(x.hash, randomBytes(SIZE));
    await expect(readVerifiedChunk(cache, x.hash, { size: SIZE })).rejects.toBeInstanceOf(ChunkCorruptError);
    expect(cache.isCached(x.hash)).toBe(false);
    await store.put(x.hash, x.bytes); // repaired in the backend: read fine from then on
    await readVerifiedChunk(cache, x.hash, { size: SIZE });
    expect(cache.isCached(x.hash)).toBe(true);
  });

  it('after a restart counts the chunks already on disk and trims them to its bound', async () => {
    const local = await localCache();
    const first = await CachedChunkStore.open(store, local, 10 * SIZE);
    const xs = await Promise.all(Array.from({ length: 5 }, () => chunk(SIZE)));
    for (const x of xs) {
      await store.put(x.hash, x.bytes);
      await first.get(x.hash, SIZE);
    }
    const again = await CachedChunkStore.open(store, local, 5 * SIZE);
    expect(again.cachedBytes).toBe(5 * SIZE);
    const smaller = await CachedChunkStore.open(store, local, 2 * SIZE);
    expect(smaller.cachedBytes).toBe(2 * SIZE);
    expect((await collect(local.list())).size).toBe(2);
  });
});

describe('a backend outage', () => {
  const TIMEOUT_MS = 2_000;
  /** The call's deadline plus room for a loaded machine: a caller is never left waiting much longer. */
  const BOUND_MS = TIMEOUT_MS + 3_000;

  async function unavailable(what: () => Promise<unknown>): Promise<ChunkBackendUnavailableError> {
    const started = Date.now();
    const e = await what().then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ChunkBackendUnavailableError);
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    return e as ChunkBackendUnavailableError;
  }

  it('a stopped gateway fails every call as unavailable; cached chunks are still served', async () => {
    const quick = new S3ChunkStore({ ...options, timeoutMs: TIMEOUT_MS, attempts: 3 });
    const cache = await CachedChunkStore.open(quick, await localCache(), 1024 * 1024);
    const [hot, cold, fresh] = await Promise.all([chunk(), chunk(), chunk()]);
    for (const x of [hot, cold]) await quick.put(x.hash, x.bytes);
    await cache.get(hot.hash, hot.bytes.length);
    await ceph.stopGateway();
    try {
      const e = await unavailable(() => quick.put(fresh.hash, fresh.bytes));
      expect(e.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(e.hash).toBe(fresh.hash);
      await unavailable(() => quick.has(cold.hash));
      await unavailable(() => quick.get(cold.hash, cold.bytes.length));
      await unavailable(() => quick.delete(cold.hash));
      await unavailable(() => collect(quick.list()));
      await unavailable(() => readVerifiedChunk(cache, cold.hash, { size: cold.bytes.length }));
      const read = await readVerifiedChunk(cache, hot.hash, { size: hot.bytes.length });
      expect(same(read, hot.bytes)).toBe(true);
    } finally {
      await ceph.startGateway();
    }
    // back: the same store (its pooled connections died with the gateway) works again
    await quick.put(fresh.hash, fresh.bytes);
    expect(same(await quick.get(cold.hash), cold.bytes)).toBe(true);
    expect(await quick.has(fresh.hash)).toBe(true);
  });

  it('a gateway that takes connections but never answers fails calls by their deadline', async () => {
    const quick = new S3ChunkStore({ ...options, timeoutMs: TIMEOUT_MS });
    const x = await chunk(200_000);
    await quick.put(x.hash, x.bytes);
    ceph.freezeGateway();
    try {
      const e = await unavailable(() => quick.get(x.hash, x.bytes.length));
      expect(e.message).toMatch(/timed out/);
      await unavailable(() => quick.put(x.hash, x.bytes));
    } finally {
      ceph.thawGateway();
    }
    expect(same(await quick.get(x.hash, x.bytes.length), x.bytes)).toBe(true);
  });

  it("an outage shorter than a call's deadline is ridden out", async () => {
    const patient = new S3ChunkStore({ ...options, timeoutMs: 20_000, attempts: 50 });
    const x = await chunk();
    await patient.put(x.hash, x.bytes);
    await ceph.stopGateway();
    const read = patient.get(x.hash, x.bytes.length);
    await ceph.startGateway();
    expect(same(await read, x.bytes)).toBe(true);
  });
});

describe('settings', () => {
  it('QOIMA_CHUNK_STORE=s3 names every missing or malformed setting', () => {
    expect(() => loadConfig({ QOIMA_CHUNK_STORE: 's3' })).toThrow(
      'QOIMA_CHUNK_STORE=s3 needs QOIMA_CHUNK_S3_ENDPOINT, QOIMA_CHUNK_S3_BUCKET, ' +
        'QOIMA_CHUNK_S3_ACCESS_KEY_ID, QOIMA_CHUNK_S3_SECRET_ACCESS_KEY',
    );
    expect(() => loadConfig({ QOIMA_CHUNK_STORE: 'nfs' })).toThrow(/QOIMA_CHUNK_STORE/);
    expect(() => loadConfig({ QOIMA_CHUNK_S3_ENDPOINT: 'ftp://a.b' })).toThrow(/QOIMA_CHUNK_S3_ENDPOINT/);
    expect(() => loadConfig({ QOIMA_CHUNK_S3_BUCKET: 'Not_A_Bucket' })).toThrow(/QOIMA_CHUNK_S3_BUCKET/);
    expect(() => loadConfig({ QOIMA_CHUNK_CACHE_BYTES: '-1' })).toThrow(ConfigError);
    expect(loadConfig({}).chunkStore).toEqual({ kind: 'fs' });
  });

  const env = () => ({
    QOIMA_CHUNK_STORE: 's3',
    QOIMA_CHUNK_S3_ENDPOINT: ceph.endpoint,
    QOIMA_CHUNK_S3_BUCKET: BUCKET,
    QOIMA_CHUNK_S3_ACCESS_KEY_ID: ceph.accessKeyId,
    QOIMA_CHUNK_S3_SECRET_ACCESS_KEY: ceph.secretAccessKey,
  });
  const notOwn = () => {
    throw new Error('the runtime store is not used with QOIMA_CHUNK_STORE=s3');
  };

  it('builds the S3 store behind a read cache of QOIMA_CHUNK_CACHE_BYTES', async () => {
    const local = await localCache();
    const cfg = loadConfig({ ...env(), QOIMA_CHUNK_CACHE_BYTES: '100000' });
    const opened = await openChunkStore(cfg, { own: notOwn, cache: () => local });
    expect(opened.store).toBeInstanceOf(CachedChunkStore);
    expect(opened.backend).toBeInstanceOf(S3ChunkStore);
    const x = await chunk(60_000);
    await opened.store.put(x.hash, x.bytes);
    await readVerifiedChunk(opened.store, x.hash, { size: x.bytes.length });
    expect(await collect(local.list())).toEqual(new Set([x.hash]));
    const noCache = loadConfig({ ...env(), QOIMA_CHUNK_CACHE_BYTES: '0' });
    const uncached = await openChunkStore(noCache, { own: notOwn, cache: () => local });
    expect(uncached.store).toBe(uncached.backend);
  });

  it('stops start-up on a missing bucket or keys that do not sign, not on a backend down', async () => {
    const open = (more: Record<string, string>) => {
      return openChunkStore(loadConfig({ ...env(), ...more }), { own: notOwn });
    };
    await expect(open({ QOIMA_CHUNK_S3_BUCKET: 'no-such-bucket' })).rejects.toThrow(/NoSuchBucket/);
    const wrongKey = open({ QOIMA_CHUNK_S3_SECRET_ACCESS_KEY: 'wrong' });
    await expect(wrongKey).rejects.toThrow(/SignatureDoesNotMatch/);
    await ceph.stopGateway();
    try {
      const warnings: string[] = [];
      const cfg = loadConfig(env());
      if (cfg.chunkStore.kind === 's3') cfg.chunkStore.s3.timeoutMs = 1_000;
      await openChunkStore(cfg, { own: notOwn, warn: (m) => warnings.push(m) });
      expect(warnings.join()).toMatch(/unavailable/);
    } finally {
      await ceph.startGateway();
    }
  });
});

describe('a server with QOIMA_CHUNK_STORE=s3', () => {
  it('keeps the chunks of what it is sent in the bucket, none in its data directory', async () => {
    const srv = await startServer({
      env: {
        QOIMA_CHUNK_STORE: 's3',
        QOIMA_CHUNK_S3_ENDPOINT: ceph.endpoint,
        QOIMA_CHUNK_S3_BUCKET: BUCKET,
        QOIMA_CHUNK_S3_ACCESS_KEY_ID: ceph.accessKeyId,
        QOIMA_CHUNK_S3_SECRET_ACCESS_KEY: ceph.secretAccessKey,
      },
    });
    dirs.push(srv.dataDir);
    try {
      const client = s3(srv.endpoint, srv.creds);
      const body = new Uint8Array(randomBytes(200_000));
      await client.send(new CreateBucketCommand({ Bucket: 'photos' }));
      await client.send(new PutObjectCommand({ Bucket: 'photos', Key: 'big.bin', Body: body }));
      const got = await client.send(new GetObjectCommand({ Bucket: 'photos', Key: 'big.bin' }));
      expect(same(await got.Body!.transformToByteArray(), body)).toBe(true);
      const head = await sdk.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: `chunks/${await chunkHash(body)}` }),
      );
      expect(head.ContentLength).toBe(body.length);
      expect(await readdir(join(srv.dataDir, 'chunks')).catch(() => [])).toEqual([]);
    } finally {
      await srv.stop();
    }
  });
});
