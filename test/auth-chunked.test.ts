/**
 * SigV4 streaming payloads (aws-chunked) from the outside: bodies built by hand so every variant (and every
 * corruption) can be sent, signed chunks, signed and unsigned checksum trailers, and the SDK's own upload.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { EMPTY, REGION, expectError, hmac, sha256hex, serverPerFile } from './helpers/s3.ts';
import type { Creds, RunningServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
const B = 'auth';

serverPerFile([B], (s) => ({ srv, client } = s));

interface ChunkedOpts {
  mode:
    | 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'
    | 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
    | 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
  data: Buffer;
  chunkSize: number;
  trailer?: { name: string; value: string };
  corrupt?: 'chunk-signature' | 'data' | 'trailer-signature';
}

/** Signs a PUT with a streaming payload the way the SDKs do, and sends it. */
async function chunkedPut(creds: Creds, key: string, o: ChunkedOpts): Promise<Response> {
  const url = new URL(srv.endpoint);
  const now = new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${REGION}/s3/aws4_request`;
  const signed = o.mode !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
  // frame the body first (unsigned), to know its encoded length
  const pieces: Buffer[] = [];
  for (let i = 0; i < o.data.length; i += o.chunkSize) pieces.push(o.data.subarray(i, i + o.chunkSize));
  pieces.push(Buffer.alloc(0));
  const sigLen = signed ? ';chunk-signature='.length + 64 : 0;
  const trailerText = o.trailer ? `${o.trailer.name}:${o.trailer.value}` : '';
  let encodedLength = 0;
  for (const p of pieces) encodedLength += p.length.toString(16).length + sigLen + 2 + p.length + 2;
  if (o.trailer) {
    encodedLength -= 2; // the last chunk is followed directly by the trailer
    encodedLength +=
      trailerText.length +
      2 +
      (o.mode.endsWith('TRAILER') && signed ? 'x-amz-trailer-signature:'.length + 64 + 2 : 0) +
      2;
  }
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': o.mode,
    'x-amz-decoded-content-length': String(o.data.length),
    'content-encoding': 'aws-chunked',
    'content-length': String(encodedLength),
  };
  if (o.trailer) headers['x-amz-trailer'] = o.trailer.name;
  const signedNames = Object.keys(headers).sort();
  const canonical = [
    'PUT',
    `/${B}/${key}`,
    '',
    signedNames.map((h) => `${h}:${headers[h]}\n`).join(''),
    signedNames.join(';'),
    o.mode,
  ].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonical)].join('\n');
  const kSigning = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, date), REGION), 's3'), 'aws4_request');
  const seed = hmac(kSigning, toSign).toString('hex');
  let prev = seed;
  const parts: Buffer[] = [];
  for (const [i, p] of pieces.entries()) {
    let ext = '';
    if (signed) {
      let sig = hmac(
        kSigning,
        ['AWS4-HMAC-SHA256-PAYLOAD', amzDate, scope, prev, EMPTY, sha256hex(p)].join('\n'),
      ).toString('hex');
      prev = sig;
      if (o.corrupt === 'chunk-signature' && i === 0) sig = '0'.repeat(64);
      ext = `;chunk-signature=${sig}`;
    }
    const data = o.corrupt === 'data' && i === 0 ? Buffer.from(p).fill(0x41, 0, 1) : p;
    parts.push(
      Buffer.from(`${p.length.toString(16)}${ext}\r\n`),
      data,
      Buffer.from(i === pieces.length - 1 && o.trailer ? '' : '\r\n'),
    );
  }
  if (o.trailer) {
    parts.push(Buffer.from(`${trailerText}\r\n`));
    if (signed) {
      let tsig = hmac(
        kSigning,
        ['AWS4-HMAC-SHA256-TRAILER', amzDate, scope, prev, sha256hex(`${trailerText}\n`)].join('\n'),
      ).toString('hex');
      if (o.corrupt === 'trailer-signature') tsig = 'f'.repeat(64);
      parts.push(Buffer.from(`x-amz-trailer-signature:${tsig}\r\n`));
    }
    parts.push(Buffer.from('\r\n'));
  }
  const body = Buffer.concat(parts);
  expect(body.length).toBe(encodedLength);
  const auth =
    `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedNames.join(';')}, Signature=${seed}`;
  const sent = { ...headers, authorization: auth };
  delete (sent as Record<string, string>).host;
  return fetch(`${srv.endpoint}/${B}/${key}`, { method: 'PUT', headers: sent, body });
}

const crc32b64 = async (d: Buffer) => {
  const { createChecksum } = await import('../src/core/checksums.ts');
  const h = createChecksum('CRC32', {
    createHash: () => {
      throw new Error();
    },
    hmacSha256: () => new Uint8Array(),
    hmacSha1: () => new Uint8Array(),
  });
  h.update(d);
  return Buffer.from(h.digest()).toString('base64');
};

describe('aws-chunked streaming bodies', () => {
  const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));

  const readBack = async (key: string) =>
    Buffer.from(
      await (await client.send(new GetObjectCommand({ Bucket: B, Key: key }))).Body!.transformToByteArray(),
    );

  it('STREAMING-AWS4-HMAC-SHA256-PAYLOAD: every chunk signature is checked', async () => {
    const ok = await chunkedPut(srv.creds, 'chunked/signed', {
      mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      data,
      chunkSize: 65536,
    });
    expect(ok.status).toBe(200);
    expect(Buffer.compare(await readBack('chunked/signed'), data)).toBe(0);
    await expectError(
      await chunkedPut(srv.creds, 'chunked/bad-sig', {
        mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        data,
        chunkSize: 65536,
        corrupt: 'chunk-signature',
      }),
      403,
      'SignatureDoesNotMatch',
    );
    await expectError(
      await chunkedPut(srv.creds, 'chunked/bad-data', {
        mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        data,
        chunkSize: 65536,
        corrupt: 'data',
      }),
      403,
      'SignatureDoesNotMatch',
    );
    await expect(
      client.send(new GetObjectCommand({ Bucket: B, Key: 'chunked/bad-data' })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: signed chunks plus a signed checksum trailer', async () => {
    const trailer = { name: 'x-amz-checksum-crc32', value: await crc32b64(data) };
    const ok = await chunkedPut(srv.creds, 'chunked/trailer', {
      mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      data,
      chunkSize: 8192,
      trailer,
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-amz-checksum-crc32')).toBe(trailer.value);
    await expectError(
      await chunkedPut(srv.creds, 'chunked/trailer-bad', {
        mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
        data,
        chunkSize: 8192,
        trailer,
        corrupt: 'trailer-signature',
      }),
      403,
      'SignatureDoesNotMatch',
    );
  });

  it('STREAMING-UNSIGNED-PAYLOAD-TRAILER: the trailer checksum must match the data', async () => {
    const good = { name: 'x-amz-checksum-crc32', value: await crc32b64(data) };
    const ok = await chunkedPut(srv.creds, 'chunked/unsigned', {
      mode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      data,
      chunkSize: 65536,
      trailer: good,
    });
    expect(ok.status).toBe(200);
    expect(Buffer.compare(await readBack('chunked/unsigned'), data)).toBe(0);
    const bad = { name: 'x-amz-checksum-crc32', value: 'AAAAAA==' };
    await expectError(
      await chunkedPut(srv.creds, 'chunked/unsigned-bad', {
        mode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        data,
        chunkSize: 65536,
        trailer: bad,
      }),
      400,
      'BadDigest',
    );
  });

  it('the SDK’s own default upload (aws-chunked with a CRC32 trailer) round-trips', async () => {
    await client.send(new PutObjectCommand({ Bucket: B, Key: 'chunked/sdk', Body: data }));
    expect(Buffer.compare(await readBack('chunked/sdk'), data)).toBe(0);
  });
});
