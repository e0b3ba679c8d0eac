/**
 * Read buffers lent by a pool and given back once sent (core/block/buffer-pool.ts, node/give-back.ts):
 * reused only after the socket has taken them, so downloads running side by side, slow or cut short,
 * each get exactly their own bytes.
 */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { type Http2Bindings, type HttpBindings, serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferPool, MIN_POOLED } from '../src/core/block/buffer-pool.ts';
import { givingBack } from '../src/node/give-back.ts';
import { presign, randomBytes, s3, signedFetch } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

const KiB = 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('the pool', () => {
  it('lends a buffer again only once it was given back, and only once', () => {
    const pool = new BufferPool(4 * 1024 * KiB);
    const a = pool.take(100 * KiB);
    expect(a.length).toBe(100 * KiB);
    expect(a.buffer.byteLength).toBe(128 * KiB); // its size class
    expect(pool.take(100 * KiB).buffer).not.toBe(a.buffer); // still lent
    pool.giveBack(a.subarray(10)); // any view of it gives it back
    pool.giveBack(a); // twice: ignored
    const b = pool.take(128 * KiB);
    expect(b.buffer).toBe(a.buffer);
    expect(pool.take(128 * KiB).buffer).not.toBe(a.buffer);
  });

  it('keeps nothing it did not lend, nothing outside its sizes, nothing past its bound', () => {
    const pool = new BufferPool(1024 * KiB, undefined, 2 * 1024 * KiB);
    pool.giveBack(new Uint8Array(256 * KiB));
    for (const size of [MIN_POOLED - 1, 1024 * KiB + 1]) {
      const small = pool.take(size);
      expect(pool.isLent(small)).toBe(false);
      pool.giveBack(small);
    }
    expect(pool.waiting).toBe(0);
    const lent = [1, 2, 3].map(() => pool.take(1024 * KiB));
    for (const b of lent) pool.giveBack(b);
    expect(pool.waiting).toBe(2 * 1024 * KiB);
  });
});

describe("Node's responses give sent pieces back", () => {
  it('after the socket took them, and leaves pieces the pool did not lend alone', async () => {
    const pool = new BufferPool(1024 * KiB);
    const sent: Uint8Array[] = [];
    let finished: Promise<void> = Promise.resolve();
    const server = serve({
      fetch: (req: Request, env: HttpBindings | Http2Bindings) => {
        finished = new Promise((r) => (env as HttpBindings).outgoing.once('finish', r));
        const lend = new URL(req.url).pathname === '/pooled';
        const pieces = [1, 2, 3, 4].map((i) => {
          const b = lend ? pool.take(64 * KiB) : new Uint8Array(64 * KiB);
          return b.fill(i);
        });
        sent.push(...pieces);
        return new Response(new ReadableStream({ pull: (c) => c.enqueue(pieces.shift() ?? c.close()) }));
      },
      port: 0,
      hostname: '127.0.0.1',
      serverOptions: { ServerResponse: givingBack(pool) },
    });
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const plain = new Uint8Array(await (await fetch(`${base}/plain`)).arrayBuffer());
      await finished;
      expect(pool.waiting).toBe(0);
      const body = new Uint8Array(await (await fetch(`${base}/pooled`)).arrayBuffer());
      await finished;
      expect(plain.length).toBe(256 * KiB);
      expect([...new Set(body)]).toEqual([1, 2, 3, 4]);
      expect(pool.waiting).toBe(256 * KiB);
      const again = new Set([1, 2, 3, 4].map(() => pool.take(64 * KiB).buffer));
      expect(again).toEqual(new Set(sent.slice(4).map((b) => b.buffer)));
    } finally {
      server.close();
    }
  });
});

describe('downloads side by side through recycled buffers', () => {
  let srv: RunningServer;
  const objects = new Map<string, Uint8Array>();
  beforeAll(async () => {
    // 64 KiB chunks: many chunks per object, every one read into a pooled buffer
    srv = await startServer({ env: { QOIMA_CHUNK_SIZE: String(64 * KiB) } });
    const client = s3(srv.endpoint, srv.creds);
    await client.send(new CreateBucketCommand({ Bucket: 'side' }));
    for (let i = 0; i < 5; i++) {
      const body = randomBytes(4 * 1024 * KiB + i * 1000);
      objects.set(`o${i}`, body);
      await client.send(new PutObjectCommand({ Bucket: 'side', Key: `o${i}`, Body: body }));
    }
  });
  afterAll(async () => {
    await srv.stop();
    await removeDir(srv.dataDir);
  });

  it('each gets its own bytes: a stalled one, twenty at once, one cut short, a range', async () => {
    // a download whose reader stalls after its first bytes, while the others run
    const url = new URL(await presign(srv.endpoint, srv.creds, { path: '/side/o0', expiresIn: 300 }));
    const stalled = connect(Number(url.port), '127.0.0.1');
    stalled.write(
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`,
    );
    const got: Buffer[] = [];
    const closed = new Promise((r) => stalled.on('close', r));
    await new Promise<void>((r) =>
      stalled.once('data', (d: Buffer) => {
        got.push(d);
        stalled.pause();
        r();
      }),
    );
    stalled.on('data', (d: Buffer) => got.push(d));

    const cut = await signedFetch(srv.endpoint, srv.creds, { path: '/side/o1' });
    const reader = cut.body!.getReader();
    await reader.read();
    await reader.cancel();

    const all = [...objects.keys()].flatMap((k) => [k, k, k, k]);
    const bodies = await Promise.all(
      all.map(
        async (k) =>
          new Uint8Array(
            await (await signedFetch(srv.endpoint, srv.creds, { path: `/side/${k}` })).arrayBuffer(),
          ),
      ),
    );
    for (const [i, k] of all.entries()) expect(sha(bodies[i]!)).toBe(sha(objects.get(k)!));

    const range = await signedFetch(srv.endpoint, srv.creds, {
      path: '/side/o2',
      headers: { range: 'bytes=65000-300000' },
    });
    expect(range.status).toBe(206);
    expect(sha(new Uint8Array(await range.arrayBuffer()))).toBe(
      sha(objects.get('o2')!.subarray(65000, 300001)),
    );

    stalled.resume();
    await closed;
    const raw = Buffer.concat(got);
    const body = raw.subarray(raw.indexOf('\r\n\r\n') + 4);
    expect(sha(body)).toBe(sha(objects.get('o0')!));
  });
});
