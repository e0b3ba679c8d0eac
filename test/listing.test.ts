/** ListObjectsV2 and ListObjects v1: prefixes, delimiters, pagination, URL encoding. */
import {
  CreateBucketCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, s3, signedFetch } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
const B = 'listing';
const KEYS = [
  'a.txt',
  'b/1.txt',
  'b/2.txt',
  'b/c/3.txt',
  'b/c/4.txt',
  'b/d/5.txt',
  'b0',
  'c/x',
  'photos/2025/jan/1.jpg',
  'photos/2025/feb/2.jpg',
  'photos/2026/mar/3.jpg',
  'space key',
  'plus+key',
  'ünï/кк',
  'z',
];

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: B }));
  await Promise.all(KEYS.map((Key) => client.send(new PutObjectCommand({ Bucket: B, Key, Body: Key }))));
  await client.send(new CreateBucketCommand({ Bucket: 'many' }));
  for (let i = 0; i < 2100; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) =>
        client.send(
          new PutObjectCommand({
            Bucket: 'many',
            Key: `dir${(i + j) % 7}/k${String(i + j).padStart(5, '0')}`,
            Body: 'x',
          }),
        ),
      ),
    );
  }
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

const sorted = [...KEYS].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));

describe('ListObjectsV2', () => {
  it('lists every key in UTF-8 byte order with size, ETag and storage class', async () => {
    const r = await client.send(new ListObjectsV2Command({ Bucket: B }));
    expect(r.Contents?.map((c) => c.Key)).toEqual(sorted);
    expect(r.KeyCount).toBe(KEYS.length);
    expect(r.IsTruncated).toBe(false);
    const first = r.Contents![0]!;
    expect(first).toMatchObject({ Size: first.Key!.length, StorageClass: 'STANDARD' });
    expect(first.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first.LastModified).toBeInstanceOf(Date);
  });

  it('filters by prefix', async () => {
    const r = await client.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'b/c/' }));
    expect(r.Contents?.map((c) => c.Key)).toEqual(['b/c/3.txt', 'b/c/4.txt']);
    expect(r.Prefix).toBe('b/c/');
  });

  it('groups by delimiter into CommonPrefixes, like folders', async () => {
    const root = await client.send(new ListObjectsV2Command({ Bucket: B, Delimiter: '/' }));
    expect(root.Contents?.map((c) => c.Key)).toEqual(['a.txt', 'b0', 'plus+key', 'space key', 'z']);
    expect(root.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/', 'c/', 'photos/', 'ünï/']);
    const b = await client.send(new ListObjectsV2Command({ Bucket: B, Delimiter: '/', Prefix: 'b/' }));
    expect(b.Contents?.map((c) => c.Key)).toEqual(['b/1.txt', 'b/2.txt']);
    expect(b.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/c/', 'b/d/']);
    const photos = await client.send(
      new ListObjectsV2Command({ Bucket: B, Delimiter: '/', Prefix: 'photos/2025/' }),
    );
    expect(photos.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['photos/2025/feb/', 'photos/2025/jan/']);
  });

  it('paginates with max-keys and continuation tokens, counting common prefixes as keys', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await client.send(
        new ListObjectsV2Command({ Bucket: B, Delimiter: '/', MaxKeys: 2, ContinuationToken: token }),
      );
      const page = [
        ...(r.Contents ?? []).map((c) => c.Key!),
        ...(r.CommonPrefixes ?? []).map((p) => p.Prefix!),
      ];
      expect(page.length).toBeLessThanOrEqual(2);
      expect(r.KeyCount).toBe(page.length);
      seen.push(...page);
      token = r.NextContinuationToken;
      expect(Boolean(token)).toBe(r.IsTruncated);
      pages++;
    } while (token);
    expect(seen.sort()).toEqual(
      ['a.txt', 'b/', 'b0', 'c/', 'photos/', 'plus+key', 'space key', 'z', 'ünï/'].sort(),
    );
    expect(pages).toBe(5);
  });

  it('starts after a key with start-after', async () => {
    const r = await client.send(new ListObjectsV2Command({ Bucket: B, StartAfter: 'photos/2025/jan/1.jpg' }));
    expect(r.Contents?.[0]?.Key).toBe('photos/2026/mar/3.jpg');
    expect(r.StartAfter).toBe('photos/2025/jan/1.jpg');
  });

  it('URL-encodes keys and prefixes with encoding-type=url', async () => {
    const res = await signedFetch(srv.endpoint, srv.creds, {
      path: `/${B}`,
      query: { 'list-type': '2', prefix: 's', 'encoding-type': 'url' },
    });
    const xml = await res.text();
    expect(xml).toContain('<Key>space%20key</Key>');
    expect(xml).toContain('<EncodingType>url</EncodingType>');
    const plus = await signedFetch(srv.endpoint, srv.creds, {
      path: `/${B}`,
      query: { 'list-type': '2', prefix: 'plus', 'encoding-type': 'url' },
    });
    expect(await plus.text()).toContain('<Key>plus%2Bkey</Key>');
  });

  it('walks 2100 keys in pages of 1000 with the SDK paginator, and by folder with a delimiter', async () => {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2({ client }, { Bucket: 'many' }))
      keys.push(...(page.Contents ?? []).map((c) => c.Key!));
    expect(keys.length).toBe(2100);
    expect(new Set(keys).size).toBe(2100);
    const folders = await client.send(new ListObjectsV2Command({ Bucket: 'many', Delimiter: '/' }));
    expect(folders.CommonPrefixes?.map((p) => p.Prefix)).toEqual([
      'dir0/',
      'dir1/',
      'dir2/',
      'dir3/',
      'dir4/',
      'dir5/',
      'dir6/',
    ]);
    expect(folders.Contents ?? []).toEqual([]);
    const dir3: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client, pageSize: 70 },
      { Bucket: 'many', Prefix: 'dir3/', Delimiter: '/' },
    ))
      dir3.push(...(page.Contents ?? []).map((c) => c.Key!));
    expect(dir3.length).toBe(300);
  });

  it('refuses bad max-keys, encoding-type and continuation tokens with InvalidArgument', async () => {
    const bad: Record<string, string>[] = [
      { 'max-keys': '-1' },
      { 'max-keys': 'ten' },
      { 'encoding-type': 'base64' },
      { 'continuation-token': '!!!' },
    ];
    for (const query of bad) {
      const res = await signedFetch(srv.endpoint, srv.creds, {
        path: `/${B}`,
        query: { 'list-type': '2', ...query },
      });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('InvalidArgument');
    }
  });

  it('takes an empty continuation-token as the first page, as S3 does', async () => {
    const first = await signedFetch(srv.endpoint, srv.creds, {
      path: `/${B}`,
      query: { 'list-type': '2', 'max-keys': '2', 'continuation-token': '' },
    });
    expect(first.status).toBe(200);
    const keys = [...(await first.text()).matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
    const page = await client.send(new ListObjectsV2Command({ Bucket: B, MaxKeys: 2 }));
    expect(keys).toEqual(page.Contents!.map((c) => c.Key));
  });

  it('returns an empty page for max-keys=0', async () => {
    const r = await client.send(new ListObjectsV2Command({ Bucket: B, MaxKeys: 0 }));
    expect(r.Contents ?? []).toEqual([]);
    expect(r.KeyCount).toBe(0);
  });
});

describe('ListObjects (v1)', () => {
  it('pages with marker; NextMarker is given when a delimiter is used', async () => {
    const p1 = await client.send(new ListObjectsCommand({ Bucket: B, MaxKeys: 3 }));
    expect(p1.Contents?.map((c) => c.Key)).toEqual(sorted.slice(0, 3));
    expect(p1.IsTruncated).toBe(true);
    const p2 = await client.send(
      new ListObjectsCommand({ Bucket: B, MaxKeys: 3, Marker: p1.Contents![2]!.Key }),
    );
    expect(p2.Contents?.map((c) => c.Key)).toEqual(sorted.slice(3, 6));
    const d1 = await client.send(new ListObjectsCommand({ Bucket: B, MaxKeys: 2, Delimiter: '/' }));
    expect(d1.NextMarker).toBe('b/');
    const d2 = await client.send(
      new ListObjectsCommand({ Bucket: B, MaxKeys: 2, Delimiter: '/', Marker: d1.NextMarker }),
    );
    expect(
      [...(d2.Contents ?? []).map((c) => c.Key), ...(d2.CommonPrefixes ?? []).map((p) => p.Prefix)].sort(),
    ).toEqual(['b0', 'c/']);
    expect(p1.Contents?.[0]?.Owner?.ID).toBeTruthy();
  });
});
