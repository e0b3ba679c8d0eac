/**
 * The server a fuzz file runs against: the first account (whose root user sends the hostile
 * requests) with a bucket to write in, and a canary: another account's bucket and object that no
 * request of the first account may change, checked after every case.
 */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { expectSane } from './fuzz.ts';
import { hostRequest } from './http.ts';
import { withoutStall } from './probe.ts';
import { rawRequest } from './raw-http.ts';
import { s3, signedFetch } from './s3.ts';
import { type Creds, type RunningServer, admin, removeDir, startServer } from './server.ts';

export const CANARY_BUCKET = 'canary-of-b';
/** Each of the first account's buckets starts with this object. */
export const KNOWN = { key: 'known.txt', body: 'known bytes' };
const CANARY_KEY = 'secret.txt';
const CANARY_BODY = "the other account's bytes";

export interface FuzzServer {
  srv: RunningServer;
  /** The other account's root user. */
  other: Creds;
  /** Fails if the other account's object changed in any way. */
  checkCanary: () => Promise<void>;
  /** Sends one hostile request: a sane answer (expectSane), no stall meanwhile, the canary untouched. */
  sane: (what: string, send: () => Promise<Response>) => Promise<{ res: Response; body: string }>;
  stop: () => Promise<void>;
}

export async function startFuzzServer(buckets: string[]): Promise<FuzzServer> {
  const srv = await startServer();
  const mine = s3(srv.endpoint, srv.creds);
  for (const b of buckets) {
    await mine.send(new CreateBucketCommand({ Bucket: b }));
    await mine.send(new PutObjectCommand({ Bucket: b, Key: KNOWN.key, Body: KNOWN.body }));
  }
  const made = JSON.parse(
    await admin(srv.dataDir, ['accounts', 'create', '--name', 'canary', '--json']),
  ) as Creds;
  const other = { accessKeyId: made.accessKeyId, secretAccessKey: made.secretAccessKey };
  const theirs = s3(srv.endpoint, other);
  await theirs.send(new CreateBucketCommand({ Bucket: CANARY_BUCKET }));
  await theirs.send(
    new PutObjectCommand({
      Bucket: CANARY_BUCKET,
      Key: CANARY_KEY,
      Body: CANARY_BODY,
      ContentType: 'text/plain',
      Metadata: { owner: 'b' },
    }),
  );
  const read = () => signedFetch(srv.endpoint, other, { path: `/${CANARY_BUCKET}/${CANARY_KEY}` });
  const first = await read();
  const etag = first.headers.get('etag');
  const lastModified = first.headers.get('last-modified');
  await first.arrayBuffer();
  const checkCanary = async () => {
    const res = await read();
    expect(res.status, "the other account's object can still be read").toBe(200);
    expect([
      res.headers.get('etag'),
      res.headers.get('last-modified'),
      res.headers.get('x-amz-meta-owner'),
    ]).toEqual([etag, lastModified, 'b']);
    expect(await res.text()).toBe(CANARY_BODY);
  };
  return {
    srv,
    other,
    checkCanary,
    sane: async (what, send) => {
      const res = await withoutStall(srv.endpoint, send, what);
      const body = await expectSane(res, what);
      await checkCanary();
      return { res, body };
    },
    stop: async () => {
      await srv.stop();
      await removeDir(srv.dataDir);
    },
  };
}

/**
 * `B` still serves its object after a configuration change: plainly, to a browser of another site,
 * and as a website.
 */
export async function expectStillServed(f: FuzzServer, B: string): Promise<void> {
  const plain = await f.sane('GET after a configuration change', () =>
    rawRequest(f.srv.endpoint, f.srv.creds, { path: `/${B}/${KNOWN.key}` }),
  );
  expect(plain.res.status).toBe(200);
  await f.sane('GET from another site', () =>
    rawRequest(f.srv.endpoint, null, {
      path: `/${B}/${KNOWN.key}`,
      headers: { origin: 'https://app.example' },
    }),
  );
  await f.sane('a CORS preflight', () =>
    rawRequest(f.srv.endpoint, null, {
      method: 'OPTIONS',
      path: `/${B}/${KNOWN.key}`,
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-a',
      },
    }),
  );
  for (const path of ['/known.txt', '/', '/missing/', '/known.txt?x=%zz']) {
    const site = await withoutStall(
      f.srv.endpoint,
      () => hostRequest(f.srv.port, `${B}.web.localhost`, path),
      'a website request',
    );
    expect(site.status, `website ${path} → ${site.status} ${site.body.slice(0, 300)}`).toBeLessThan(500);
  }
  // nothing granted anyone the other account's bucket
  expect((await rawRequest(f.srv.endpoint, null, { path: `/${CANARY_BUCKET}/secret.txt` })).status).toBe(403);
}
