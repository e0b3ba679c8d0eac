/**
 * The chunk store seen from outside: deduplication, inline objects, GC, corruption, reads during overwrite.
 */
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presign, randomBytes, s3, signedFetch } from './helpers/s3.ts';
import { type RunningServer, admin, removeDir, startServer } from './helpers/server.ts';

const MiB = 1024 * 1024;
/** These tests count chunk files, so they fix the chunk size (the default is 4 MiB). */
const ONE_MIB_CHUNKS = { QOIMA_CHUNK_SIZE: String(MiB) };

async function chunkFiles(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  const root = join(dataDir, 'chunks');
  for (const a of await readdir(root).catch(() => [])) {
    for (const b of await readdir(join(root, a))) {
      for (const name of await readdir(join(root, a, b))) out.push(join(root, a, b, name));
    }
  }
  return out;
}

/**
 * A download through a damaged chunk fails loudly: an S3 error document (never the server's own words
 * about its chunks), or a 200 whose body is cut off (a network error for the client). Whatever bytes
 * arrive are the object's true beginning.
 */
async function expectLoudFailure(path: string, srv: RunningServer, original: Uint8Array): Promise<void> {
  const parts: Uint8Array[] = [];
  let status = 0;
  let cutOff = false;
  try {
    const res = await signedFetch(srv.endpoint, srv.creds, { path });
    status = res.status;
    if (status !== 200) {
      expect(status).toBeGreaterThanOrEqual(500);
      return expect(await res.text()).toMatch(/^<\?xml[^]*<Code>InternalError<\/Code>/);
    }
    for await (const piece of res.body!) parts.push(piece as Uint8Array);
  } catch {
    cutOff = true;
  }
  expect(cutOff).toBe(true);
  const received = Buffer.concat(parts);
  expect(received.length).toBeLessThan(original.length);
  expect(Buffer.compare(received, Buffer.from(original.subarray(0, received.length)))).toBe(0);
}

/**
 * A signed GET over a bare socket: the status line and headers, and every byte that came before the close.
 */
async function rawGet(srv: RunningServer, path: string): Promise<{ head: string; body: Buffer }> {
  const url = await presign(srv.endpoint, srv.creds, { method: 'GET', path, expiresIn: 300 });
  const { host, pathname, search } = new URL(url);
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  socket.write(`GET ${pathname}${search} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  const got: Buffer[] = [];
  socket.on('data', (d: Buffer) => got.push(d));
  await new Promise((r) => socket.on('close', r));
  const all = Buffer.concat(got);
  const end = all.indexOf('\r\n\r\n');
  return { head: all.subarray(0, end + 2).toString('latin1'), body: all.subarray(end + 4) };
}

const chunkPath = (dataDir: string, bytes: Uint8Array) => {
  const h = createHash('sha256').update(bytes).digest('hex');
  return join(dataDir, 'chunks', h.slice(0, 2), h.slice(2, 4), h);
};

describe('deduplication and inline objects (GC delay 0)', () => {
  let srv: RunningServer;
  let client: S3Client;
  beforeAll(async () => {
    srv = await startServer({
      env: { ...ONE_MIB_CHUNKS, QOIMA_GC_DELAY_SECONDS: '0', QOIMA_GC_INTERVAL_SECONDS: '3600' },
    });
    client = s3(srv.endpoint, srv.creds);
    await client.send(new CreateBucketCommand({ Bucket: 'dedup' }));
  });
  afterAll(async () => {
    await srv.stop();
    await removeDir(srv.dataDir);
  });

  it('stores the same bytes once, however many objects hold them', async () => {
    const body = randomBytes(3 * MiB);
    await client.send(new PutObjectCommand({ Bucket: 'dedup', Key: 'one', Body: body }));
    expect((await chunkFiles(srv.dataDir)).length).toBe(3);
    await client.send(new PutObjectCommand({ Bucket: 'dedup', Key: 'two', Body: body }));
    await client.send(new CopyObjectCommand({ Bucket: 'dedup', Key: 'three', CopySource: 'dedup/one' }));
    expect((await chunkFiles(srv.dataDir)).length).toBe(3);
    // an object sharing only its first MiB adds only what differs
    const half = Buffer.concat([body.subarray(0, MiB), randomBytes(MiB)]);
    await client.send(new PutObjectCommand({ Bucket: 'dedup', Key: 'four', Body: half }));
    expect((await chunkFiles(srv.dataDir)).length).toBe(4);
  });

  it('keeps small objects in the database, not as chunk files', async () => {
    const before = (await chunkFiles(srv.dataDir)).length;
    await client.send(new PutObjectCommand({ Bucket: 'dedup', Key: 'tiny', Body: 'a few bytes' }));
    expect((await chunkFiles(srv.dataDir)).length).toBe(before);
  });

  it('collects chunks no object references any more, and only those', async () => {
    const before = (await chunkFiles(srv.dataDir)).length;
    let report = JSON.parse(await admin(srv.dataDir, ['gc', '--json'], { QOIMA_GC_DELAY_SECONDS: '0' }));
    expect(report.chunksDeleted).toBe(0);
    // "one", "two", "three" share 3 chunks; "four" shares one of them and has one of its own
    for (const k of ['one', 'two']) await client.send(new DeleteObjectCommand({ Bucket: 'dedup', Key: k }));
    report = JSON.parse(await admin(srv.dataDir, ['gc', '--json'], { QOIMA_GC_DELAY_SECONDS: '0' }));
    expect(report.chunksDeleted).toBe(0); // "three" still holds them
    await client.send(new DeleteObjectCommand({ Bucket: 'dedup', Key: 'three' }));
    report = JSON.parse(await admin(srv.dataDir, ['gc', '--json'], { QOIMA_GC_DELAY_SECONDS: '0' }));
    expect(report.chunksDeleted).toBe(2);
    expect(report.bytesFreed).toBe(2 * MiB);
    expect((await chunkFiles(srv.dataDir)).length).toBe(before - 2);
    const four = await client.send(new GetObjectCommand({ Bucket: 'dedup', Key: 'four' }));
    expect((await four.Body!.transformToByteArray()).length).toBe(2 * MiB);
    await client.send(new DeleteObjectCommand({ Bucket: 'dedup', Key: 'four' }));
    await admin(srv.dataDir, ['gc', '--json'], { QOIMA_GC_DELAY_SECONDS: '0' });
    expect((await chunkFiles(srv.dataDir)).length).toBe(0);
  });

  it('re-uploading bytes whose chunks were collected stores them again', async () => {
    const body = randomBytes(MiB + 1);
    await client.send(new PutObjectCommand({ Bucket: 'dedup', Key: 'again', Body: body }));
    await client.send(new DeleteObjectCommand({ Bucket: 'dedup', Key: 'again' }));
    await admin(srv.dataDir, ['gc'], { QOIMA_GC_DELAY_SECONDS: '0' });
    await client.send(new PutObjectCommand({ Bucket: 'dedup', Key: 'again', Body: body }));
    const got = await client.send(new GetObjectCommand({ Bucket: 'dedup', Key: 'again' }));
    expect(Buffer.compare(Buffer.from(await got.Body!.transformToByteArray()), Buffer.from(body))).toBe(0);
  });
});

describe('corruption and missing chunks', () => {
  let srv: RunningServer;
  let client: S3Client;
  beforeAll(async () => {
    srv = await startServer({ env: ONE_MIB_CHUNKS });
    client = s3(srv.endpoint, srv.creds);
    await client.send(new CreateBucketCommand({ Bucket: 'rot' }));
  });
  afterAll(async () => {
    await srv.stop();
    await removeDir(srv.dataDir);
  });

  it('a flipped byte in the first chunk makes the GET fail with 500, never serve the bytes', async () => {
    const body = randomBytes(2 * MiB);
    await client.send(new PutObjectCommand({ Bucket: 'rot', Key: 'first', Body: body }));
    const file = chunkPath(srv.dataDir, body.subarray(0, MiB));
    const bytes = await readFile(file);
    bytes[1234] = bytes[1234]! ^ 0xff;
    await writeFile(file, bytes);
    const res = await signedFetch(srv.endpoint, srv.creds, { path: '/rot/first' });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('<Code>InternalError</Code>');
    expect(srv.output()).toMatch(/data integrity: chunk [0-9a-f]{64} does not match its hash/);
  });

  it('a flipped byte in a later chunk fails the download before the bad bytes', async () => {
    const body = randomBytes(3 * MiB);
    await client.send(new PutObjectCommand({ Bucket: 'rot', Key: 'later', Body: body }));
    const file = chunkPath(srv.dataDir, body.subarray(2 * MiB));
    const bytes = await readFile(file);
    bytes[10] = bytes[10]! ^ 0x01;
    await writeFile(file, bytes);
    await expectLoudFailure('/rot/later', srv, body);
  });

  it('a chunk missing past the first: the headers go out, the body stops there, no error text follows', async () => {
    // its later chunks are read ahead while the first is sent, so they fail before the first piece is out
    const body = randomBytes(3 * MiB);
    await client.send(new PutObjectCommand({ Bucket: 'rot', Key: 'hole', Body: body }));
    await unlink(chunkPath(srv.dataDir, body.subarray(MiB, 2 * MiB)));
    for (let i = 0; i < 5; i++) {
      const raw = await rawGet(srv, '/rot/hole');
      expect(raw.head).toMatch(/^HTTP\/1\.1 200 /);
      expect(raw.head).toMatch(/\r\ncontent-length: 3145728\r\n/i);
      expect(raw.body.length).toBeLessThan(body.length);
      expect(raw.body.equals(body.subarray(0, raw.body.length))).toBe(true);
    }
    expect(srv.output()).toMatch(/data integrity: chunk [0-9a-f]{64}/);
  });

  it('a chunk repaired by a new file is read from it at once, not through a descriptor of the old', async () => {
    const body = randomBytes(2 * MiB);
    await client.send(new PutObjectCommand({ Bucket: 'rot', Key: 'mended', Body: body }));
    const get = () => signedFetch(srv.endpoint, srv.creds, { path: '/rot/mended' });
    expect((await get()).status).toBe(200); // the server now keeps the first chunk's file open
    const file = chunkPath(srv.dataDir, body.subarray(0, MiB));
    const good = await readFile(file);
    const bad = Buffer.from(good);
    bad[99] = bad[99]! ^ 0x10;
    await writeFile(file, bad); // in place: the open descriptor reads the damage too
    expect((await get()).status).toBe(500);
    await writeFile(`${file}.new`, good);
    await rename(`${file}.new`, file); // as a re-upload puts it: a new file under the chunk's name
    const res = await get();
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
  });

  it('a missing chunk file is an error too', async () => {
    const body = randomBytes(MiB + 10);
    await client.send(new PutObjectCommand({ Bucket: 'rot', Key: 'missing', Body: body }));
    await unlink(chunkPath(srv.dataDir, body.subarray(0, MiB)));
    const res = await signedFetch(srv.endpoint, srv.creds, { path: '/rot/missing' });
    expect(res.status).toBe(500);
  });
});

describe('reads racing writes', () => {
  let srv: RunningServer;
  let client: S3Client;
  beforeAll(async () => {
    srv = await startServer({ env: ONE_MIB_CHUNKS });
    client = s3(srv.endpoint, srv.creds);
    await client.send(new CreateBucketCommand({ Bucket: 'race' }));
  });
  afterAll(async () => {
    await srv.stop();
    await removeDir(srv.dataDir);
  });

  it('a reader keeps getting the old bytes while the object is overwritten, deleted and GC runs', async () => {
    const old = randomBytes(8 * MiB);
    await client.send(new PutObjectCommand({ Bucket: 'race', Key: 'file', Body: old }));
    const res = await signedFetch(srv.endpoint, srv.creds, { path: '/race/file' });
    const reader = res.body!.getReader();
    const parts: Uint8Array[] = [];
    const first = await reader.read();
    parts.push(first.value!);
    await client.send(new PutObjectCommand({ Bucket: 'race', Key: 'file', Body: randomBytes(8 * MiB) }));
    await client.send(new DeleteObjectCommand({ Bucket: 'race', Key: 'file' }));
    await admin(srv.dataDir, ['gc']); // default delay: the old chunks are not yet collectable
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    expect(Buffer.compare(Buffer.concat(parts), Buffer.from(old))).toBe(0);
  });

  it('concurrent writers to one key end with exactly one complete winner', async () => {
    const bodies = Array.from({ length: 6 }, () => randomBytes(2 * MiB + 7));
    await Promise.all(
      bodies.map((Body) => client.send(new PutObjectCommand({ Bucket: 'race', Key: 'contended', Body }))),
    );
    const got = Buffer.from(
      await (
        await client.send(new GetObjectCommand({ Bucket: 'race', Key: 'contended' }))
      ).Body!.transformToByteArray(),
    );
    expect(bodies.filter((b) => Buffer.compare(Buffer.from(b), got) === 0).length).toBe(1);
  });
});

describe('scrub', () => {
  it('finds corrupt and missing chunks, names the objects, and repair lets a re-upload heal them', async () => {
    const srv = await startServer({ env: ONE_MIB_CHUNKS });
    const client = s3(srv.endpoint, srv.creds);
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'scrubbed' }));
      const a = randomBytes(2 * MiB);
      const b = randomBytes(MiB + 5);
      await client.send(new PutObjectCommand({ Bucket: 'scrubbed', Key: 'photos/a.jpg', Body: a }));
      await client.send(new PutObjectCommand({ Bucket: 'scrubbed', Key: 'copy-of-a.jpg', Body: a }));
      await client.send(new PutObjectCommand({ Bucket: 'scrubbed', Key: 'b.bin', Body: b }));
      expect(JSON.parse(await admin(srv.dataDir, ['scrub', '--json'])).chunksChecked).toBe(4);

      const bad = chunkPath(srv.dataDir, a.subarray(MiB));
      const bytes = await readFile(bad);
      bytes[0] = bytes[0]! ^ 0x80;
      await writeFile(bad, bytes);
      await unlink(chunkPath(srv.dataDir, b.subarray(0, MiB)));

      await expect(admin(srv.dataDir, ['scrub', '--json'])).rejects.toThrow(/exited 1/);
      const report = JSON.parse(
        await admin(srv.dataDir, ['scrub', '--repair', '--json']).catch((e: Error) =>
          e.message.slice(e.message.indexOf('{')),
        ),
      );
      expect(report.corrupt).toHaveLength(1);
      expect(report.corrupt[0].objects.sort()).toEqual(['scrubbed/copy-of-a.jpg', 'scrubbed/photos/a.jpg']);
      expect(report.missing).toHaveLength(1);
      expect(report.missing[0].objects).toEqual(['scrubbed/b.bin']);
      expect(report).toMatchObject({ chunksChecked: 4, chunksDamaged: 2 });
      expect(report.remaining).toEqual(report.missing); // b.bin's content is gone: exit 1

      // the damaged objects now fail loudly; uploading the same bytes again heals both copies of a
      await expectLoudFailure('/scrubbed/copy-of-a.jpg', srv, a); // its second chunk is gone
      await client.send(new PutObjectCommand({ Bucket: 'scrubbed', Key: 'restored-a.jpg', Body: a }));
      const healed = await client.send(new GetObjectCommand({ Bucket: 'scrubbed', Key: 'copy-of-a.jpg' }));
      expect(Buffer.compare(Buffer.from(await healed.Body!.transformToByteArray()), Buffer.from(a))).toBe(0);
    } finally {
      await srv.stop();
      await removeDir(srv.dataDir);
    }
  });

  it('counts a corrupt chunk among those checked; --repair exits 0 once it has repaired it', async () => {
    const srv = await startServer({ env: ONE_MIB_CHUNKS });
    const client = s3(srv.endpoint, srv.creds);
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'one-bad' }));
      const a = randomBytes(MiB + 10);
      await client.send(new PutObjectCommand({ Bucket: 'one-bad', Key: 'a.bin', Body: a }));
      const bad = chunkPath(srv.dataDir, a.subarray(0, MiB));
      const bytes = await readFile(bad);
      bytes[7] = bytes[7]! ^ 0x01;
      await writeFile(bad, bytes);
      const failed = await admin(srv.dataDir, ['scrub', '--json']).then(
        () => '',
        (e: Error) => e.message,
      );
      expect(failed).toMatch(/exited 1/);
      const found = JSON.parse(failed.slice(failed.indexOf('{')));
      expect(found).toMatchObject({ chunksChecked: 2, bytesChecked: MiB + 10, chunksDamaged: 1 });
      const repaired = JSON.parse(await admin(srv.dataDir, ['scrub', '--repair', '--json'])); // exit 0
      expect(repaired).toMatchObject({ chunksDamaged: 1, remaining: [], repaired: true });
      expect(repaired.corrupt[0].objects).toEqual(['one-bad/a.bin']);
    } finally {
      await srv.stop();
      await removeDir(srv.dataDir);
    }
  });

  it('repairs reference counts that disagree with the references, and hands unknown files to the collector', async () => {
    const srv = await startServer({ env: ONE_MIB_CHUNKS });
    const client = s3(srv.endpoint, srv.creds);
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'counts' }));
      await client.send(new PutObjectCommand({ Bucket: 'counts', Key: 'x', Body: randomBytes(MiB) }));
      await srv.stop();
      const { createClient } = await import('@libsql/client');
      const db = createClient({ url: `file:${join(srv.dataDir, 'qoima.db')}` });
      await db.execute('UPDATE chunks SET refcount = refcount + 5');
      db.close();
      const stray = join(srv.dataDir, 'chunks', 'ff', 'ff', 'f'.repeat(64));
      await import('node:fs/promises').then((fs) =>
        fs.mkdir(join(srv.dataDir, 'chunks', 'ff', 'ff'), { recursive: true }),
      );
      await writeFile(stray, 'stray');
      const found = JSON.parse(await admin(srv.dataDir, ['scrub', '--repair', '--json']));
      expect(found.refcountsFixed).toEqual([expect.objectContaining({ recorded: 6, actual: 1 })]);
      expect(found.orphanFiles).toEqual(['f'.repeat(64)]);
      const clean = JSON.parse(await admin(srv.dataDir, ['scrub', '--json']));
      expect(clean.refcountsFixed).toEqual([]);
      expect(clean.orphanFiles).toEqual([]);
      expect(existsSync(stray)).toBe(true); // not deleted behind a writer's back: the collector does it
      await admin(srv.dataDir, ['gc', '--json'], { QOIMA_GC_DELAY_SECONDS: '0' });
      expect(existsSync(stray)).toBe(false);
    } finally {
      await removeDir(srv.dataDir);
    }
  });
});
