/**
 * Fuzzing the S3 object API with hostile keys, query parameters, header values, Range and
 * conditional headers and SigV4 fields (fast-check, seeded: see test/helpers/fuzz.ts). For every
 * case: a sane answer (never 5xx, never a stack trace), no event-loop stall, whatever was stored can
 * be read back, and the other account's object is untouched.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodedPiece, fuzz, headerText, hostileText, tokenText } from './helpers/fuzz.ts';
import { CANARY_BUCKET, type FuzzServer, KNOWN, startFuzzServer } from './helpers/fuzz-server.ts';
import { rawRequest } from './helpers/raw-http.ts';

const B = 'fuzz-objects';
let f: FuzzServer;
let n = 0;

beforeAll(async () => {
  f = await startFuzzServer([B]);
});
afterAll(() => f?.stop());

/** One hostile request: sane, no stall, the canary untouched. */
function send(
  what: string,
  creds: 'mine' | 'none',
  r: Parameters<typeof rawRequest>[2],
): Promise<{ res: Response; body: string }> {
  return f.sane(`${what}: ${r.method ?? 'GET'} ${r.path.slice(0, 200)}`, () =>
    rawRequest(f.srv.endpoint, creds === 'mine' ? f.srv.creds : null, r),
  );
}

/** A key's path as clients send it, or with the escapes left as typed (junk %-escapes, dot segments). */
const keyPath = fc.tuple(hostileText(1100), fc.boolean()).map(([key, raw]) => ({
  key,
  path: raw ? key.replace(/[^\x21-\x7e]|[?#]/g, (c) => encodedPiece(c)) : encodedPiece(key),
}));

const bucketName = fc.constantFrom(B, CANARY_BUCKET, 'no-such-bucket-here', 'admin', 'console');

describe('fuzz: the S3 object API', () => {
  it('keys: whatever PUT stores, GET and HEAD serve back; refused keys leave nothing', async () => {
    await fuzz('keys', fc.tuple(keyPath, bucketName), 300, async ([{ path }, bucket]) => {
      const body = `case ${n++}`;
      const put = await send('PUT of a hostile key', 'mine', {
        method: 'PUT',
        path: `/${bucket}/${path}`,
        body,
      });
      if (put.res.status !== 200) {
        if (path === '' || bucket !== B) return; // (a bucket-level request, or someone else's bucket)
        const after = await send('GET after a refused PUT', 'mine', { path: `/${bucket}/${path}` });
        expect(after.res.status, 'a refused PUT stored nothing').not.toBe(200);
        return;
      }
      expect(bucket).toBe(B); // only our own bucket takes writes
      const get = await send('GET of a stored hostile key', 'mine', { path: `/${bucket}/${path}` });
      expect([get.res.status, get.body]).toEqual([200, body]);
      expect(
        (await send('HEAD of a stored hostile key', 'mine', { method: 'HEAD', path: `/${bucket}/${path}` }))
          .res.status,
      ).toBe(200);
      expect(
        (
          await send('DELETE of a stored hostile key', 'mine', {
            method: 'DELETE',
            path: `/${bucket}/${path}`,
          })
        ).res.status,
      ).toBe(204);
    });
  });

  it('object headers: whatever PUT stores, GET and HEAD serve with its headers', async () => {
    const names = fc.constantFrom(
      'content-type',
      'cache-control',
      'content-disposition',
      'content-encoding',
      'content-language',
      'expires',
      'x-amz-storage-class',
      'x-amz-acl',
      'content-md5',
      'x-amz-checksum-crc32',
      'x-amz-checksum-algorithm',
      'x-amz-tagging',
      'if-match',
      'if-none-match',
      'x-amz-meta-a',
      'x-amz-meta-long',
      'x-amz-content-sha256',
      'x-amz-decoded-content-length',
      'x-amz-trailer',
      'x-amz-copy-source',
      'x-amz-metadata-directive',
      'x-amz-copy-source-range',
      'x-amz-copy-source-if-match',
    );
    const header = fc.oneof(
      fc.tuple(names, headerText()),
      fc.tuple(
        tokenText.map((t) => `x-amz-meta-${t}`),
        headerText(3000),
      ),
    );
    await fuzz(
      'object headers',
      fc.tuple(fc.array(header, { maxLength: 4 }), fc.constantFrom('PUT', 'POST')),
      300,
      async ([pairs, method]) => {
        const key = `headers/${n++}`;
        const headers = Object.fromEntries(pairs);
        const copy = 'x-amz-copy-source' in headers;
        const put = await send('a PUT with hostile headers', 'mine', {
          method,
          path: `/${B}/${key}`,
          query: method === 'POST' ? { uploads: '' } : undefined,
          headers,
          body: method === 'PUT' && !copy ? 'bytes' : undefined,
        });
        if (put.res.status !== 200 && method === 'PUT') {
          expect(
            (await send('GET after a refused PUT', 'mine', { path: `/${B}/${key}` })).res.status,
            'a refused PUT stored nothing',
          ).toBe(404);
        }
        if (put.res.status !== 200 || method === 'POST') return;
        for (const m of ['GET', 'HEAD']) {
          const back = await send('reading back an object stored with hostile headers', 'mine', {
            method: m,
            path: `/${B}/${key}`,
          });
          expect(
            back.res.status,
            `${m} of what PUT stored with ${JSON.stringify(headers).slice(0, 500)}`,
          ).toBe(200);
        }
      },
    );
  });

  it('query parameters: listings, response-* overrides, sub-resources', async () => {
    const names = fc.constantFrom(
      'prefix',
      'delimiter',
      'max-keys',
      'continuation-token',
      'start-after',
      'encoding-type',
      'marker',
      'list-type',
      'fetch-owner',
      'uploads',
      'key-marker',
      'upload-id-marker',
      'max-uploads',
      'uploadId',
      'partNumber',
      'attributes',
      'part-number-marker',
      'max-parts',
      'versionId',
      'response-content-type',
      'response-content-disposition',
      'response-cache-control',
      'response-expires',
      'response-content-language',
      'response-content-encoding',
      'acl',
      'cors',
      'website',
      'policy',
      'location',
      'versioning',
      'tagging',
      'X-Amz-Expires',
      'x-id',
      'delete',
    );
    const param = fc.tuple(
      fc.oneof({ weight: 4, arbitrary: names }, { weight: 1, arbitrary: hostileText(40) }),
      hostileText(4000),
    );
    const target = fc.constantFrom(
      `/${B}`,
      `/${B}/`,
      `/${B}/${KNOWN.key}`,
      '/',
      `/${CANARY_BUCKET}`,
      `/${CANARY_BUCKET}/secret.txt`,
    );
    await fuzz(
      'query parameters',
      fc.tuple(
        target,
        fc.array(param, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('GET', 'HEAD', 'DELETE', 'POST'),
        fc.boolean(),
      ),
      400,
      async ([path, params, method, signed]) => {
        await send('hostile query parameters', signed ? 'mine' : 'none', {
          method,
          path,
          query: Object.fromEntries(params),
        });
        if (method === 'DELETE' && path === `/${B}/${KNOWN.key}`) {
          await rawRequest(f.srv.endpoint, f.srv.creds, {
            method: 'PUT',
            path: `/${B}/${KNOWN.key}`,
            body: KNOWN.body,
          });
        }
      },
    );
  });

  it('Range and conditional headers: 200, 206, 304, 412 or 416, with a body that matches', async () => {
    const value = fc.oneof(
      headerText(4000),
      fc.constantFrom('bytes=0-0', 'bytes=-3', 'bytes=3-', 'bytes=5-2', 'bytes=0-99999999999999999999', '*'),
      fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
    );
    const names = fc.constantFrom(
      'range',
      'if-range',
      'if-match',
      'if-none-match',
      'if-modified-since',
      'if-unmodified-since',
      'x-amz-checksum-mode',
    );
    await fuzz(
      'range and conditions',
      fc.array(fc.tuple(names, value), { minLength: 1, maxLength: 4 }),
      400,
      async (pairs) => {
        const { res, body } = await send('hostile Range and conditions', 'mine', {
          path: `/${B}/${KNOWN.key}`,
          headers: Object.fromEntries(pairs),
        });
        expect([200, 206, 304, 400, 412, 416], `${JSON.stringify(pairs)} → ${res.status} ${body}`).toContain(
          res.status,
        );
        if (res.status === 200) expect(body).toBe(KNOWN.body);
        if (res.status === 206) {
          const [, start, end] = /^bytes (\d+)-(\d+)\/11$/.exec(res.headers.get('content-range') ?? '') ?? [];
          expect(body).toBe(KNOWN.body.slice(Number(start), Number(end) + 1));
        }
      },
    );
  });

  it('SigV4 fields: Authorization, dates, payload hashes and presigned parameters are refused cleanly', async () => {
    const authNames = fc.constantFrom(
      'authorization',
      'x-amz-date',
      'x-amz-content-sha256',
      'date',
      'x-amz-security-token',
    );
    const presigned = fc.constantFrom(
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Signature',
    );
    const authValue = fc.oneof(
      headerText(4000),
      fc
        .tuple(headerText(200), headerText(200), headerText(64))
        .map(
          ([c, s, sig]) =>
            `AWS4-HMAC-SHA256 Credential=${f.srv.creds.accessKeyId}/${c}, SignedHeaders=${s}, Signature=${sig}`,
        ),
      fc.constant('Bearer x.y.z'),
    );
    await fuzz(
      'sigv4 fields',
      fc.tuple(
        fc.array(fc.tuple(authNames, authValue), { maxLength: 3 }),
        fc.array(fc.tuple(presigned, hostileText(300)), { maxLength: 4 }),
      ),
      300,
      async ([headers, query]) => {
        await send('hostile SigV4 fields', 'none', {
          method: 'PUT',
          path: `/${B}/sigv4-${n++}`,
          headers: Object.fromEntries(headers),
          query: Object.fromEntries(query),
          body: 'x',
        });
      },
    );
  });
});
