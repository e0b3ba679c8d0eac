/**
 * What the layer costs over a storage cluster: Qoima with its chunks in Ceph RGW (QOIMA_CHUNK_STORE=s3)
 * beside that same RGW serving the same bytes, on a single-node cluster started for the bench
 * (`test/helpers/ceph.ts`: one monitor, one OSD on memstore, radosgw; all on this machine).
 *  - GET 1 MiB, 1 and 16 clients, anonymous on both sides: a public-read object in RGW against an
 *    object of Qoima's public-read bucket, with the node's read cache of chunks on (the default) and
 *    off (QOIMA_CHUNK_CACHE_BYTES=0: every GET fetches its chunk from RGW and checks it).
 *  - Qoima with its chunks in files (the bench's usual server) beside both, so the layer's own cost and
 *    the cost of the extra hop to RGW can be told apart.
 *  - PUT 64 MiB, presigned on both sides (and on Qoima on local disk), the same client code
 *    (`putFile`): rounds alternate which side goes first, and each round sends a new random file
 *    (Qoima stores chunks by their hash, so the same bytes again would not reach RGW at all).
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startCeph } from '../../helpers/ceph.ts';
import { type Bench, client, type Figure, MiB, PRIVATE, PUBLIC, type Row } from '../lib/context.ts';
import { putFile } from '../lib/io.ts';
import { transferRate } from '../lib/wrk.ts';

const CHUNKS = 'qoima-chunks';
const RGW = 'Ceph RGW';
const ON_RGW = 'Qoima, chunks in RGW';
const UNCACHED = 'Qoima, chunks in RGW, no read cache';
const ON_DISK = 'Qoima, chunks on local disk';
const PUT_ROUNDS = 3;
const PUT_BYTES = 64 * MiB;

/** The cluster (once), with the bucket for Qoima's chunks and a bucket of RGW's own for the baseline. */
const ceph = (b: Bench) =>
  b.once('ceph', async () => {
    console.error('bench: starting a Ceph cluster ...');
    // the rows before leave gigabytes of their input files to write back; a monitor that starts
    // meanwhile waits on its own flushes for longer than its 30 s to answer (and would be measured so)
    execFileSync('sync');
    const c = await startCeph({ memstoreBytes: 2048 * MiB });
    b.onStop(c.stop);
    const s3 = client(c.endpoint, { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey });
    await s3.send(new CreateBucketCommand({ Bucket: CHUNKS }));
    await s3.send(new CreateBucketCommand({ Bucket: PUBLIC }));
    await s3.send(new CreateBucketCommand({ Bucket: PRIVATE }));
    return { ...c, s3 };
  });

const qoimaOnRgw = (b: Bench, cacheBytes?: number) =>
  b.qoima('node', {
    name: cacheBytes === 0 ? 'rgw-nocache' : 'rgw',
    env: async () => {
      const c = await ceph(b);
      return {
        QOIMA_CHUNK_STORE: 's3',
        QOIMA_CHUNK_S3_ENDPOINT: c.endpoint,
        QOIMA_CHUNK_S3_BUCKET: CHUNKS,
        QOIMA_CHUNK_S3_REGION: c.region,
        QOIMA_CHUNK_S3_ACCESS_KEY_ID: c.accessKeyId,
        QOIMA_CHUNK_S3_SECRET_ACCESS_KEY: c.secretAccessKey,
        ...(cacheBytes === undefined ? {} : { QOIMA_CHUNK_CACHE_BYTES: String(cacheBytes) }),
      };
    },
  });

/** RGW's anonymous URL of the web root's `1m.bin`, stored once as a public-read object. */
const rgwPublic = (b: Bench) =>
  b.once('rgw 1m.bin', async () => {
    const c = await ceph(b);
    const body = await readFile(await b.file('1m.bin', MiB));
    await c.s3.send(new PutObjectCommand({ Bucket: PUBLIC, Key: '1m.bin', Body: body, ACL: 'public-read' }));
    return `${c.endpoint}/${PUBLIC}/1m.bin`;
  });

const getRows = (clients: number): Row[] => {
  const what = `GET 1 MiB anonymous, ${clients} client${clients > 1 ? 's' : ''}`;
  const vsRgw = [{ row: `${what} · ${RGW}`, name: 'RGW' }];
  const viaQoima = (cacheBytes?: number) => async (b: Bench) => {
    const q = await qoimaOnRgw(b, cacheBytes);
    await b.stored(q, PUBLIC, '1m.bin', MiB);
    return transferRate(`${q.server.endpoint}/${PUBLIC}/1m.bin`, { connections: clients });
  };
  return [
    { what, who: RGW, measure: async (b) => transferRate(await rgwPublic(b), { connections: clients }) },
    { what, who: ON_RGW, compare: vsRgw, measure: viaQoima() },
    { what, who: UNCACHED, compare: vsRgw, measure: viaQoima(0) },
    {
      what,
      who: ON_DISK,
      compare: vsRgw,
      measure: async (b) => {
        const q = await b.qoima();
        await b.stored(q, PUBLIC, '1m.bin', MiB);
        return transferRate(`${q.server.endpoint}/${PUBLIC}/1m.bin`, { connections: clients });
      },
    },
  ];
};

/** Bytes over seconds of all rounds on each side, the sides alternating which goes first. */
const puts = (b: Bench) =>
  b.once('ceph puts', async () => {
    const c = await ceph(b);
    const servers = { rgw: c.s3, qoima: (await qoimaOnRgw(b)).s3, disk: (await b.qoima()).s3 };
    const seconds = { rgw: 0, qoima: 0, disk: 0 };
    for (let round = 0; round < PUT_ROUNDS; round++) {
      const key = `64m-${round}.bin`;
      const path = await b.file(key, PUT_BYTES, join(b.work, 'ceph-put'));
      const sides = Object.keys(servers) as (keyof typeof servers)[];
      if (round % 2) sides.reverse();
      for (const side of sides) {
        const url = await b.presignedPut(servers[side], PRIVATE, key);
        seconds[side] += PUT_BYTES / (await putFile(url, path));
      }
    }
    const rate = (s: number): Figure => ({ value: (PUT_ROUNDS * PUT_BYTES) / s, unit: 'B/s' });
    return { rgw: rate(seconds.rgw), qoima: rate(seconds.qoima), disk: rate(seconds.disk) };
  });

const PUT = `PUT 64 MiB presigned, ${PUT_ROUNDS} in turn`;

export const rows: Row[] = [
  ...getRows(1),
  ...getRows(16),
  { what: PUT, who: RGW, measure: async (b) => (await puts(b)).rgw },
  {
    what: PUT,
    who: ON_RGW,
    compare: [{ row: `${PUT} · ${RGW}`, name: 'RGW' }],
    measure: async (b) => (await puts(b)).qoima,
  },
  {
    what: PUT,
    who: ON_DISK,
    compare: [{ row: `${PUT} · ${RGW}`, name: 'RGW' }],
    measure: async (b) => (await puts(b)).disk,
  },
];
