/**
 * The pure functions of a request's way in, tested without a server (milliseconds, not seconds): what
 * a URL points at (resolveTarget), which S3 operation a request is (detectOperation), what a Range
 * header asks for (parseRange), SigV4's canonical request (against AWS's documented example and
 * against the AWS SDK's own signer) and its encoding (against the full encoding, for any text), and the
 * one TTL cache on a clock the test moves.
 */
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  cachedSigningKey,
  EMPTY_SHA256,
  parseQuery,
  sign,
  stringToSign,
  uriEncode,
} from '../src/core/auth/sigv4.ts';
import { TtlCache } from '../src/core/cache.ts';
import { failureOf } from '../src/core/failure.ts';
import { Freshness } from '../src/core/freshness.ts';
import { TestClock } from '../src/core/clock.ts';
import { parseRange } from '../src/core/s3/conditions.ts';
import { detectOperation } from '../src/core/s3/operations.ts';
import { resolveTarget } from '../src/core/s3/target.ts';
import { nodeDigests } from '../src/local/digests.ts';
import { Fields, Reply, toResponse } from '../src/core/http/reply.ts';
import { RowQueue } from '../src/core/log/row-queue.ts';
import fc from 'fast-check';

/** RFC 3986 encoding as the AWS SDKs do it: encodeURIComponent, and !'()* escaped too. */
const escape = (v: string) =>
  encodeURIComponent(v).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('resolveTarget', () => {
  it('reads bucket and key from a path-style URL, decoding each once', () => {
    const t = resolveTarget('/photos/2024/a%20b%2Bc.jpg?list-type=2&prefix=x%2Fy', null);
    expect(t).toMatchObject({ bucket: 'photos', key: '2024/a b+c.jpg', style: 'path' });
    expect(t.rawPath).toBe('/photos/2024/a%20b%2Bc.jpg');
    expect(t.query).toEqual([
      { name: 'list-type', value: '2' },
      { name: 'prefix', value: 'x/y' },
    ]);
  });

  it('takes the bucket from the Host and the whole path as the key', () => {
    expect(resolveTarget('/a/b/', 'site')).toMatchObject({ bucket: 'site', key: 'a/b/', style: 'host' });
    expect(resolveTarget('/', 'site')).toMatchObject({ bucket: 'site', key: null });
  });

  it('the service root, a bucket alone, and a bucket with a trailing slash', () => {
    expect(resolveTarget('/', null)).toMatchObject({ bucket: null, key: null });
    expect(resolveTarget('/b', null)).toMatchObject({ bucket: 'b', key: null });
    expect(resolveTarget('/b/', null)).toMatchObject({ bucket: 'b', key: null });
  });

  it('refuses a bad %-escape (InvalidArgument) and a key over 1024 bytes (KeyTooLongError)', () => {
    expect(code(() => resolveTarget('/b/%zz', null))).toBe('InvalidArgument');
    expect(code(() => resolveTarget('/b/k?x=%', null))).toBe('InvalidArgument');
    expect(code(() => resolveTarget(`/b/${'é'.repeat(513)}`, null))).toBe('KeyTooLongError');
    expect(resolveTarget(`/b/${'a'.repeat(1024)}`, null).key).toHaveLength(1024);
    // counted in UTF-8 bytes, not characters: exactly 1024 bytes pass, one more character does not
    expect(resolveTarget(`/b/${'é'.repeat(512)}`, null).key).toHaveLength(512);
    expect(resolveTarget(`/b/${encodeURIComponent('😀'.repeat(256))}`, null).key).toBe('😀'.repeat(256));
    expect(code(() => resolveTarget(`/b/${encodeURIComponent('😀'.repeat(257))}`, null))).toBe(
      'KeyTooLongError',
    );
    expect(resolveTarget('/b/a+b?x=1+2', null)).toMatchObject({
      key: 'a+b',
      query: [{ name: 'x', value: '1 2' }],
    });
  });
});

describe('parseRange', () => {
  it('reads a single byte range, clipped to the object', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=90-1000', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-1000', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange(' Bytes = 5 - 6 ', 100)).toEqual({ start: 5, end: 6 });
  });

  it('ignores what is not one valid range (the whole object is sent), as S3 does', () => {
    for (const h of ['bytes=5-1', 'bytes=-', 'items=0-1', 'bytes=0-1,3-4', 'bytes=a-b', ''])
      expect(parseRange(h, 100)).toBeNull();
    expect(parseRange(null, 100)).toBeNull();
  });

  it('answers unsatisfiable past the end, for a zero suffix, and on an empty object', () => {
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-5', 0)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });

  it('takes linear time on a long run of spaces', () => {
    const t0 = performance.now();
    expect(parseRange(`bytes=${' '.repeat(16_000)}x`, 100)).toBeNull();
    expect(performance.now() - t0).toBeLessThan(200);
  });
});

describe('SigV4 canonical request', () => {
  const headers = new Headers({
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': EMPTY_SHA256,
    'x-amz-date': '20130524T000000Z',
  });
  const signed = ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'];
  const scope = { date: '20130524', region: 'us-east-1', service: 's3' };

  it("matches AWS's documented GET example, down to the signature", () => {
    const canonical = canonicalRequest({
      method: 'GET',
      rawPath: '/test.txt',
      query: [],
      headers,
      signedHeaders: signed,
      payloadHash: EMPTY_SHA256,
    });
    expect(canonical).toBe(
      [
        'GET',
        '/test.txt',
        '',
        'host:examplebucket.s3.amazonaws.com',
        'range:bytes=0-9',
        `x-amz-content-sha256:${EMPTY_SHA256}`,
        'x-amz-date:20130524T000000Z',
        '',
        'host;range;x-amz-content-sha256;x-amz-date',
        EMPTY_SHA256,
      ].join('\n'),
    );
    const toSign = stringToSign(nodeDigests, '20130524T000000Z', scope, canonical);
    expect(toSign.split('\n').at(-1)).toBe(
      '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    );
    const key = cachedSigningKey(nodeDigests, 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', scope);
    expect(sign(nodeDigests, key, toSign)).toBe(
      'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('signs as the AWS SDK does for keys and queries with characters that need escaping', async () => {
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret/with+chars' };
    const sha256 = Hash.bind(null, 'sha256');
    // S3 signs the path as sent (no second escaping): the SDK escapes each key segment once itself
    const sdk = new SignatureV4({
      credentials,
      region: 'eu-west-1',
      service: 's3',
      sha256,
      uriEscapePath: false,
    });
    const cases: { key: string; query: Record<string, string> }[] = [
      { key: "a b/ü!'()*~.txt", query: { prefix: 'a b/c', 'max-keys': '5', empty: '' } },
      { key: '+plus/%25', query: { 'list-type': '2', 'start-after': 'x=y&z' } },
    ];
    for (const c of cases) {
      const rawPath = `/b/${c.key.split('/').map(escape).join('/')}`;
      const request = new HttpRequest({
        method: 'GET',
        protocol: 'https:',
        hostname: 'b.example',
        path: rawPath,
        query: c.query,
        headers: { host: 'b.example', 'x-amz-content-sha256': EMPTY_SHA256 },
      });
      const date = new Date('2024-03-01T12:00:00Z');
      const out = await sdk.sign(request, { signingDate: date });
      const auth = String(out.headers.authorization);
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)![1]!.split(';');
      const rawQuery = Object.entries(c.query)
        .map(([k, v]) => `${escape(k)}=${escape(v)}`)
        .join('&');
      const canonical = canonicalRequest({
        method: 'GET',
        rawPath,
        query: parseQuery(rawQuery),
        headers: new Headers(out.headers as Record<string, string>),
        signedHeaders,
        payloadHash: EMPTY_SHA256,
      });
      const sdkScope = { date: '20240301', region: 'eu-west-1', service: 's3' };
      const toSign = stringToSign(nodeDigests, '20240301T120000Z', sdkScope, canonical);
      const key = cachedSigningKey(nodeDigests, credentials.secretAccessKey, sdkScope);
      expect(`Signature=${sign(nodeDigests, key, toSign)}`).toBe(/Signature=\w+/.exec(auth)![0]);
    }
  });
});

describe("SigV4's encoding", () => {
  // well-formed text: a lone surrogate cannot be percent-encoded at all (the slow path's URIError)
  const text = fc.oneof(fc.string({ unit: 'grapheme' }), fc.stringMatching(/^[A-Za-z0-9\-_.~/%+!*]*$/));

  it('answers for any text as the full encoding does (shortcuts skip only text with nothing to do)', () => {
    fc.assert(
      fc.property(text, (v) => {
        expect(uriEncode(v)).toBe(escape(v));
        expect(uriEncode(v, true)).toBe(escape(v).replace(/%2F/g, '/'));
        const segments = v.split('/').map(escape);
        expect(canonicalUri(segments.join('/'))).toBe(segments.join('/'));
        const query = `${escape(v)}=${escape(v)}`;
        const params = parseQuery(`${query}&`);
        expect(params).toEqual([{ name: v, value: v }]);
        expect(canonicalQuery(params)).toBe(query);
      }),
    );
  });
});

describe('TtlCache on a test clock', () => {
  it('serves a value for its lifetime, loads it again after, and keeps no miss it is told not to', async () => {
    // a clock that moves only when told (a TestClock also runs with the wall clock)
    let now = 1_000_000;
    const clock = { now: () => now, advance: (ms: number) => (now += ms) };
    const cache = new TtlCache<string, string | null>({ ttlMs: 2_000, clock });
    let loads = 0;
    const load = async (k: string) => (++loads, k === 'gone' ? null : `${k}${loads}`);
    expect(await cache.getOrLoad('a', load)).toBe('a1');
    clock.advance(1_999);
    expect(await cache.getOrLoad('a', load)).toBe('a1');
    clock.advance(1);
    expect(await cache.getOrLoad('a', load)).toBe('a2');
    cache.delete('a');
    expect(await cache.getOrLoad('a', load)).toBe('a3');
    const keepFound = (v: string | null) => v !== null;
    expect(await cache.getOrLoad('gone', load, keepFound)).toBeNull();
    expect(await cache.getOrLoad('gone', load, keepFound)).toBeNull();
    expect(loads).toBe(5);
  });

  it('starts afresh past its bound, and a test clock never goes back', () => {
    const cache = new TtlCache<number, number>({ ttlMs: 1_000, maxEntries: 3 });
    for (let i = 0; i < 4; i++) cache.set(i, i);
    expect([0, 1, 2, 3].map((i) => cache.get(i))).toEqual([undefined, undefined, undefined, 3]);
    expect(() => new TestClock().advance(-1)).toThrow(RangeError);
  });

  it('with a settings generation: serves only what was loaded under the newest one, which never goes back', async () => {
    let gen = 5;
    const answers: number[] = [];
    const freshness = new Freshness(async () => answers.shift() ?? gen);
    const cache = new TtlCache<string, string>({ ttlMs: 60_000, generation: freshness });
    let loads = 0;
    const load = async (k: string) => `${k}${++loads}`;
    await freshness.check();
    expect(await cache.getOrLoad('a', load)).toBe('a1');
    await freshness.check();
    expect(await cache.getOrLoad('a', load)).toBe('a1'); // nothing changed: no query
    gen = 6; // a change committed anywhere
    await freshness.check();
    expect(await cache.getOrLoad('a', load)).toBe('a2');
    answers.push(5); // a slow read that answers an older generation
    await freshness.check();
    expect(freshness.current).toBe(6);
    expect(await cache.getOrLoad('a', load)).toBe('a2');
    // a load that raced with a change is kept under the generation before it, so the next check drops it
    const racing = cache.getOrLoad('b', async (k) => {
      gen = 7;
      await freshness.check();
      return load(k);
    });
    expect(await racing).toBe('b3');
    expect(await cache.getOrLoad('b', load)).toBe('b4');
  });

  it('a read request is proven by a generation read sent after it arrived, unless the generation moved', async () => {
    let gen = 3;
    const freshness = new Freshness(async () => gen);
    await freshness.check();
    let answer: (v: { gen: number }) => void = () => {};
    const early = freshness.noting(() => new Promise<{ gen: number }>((r) => (answer = r)));
    const mark = freshness.mark();
    answer({ gen });
    await early; // sent before the request arrived: proves nothing for it
    expect(freshness.provenSince(mark)).toBe(false);
    await freshness.noting(async () => ({ gen, row: 'the object' })); // the request's own lookup
    expect(freshness.provenSince(mark)).toBe(true);
    gen = 4;
    await freshness.check();
    expect(freshness.provenSince(mark)).toBe(false); // moved: answered again
    expect(freshness.provenSince(freshness.mark())).toBe(false); // nothing read since this mark yet
  });

  it('checks asked for while a read is on its way share the next read, never the one already sent', async () => {
    const sent: ((gen: number) => void)[] = [];
    const freshness = new Freshness(() => new Promise<number>((r) => sent.push(r)));
    const first = freshness.check();
    const second = freshness.check(); // the first read may predate what this request must see
    const third = freshness.check();
    expect(sent).toHaveLength(1);
    sent[0]!(1);
    await first;
    await Promise.resolve();
    expect(sent).toHaveLength(2); // one more read, for both
    sent[1]!(2);
    await Promise.all([second, third]);
    expect(freshness.current).toBe(2);
  });
});

describe('failureOf', () => {
  const reported: string[] = [];
  const report = (m: string) => void reported.push(m);
  it('answers a network failure of fetch (the libSQL server unreachable) 503 with Retry-After', () => {
    const cause = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const e = failureOf(new TypeError('fetch failed', { cause }), report, 'GET /b/k');
    expect([e.code, e.status, e.headers['retry-after']]).toEqual(['ServiceUnavailable', 503, '1']);
    expect(reported.pop()).toMatch(/did not answer on GET \/b\/k/);
  });
  it('answers a bug of ours 500 InternalError, and says nothing of it to the client', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'size')");
    const e = failureOf(bug, report, 'GET /b/k');
    expect([e.code, e.status]).toEqual(['InternalError', 500]);
    expect(e.message).not.toMatch(/size/);
  });
});

describe('Reply: an object read answers with fields a Response is made of once', () => {
  it('reads and replaces fields whatever their case, joins appended ones, and becomes the Response', async () => {
    const f = new Fields();
    f.set('Content-Type', 'text/html');
    f.append('vary', 'Accept-Encoding');
    f.append('Vary', 'Origin');
    expect([f.get('content-type'), f.has('CONTENT-TYPE'), f.get('vary')]).toEqual([
      'text/html',
      true,
      'Accept-Encoding, Origin',
    ]);
    f.delete('Vary');
    const res = toResponse(new Reply(206, new TextEncoder().encode('hi'), f));
    expect([res.status, res.headers.get('content-type'), res.headers.has('vary'), await res.text()]).toEqual([
      206,
      'text/html',
      false,
      'hi',
    ]);
  });
});

describe('the request log queue', () => {
  it('keeps rows in arrival order through any pushes, takes, drops and put-backs (as an array would)', () => {
    type Op =
      | { kind: 'push'; n: number }
      | { kind: 'take' | 'drop'; n: number }
      | { kind: 'back'; n: number };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), n: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({
        kind: fc.constantFrom('take' as const, 'drop' as const),
        n: fc.integer({ min: 0, max: 2500 }),
      }),
      fc.record({ kind: fc.constant('back' as const), n: fc.integer({ min: 0, max: 50 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops: Op[]) => {
        const q = new RowQueue<number>();
        let model: number[] = [];
        let next = 0;
        for (const o of ops) {
          if (o.kind === 'push') for (let i = 0; i < o.n; i++) q.push(next), model.push(next++);
          else if (o.kind === 'take') expect(q.take(o.n)).toEqual(model.splice(0, o.n));
          else if (o.kind === 'drop') q.drop(o.n), model.splice(0, o.n);
          else {
            const back = Array.from({ length: o.n }, () => next++);
            q.putBack(back);
            model = [...back, ...model];
          }
          expect(q.length).toBe(model.length);
        }
        expect(q.take(Number.MAX_SAFE_INTEGER)).toEqual(model);
      }),
      { numRuns: 200 },
    );
  });
});
