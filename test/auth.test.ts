/** SigV4 from the outside: header and presigned auth, every payload mode, and every refusal. */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGION, errorCode, presign, s3, signedFetch } from './helpers/s3.ts';
import { type Creds, type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
const B = 'auth';

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  await client.send(new CreateBucketCommand({ Bucket: B }));
  await client.send(
    new PutObjectCommand({ Bucket: B, Key: 'hello.txt', Body: 'hello', ContentType: 'text/plain' }),
  );
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(await errorCode(res)).toBe(code);
}

describe('header authentication', () => {
  it('refuses anonymous requests (no public access yet)', async () => {
    await expectError(await fetch(`${srv.endpoint}/${B}/hello.txt`), 403, 'AccessDenied');
    await expectError(await fetch(`${srv.endpoint}/`), 403, 'AccessDenied');
    await expectError(
      await fetch(`${srv.endpoint}/${B}/x`, { method: 'PUT', body: 'x' }),
      403,
      'AccessDenied',
    );
  });

  it('refuses a wrong secret with SignatureDoesNotMatch and an unknown key with InvalidAccessKeyId', async () => {
    await expectError(
      await signedFetch(
        srv.endpoint,
        { ...srv.creds, secretAccessKey: 'wrong-secret' },
        { path: `/${B}/hello.txt` },
      ),
      403,
      'SignatureDoesNotMatch',
    );
    await expectError(
      await signedFetch(
        srv.endpoint,
        { accessKeyId: 'QKNOSUCHKEY', secretAccessKey: 'x' },
        { path: `/${B}/hello.txt` },
      ),
      403,
      'InvalidAccessKeyId',
    );
  });

  it('refuses a clock more than 15 minutes off with RequestTimeTooSkewed, accepts 14 minutes', async () => {
    const past = new Date(Date.now() - 16 * 60_000);
    await expectError(
      await signedFetch(srv.endpoint, srv.creds, { path: `/${B}/hello.txt`, signingDate: past }),
      403,
      'RequestTimeTooSkewed',
    );
    const future = new Date(Date.now() + 16 * 60_000);
    await expectError(
      await signedFetch(srv.endpoint, srv.creds, { path: `/${B}/hello.txt`, signingDate: future }),
      403,
      'RequestTimeTooSkewed',
    );
    const ok = await signedFetch(srv.endpoint, srv.creds, {
      path: `/${B}/hello.txt`,
      signingDate: new Date(Date.now() - 14 * 60_000),
    });
    expect(ok.status).toBe(200);
  });

  it('refuses a request altered after signing (path, header, body)', async () => {
    const url = new URL(srv.endpoint);
    // sign one path, send another
    const signed = await signedFetch(srv.endpoint, srv.creds, { path: `/${B}/hello.txt` });
    expect(signed.status).toBe(200);
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { HttpRequest } = await import('@smithy/protocol-http');
    const { Hash } = await import('@smithy/hash-node');
    const sig = new SignatureV4({
      credentials: srv.creds,
      region: REGION,
      service: 's3',
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
    });
    const req = await sig.sign(
      new HttpRequest({
        method: 'GET',
        hostname: url.hostname,
        port: +url.port,
        path: `/${B}/hello.txt`,
        headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      }),
    );
    const headers = { ...(req.headers as Record<string, string>) };
    delete headers.host;
    await expectError(
      await fetch(`${srv.endpoint}/${B}/other.txt`, { headers }),
      403,
      'SignatureDoesNotMatch',
    );
    await expectError(
      await fetch(`${srv.endpoint}/${B}/hello.txt`, {
        headers: { ...headers, 'x-amz-meta-injected': 'yes' },
      }),
      403,
      'AccessDenied',
    );
  });

  it('checks a SigV2 signature (sigv2.test.ts has the rest) and refuses another region', async () => {
    const v2 = await fetch(`${srv.endpoint}/${B}/hello.txt`, {
      headers: { authorization: `AWS ${srv.creds.accessKeyId}:c2lnbmF0dXJl`, date: new Date().toUTCString() },
    });
    expect(v2.status).toBe(403);
    expect(await errorCode(v2)).toBe('SignatureDoesNotMatch');
    const eu = s3(srv.endpoint, srv.creds, { region: 'eu-west-1' });
    await expect(eu.send(new GetObjectCommand({ Bucket: B, Key: 'hello.txt' }))).rejects.toMatchObject({
      name: 'AuthorizationHeaderMalformed',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('refuses a credential scope dated another day than the request, whether the date came as Date or x-amz-date', async () => {
    const now = new Date();
    const today = now.toISOString().slice(0, 10).replace(/-/g, '');
    const viaDate = { date: now.toUTCString() };
    const viaAmzDate = {
      'x-amz-date': now
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, ''),
    };
    // the same hand-built signature with today's scope is accepted: only the scope's date differs below
    expect((await signedWithScopeDate(srv.creds, today, viaDate)).status).toBe(200);
    expect((await signedWithScopeDate(srv.creds, today, viaAmzDate)).status).toBe(200);
    for (const dated of [viaDate, viaAmzDate]) {
      const stale = await signedWithScopeDate(srv.creds, '20200101', dated);
      expect(stale.status).toBe(400);
      const text = await stale.text();
      expect(text).toContain('<Code>AuthorizationHeaderMalformed</Code>');
      expect(text).toContain('Invalid credential date');
    }
  });

  it('accepts UNSIGNED-PAYLOAD and a signed SHA-256 payload', async () => {
    expect(
      (
        await signedFetch(srv.endpoint, srv.creds, {
          method: 'PUT',
          path: `/${B}/unsigned`,
          body: 'u',
          payloadHash: 'UNSIGNED-PAYLOAD',
        })
      ).status,
    ).toBe(200);
    expect(
      (await signedFetch(srv.endpoint, srv.creds, { method: 'PUT', path: `/${B}/signed`, body: 's' })).status,
    ).toBe(200);
  });

  it('answers virtual-hosted-style requests (bucket.localhost)', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      // sign for host auth.localhost:<port>, send to 127.0.0.1 with that Host header
      void (async () => {
        const { SignatureV4 } = await import('@smithy/signature-v4');
        const { HttpRequest } = await import('@smithy/protocol-http');
        const { Hash } = await import('@smithy/hash-node');
        const host = `${B}.localhost:${srv.port}`;
        const sig = new SignatureV4({
          credentials: srv.creds,
          region: REGION,
          service: 's3',
          sha256: Hash.bind(null, 'sha256'),
          uriEscapePath: false,
        });
        const req = await sig.sign(
          new HttpRequest({
            method: 'GET',
            hostname: `${B}.localhost`,
            port: srv.port,
            path: '/hello.txt',
            headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
          }),
        );
        request({ host: '127.0.0.1', port: srv.port, path: '/hello.txt', headers: req.headers }, (res) => {
          let out = '';
          res.on('data', (d) => (out += d));
          res.on('end', () => resolve(`${res.statusCode} ${out}`));
        })
          .on('error', reject)
          .end();
      })();
    });
    expect(body).toBe('200 hello');
  });
});

describe('presigned URLs', () => {
  it('a presigned GET works with plain curl-like fetch, HEAD too', async () => {
    const url = await presign(srv.endpoint, srv.creds, { path: `/${B}/hello.txt`, expiresIn: 300 });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
    const head = await presign(srv.endpoint, srv.creds, {
      method: 'HEAD',
      path: `/${B}/hello.txt`,
      expiresIn: 300,
    });
    expect((await fetch(head, { method: 'HEAD' })).headers.get('content-length')).toBe('5');
  });

  it('a presigned PUT uploads, a presigned DELETE deletes', async () => {
    const put = await presign(srv.endpoint, srv.creds, {
      method: 'PUT',
      path: `/${B}/presigned-upload.txt`,
      expiresIn: 300,
    });
    expect((await fetch(put, { method: 'PUT', body: 'uploaded by url' })).status).toBe(200);
    const got = await client.send(new GetObjectCommand({ Bucket: B, Key: 'presigned-upload.txt' }));
    expect(await got.Body!.transformToString()).toBe('uploaded by url');
    const del = await presign(srv.endpoint, srv.creds, {
      method: 'DELETE',
      path: `/${B}/presigned-upload.txt`,
      expiresIn: 300,
    });
    expect((await fetch(del, { method: 'DELETE' })).status).toBe(204);
  });

  it('refuses an expired URL with AccessDenied "Request has expired"', async () => {
    const url = await presign(srv.endpoint, srv.creds, {
      path: `/${B}/hello.txt`,
      expiresIn: 60,
      signingDate: new Date(Date.now() - 120_000),
    });
    const res = await fetch(url);
    expect(res.status).toBe(403);
    const text = await res.text();
    expect(text).toContain('<Code>AccessDenied</Code>');
    expect(text).toContain('Request has expired');
  });

  it('refuses a tampered signature, key, or expiry', async () => {
    const url = await presign(srv.endpoint, srv.creds, { path: `/${B}/hello.txt`, expiresIn: 300 });
    const sig = /X-Amz-Signature=([0-9a-f]+)/.exec(url)![1]!;
    const flipped = url.replace(sig, (sig[0] === '0' ? '1' : '0') + sig.slice(1));
    await expectError(await fetch(flipped), 403, 'SignatureDoesNotMatch');
    await expectError(await fetch(url.replace('/hello.txt', '/other.txt')), 403, 'SignatureDoesNotMatch');
    await expectError(
      await fetch(url.replace('X-Amz-Expires=300', 'X-Amz-Expires=3000')),
      403,
      'SignatureDoesNotMatch',
    );
    await expectError(
      await fetch(url.replace('X-Amz-Expires=300', 'X-Amz-Expires=604801')),
      400,
      'AuthorizationQueryParametersError',
    );
    await expectError(
      await fetch(url.replace(/&X-Amz-Credential=[^&]+/, '')),
      400,
      'AuthorizationQueryParametersError',
    );
  });

  it('accepts expiries from 1 second to 7 days', async () => {
    for (const expiresIn of [1, 604800]) {
      const url = await presign(srv.endpoint, srv.creds, { path: `/${B}/hello.txt`, expiresIn });
      expect((await fetch(url)).status).toBe(200);
    }
  });
});

// ---- aws-chunked bodies, built by hand so every variant (and every corruption) can be sent ----

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}
const sha256hex = (d: Buffer | string) => createHash('sha256').update(d).digest('hex');
const EMPTY = sha256hex('');

/**
 * A GET of hello.txt signed by hand with the credential scope dated `scopeDate`, the request's own date
 * sent as `dated` (a Date header or x-amz-date): what a key derived for one day would sign.
 */
async function signedWithScopeDate(
  creds: Creds,
  scopeDate: string,
  dated: Record<string, string>,
): Promise<Response> {
  const url = new URL(srv.endpoint);
  const headers: Record<string, string> = { host: url.host, 'x-amz-content-sha256': EMPTY, ...dated };
  const stamp =
    dated['x-amz-date'] ??
    new Date(dated.date!)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
  const scope = `${scopeDate}/${REGION}/s3/aws4_request`;
  const names = Object.keys(headers).sort();
  const canonical = [
    'GET',
    `/${B}/hello.txt`,
    '',
    names.map((h) => `${h}:${headers[h]}\n`).join(''),
    names.join(';'),
    EMPTY,
  ].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, sha256hex(canonical)].join('\n');
  const kSigning = hmac(
    hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, scopeDate), REGION), 's3'),
    'aws4_request',
  );
  const authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${hmac(kSigning, toSign).toString('hex')}`;
  const { host: _host, ...sent } = headers;
  return fetch(`${srv.endpoint}/${B}/hello.txt`, { headers: { ...sent, authorization } });
}

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
  const auth = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedNames.join(';')}, Signature=${seed}`;
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
