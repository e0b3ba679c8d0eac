/**
 * SigV4 from the outside: header and presigned auth, and every refusal (aws-chunked streaming bodies:
 * auth-chunked.test.ts).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { authenticate } from '../src/core/auth/authenticate.ts';
import { presignUrl } from '../src/core/auth/presign.ts';
import { parseQuery } from '../src/core/auth/sigv4.ts';
import { nodeDigests } from '../src/local/digests.ts';
import {
  EMPTY,
  REGION,
  errorCode,
  expectError,
  hmac,
  presign,
  s3,
  sha256hex,
  signedFetch,
  serverPerFile,
} from './helpers/s3.ts';
import type { Creds, RunningServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
const B = 'auth';

serverPerFile([B], async (s) => {
  ({ srv, client } = s);
  await client.send(
    new PutObjectCommand({ Bucket: B, Key: 'hello.txt', Body: 'hello', ContentType: 'text/plain' }),
  );
});

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

  it('checks a link used again as strictly as the first time', async () => {
    const url = await presign(srv.endpoint, srv.creds, { path: `/${B}/hello.txt`, expiresIn: 300 });
    for (let i = 0; i < 3; i++) expect((await fetch(url)).status).toBe(200);
    await expectError(await fetch(url.replace('/hello.txt', '/other.txt')), 403, 'SignatureDoesNotMatch');
    await expectError(
      await fetch(url.replace('X-Amz-Expires=300', 'X-Amz-Expires=3000')),
      403,
      'SignatureDoesNotMatch',
    );
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(403);
    const { pathname, search } = new URL(url);
    const viaHost = (host: string) =>
      new Promise<number | undefined>((resolve, reject) =>
        request({ host: '127.0.0.1', port: srv.port, path: pathname + search, headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
          .on('error', reject)
          .end(),
      );
    expect(await viaHost(`127.0.0.1:${srv.port}`)).toBe(200);
    expect(await viaHost(`localhost:${srv.port}`)).toBe(403);
  });

  it(
    'refuses a link verified while valid once it is past its expiry (the clock given ' + 'to the check)',
    async () => {
      const signedAt = Date.UTC(2026, 11, 3, 12);
      const cred = { accessKeyId: 'AKEXPIRY', secret: 'expiry-secret' };
      const link = new URL(
        presignUrl(
          nodeDigests,
          cred,
          REGION,
          'http://127.0.0.1:9',
          {
            method: 'GET',
            bucket: B,
            key: 'hello.txt',
            expiresInSeconds: 60,
          },
          signedAt,
        ),
      );
      const req = {
        method: 'GET',
        rawPath: link.pathname,
        query: parseQuery(link.search.slice(1)),
        headers: new Headers({ host: link.host }),
        rawTarget: link.pathname + link.search,
      };
      const at = (now: number) =>
        authenticate(req, {
          digests: nodeDigests,
          region: REGION,
          now,
          lookup: async () => ({ accountId: 'acc', kind: 'root', secret: cred.secret, scopes: null }),
        });
      expect((await at(signedAt + 1_000)).principal.kind).toBe('root');
      expect((await at(signedAt + 59_000)).principal.kind).toBe('root'); // (the link known by now)
      await expect(at(signedAt + 61_000)).rejects.toThrow('Request has expired');
    },
  );

  it('accepts expiries from 1 second to 7 days', async () => {
    for (const expiresIn of [1, 604800]) {
      const url = await presign(srv.endpoint, srv.creds, { path: `/${B}/hello.txt`, expiresIn });
      expect((await fetch(url)).status).toBe(200);
    }
  });
});

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
