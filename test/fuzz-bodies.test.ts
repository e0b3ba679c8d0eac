/**
 * Fuzzing request bodies: S3's XML documents (CORS, website, DeleteObjects, CompleteMultipartUpload,
 * CreateBucket, ACL) and bucket policies, seeded (see test/helpers/fuzz.ts); the JSON API's bodies are
 * fuzzed in fuzz-json-api.test.ts. For every case: a sane answer, no event-loop stall, a configuration
 * that was accepted still lets the bucket be served, nothing reaches the other account's bucket, and
 * its object is untouched.
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { api } from './helpers/api.ts';
import { fuzz, hostileText } from './helpers/fuzz.ts';
import {
  CANARY_BUCKET,
  type FuzzServer,
  KNOWN,
  expectStillServed,
  startFuzzServer,
} from './helpers/fuzz-server.ts';
import { rawRequest, wellFormed } from './helpers/raw-http.ts';

const B = 'fuzz-bodies';
let f: FuzzServer;

beforeAll(async () => {
  f = await startFuzzServer([B]);
  await api(f.srv, 'PATCH', `/admin/buckets/${B}`, { accessType: 'public-read' });
});
afterAll(() => f?.stop());

/** The bucket still serves its object: plainly, to a browser of another site, and as a website. */
const stillServed = () => expectStillServed(f, B);

/** XML built from S3's vocabulary with hostile text, and raw XML trouble. */
const NAMES = [
  'CORSConfiguration',
  'CORSRule',
  'AllowedOrigin',
  'AllowedMethod',
  'AllowedHeader',
  'ExposeHeader',
  'MaxAgeSeconds',
  'ID',
  'WebsiteConfiguration',
  'IndexDocument',
  'Suffix',
  'ErrorDocument',
  'Key',
  'RedirectAllRequestsTo',
  'HostName',
  'Protocol',
  'RoutingRules',
  'RoutingRule',
  'Condition',
  'KeyPrefixEquals',
  'HttpErrorCodeReturnedEquals',
  'Redirect',
  'ReplaceKeyWith',
  'ReplaceKeyPrefixWith',
  'HttpRedirectCode',
  'Delete',
  'Object',
  'Quiet',
  'VersionId',
  'CompleteMultipartUpload',
  'Part',
  'PartNumber',
  'ETag',
  'ChecksumCRC32',
  'CreateBucketConfiguration',
  'LocationConstraint',
  'AccessControlPolicy',
  'Owner',
  'AccessControlList',
  'Grant',
  'Grantee',
  'Permission',
  'Status',
];
const xmlTree: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileText(3000).map((t) => wellFormed(t).replace(/[<&]/g, (c) => (c === '<' ? '&lt;' : '&amp;'))),
    fc
      .tuple(fc.constantFrom(...NAMES), fc.array(tie('node'), { maxLength: 4 }))
      .map(([name, kids]) => `<${name}>${kids.join('')}</${name}>`),
    fc.constantFrom(
      '<![CDATA[x]]>',
      '&#0;',
      '&#xD800;',
      '&#x1F600;',
      '&lt;',
      '&unknown;',
      '<?pi x?>',
      '<!-- c -->',
      '<a:b xmlns:a="x">y</a:b>',
      '<A x="1"/>',
    ),
  ),
})).node;
/** Mostly the valid value, sometimes hostile text: documents that get past the first check. */
const mix = (...valid: string[]) =>
  fc
    .oneof({ weight: 6, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: hostileText(3000) })
    .map((t) => wellFormed(t).replace(/[<&]/g, (c) => (c === '<' ? '&lt;' : '&amp;')));
const el = (name: string, value: fc.Arbitrary<string>) => value.map((v) => `<${name}>${v}</${name}>`);
const some = (a: fc.Arbitrary<string>, max = 3) =>
  fc.array(a, { minLength: 1, maxLength: max }).map((xs) => xs.join(''));
const corsRule = fc
  .tuple(
    some(el('AllowedOrigin', mix('*', 'https://app.example', 'https://*.example'))),
    some(el('AllowedMethod', mix('GET', 'PUT', 'HEAD'))),
    fc.oneof(fc.constant(''), some(el('AllowedHeader', mix('*', 'x-a', 'content-type')))),
    fc.oneof(fc.constant(''), some(el('ExposeHeader', mix('ETag', 'x-amz-meta-a')))),
    fc.oneof(fc.constant(''), el('MaxAgeSeconds', mix('0', '3000', '99999999999999999999'))),
  )
  .map((parts) => `<CORSRule>${parts.join('')}</CORSRule>`);
const redirect = fc
  .tuple(
    fc.option(el('Protocol', mix('http', 'https'))),
    fc.option(el('HostName', mix('example.com', 'a.b:8080'))),
    fc.option(el('ReplaceKeyPrefixWith', mix('docs/', ''))),
    fc.option(el('ReplaceKeyWith', mix('index.html'))),
    fc.option(el('HttpRedirectCode', mix('301', '302'))),
  )
  .map((parts) => `<Redirect>${parts.filter(Boolean).join('')}</Redirect>`);
const rule = fc
  .tuple(
    fc.option(
      fc
        .tuple(
          fc.option(el('KeyPrefixEquals', mix('docs/', ''))),
          fc.option(el('HttpErrorCodeReturnedEquals', mix('404', '403'))),
        )
        .map(([a, b]) => `<Condition>${a ?? ''}${b ?? ''}</Condition>`),
    ),
    redirect,
  )
  .map(([c, r]) => `<RoutingRule>${c ?? ''}${r}</RoutingRule>`);
const TEMPLATES: Record<string, fc.Arbitrary<string>> = {
  cors: some(corsRule).map((r) => `<CORSConfiguration>${r}</CORSConfiguration>`),
  website: fc.oneof(
    fc
      .tuple(
        el('IndexDocument', el('Suffix', mix('index.html'))),
        fc.option(el('ErrorDocument', el('Key', mix('404.html')))),
        fc.option(some(rule).map((r) => `<RoutingRules>${r}</RoutingRules>`)),
      )
      .map((parts) => `<WebsiteConfiguration>${parts.filter(Boolean).join('')}</WebsiteConfiguration>`),
    fc
      .tuple(el('HostName', mix('example.com')), fc.option(el('Protocol', mix('https'))))
      .map(([h, p]) => `<RedirectAllRequestsTo>${h}${p ?? ''}</RedirectAllRequestsTo>`)
      .map((r) => `<WebsiteConfiguration>${r}</WebsiteConfiguration>`),
  ),
  delete: fc
    .tuple(
      fc.option(el('Quiet', mix('true', 'false'))),
      some(el('Object', el('Key', mix('known.txt', 'gone.txt', '../canary-of-b/secret.txt'))), 5),
    )
    .map(([q, o]) => `<Delete>${q ?? ''}${o}</Delete>`),
  uploadId: some(
    fc
      .tuple(el('PartNumber', mix('1', '2', '0', '10001')), el('ETag', mix('"abc"', 'x')))
      .map(([a, b]) => `<Part>${a}${b}</Part>`),
    4,
  ).map((p) => `<CompleteMultipartUpload>${p}</CompleteMultipartUpload>`),
  '': el('LocationConstraint', mix('us-east-1', 'eu-west-1', '')).map(
    (l) => `<CreateBucketConfiguration>${l}</CreateBucketConfiguration>`,
  ),
};
const xmlFor = (target: string) =>
  fc.oneof(
    { weight: 6, arbitrary: TEMPLATES[target] ?? xmlTree },
    { weight: 2, arbitrary: xmlTree },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...NAMES), fc.integer({ min: 100, max: 5000 }))
        .map(([name, depth]) => `<${name}>`.repeat(depth)),
    },
    { weight: 1, arbitrary: hostileText(20_000) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
        '<?xml version="1.0" encoding="UTF-16"?><a/>',
        '',
      ),
    },
  );

describe('fuzz: request bodies', () => {
  it('XML documents: CORS, website, DeleteObjects, CompleteMultipartUpload, CreateBucket, ACL', async () => {
    const start = await rawRequest(f.srv.endpoint, f.srv.creds, {
      method: 'POST',
      path: `/${B}/multipart.bin`,
      query: { uploads: '' },
    });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await start.text())![1]!;
    const targets = fc.constantFrom<{ method: string; path: string; query: Record<string, string> }>(
      { method: 'PUT', path: `/${B}`, query: { cors: '' } },
      { method: 'PUT', path: `/${B}`, query: { website: '' } },
      { method: 'POST', path: `/${B}`, query: { delete: '' } },
      { method: 'POST', path: `/${B}/multipart.bin`, query: { uploadId } },
      { method: 'PUT', path: '/fuzz-new-bucket', query: {} },
      { method: 'PUT', path: `/${B}`, query: { acl: '' } },
      { method: 'PUT', path: `/${B}`, query: { versioning: '' } },
      { method: 'PUT', path: `/${CANARY_BUCKET}`, query: { cors: '' } },
    );
    const cases = targets.chain((t) =>
      fc.tuple(fc.constant(t), xmlFor(Object.keys(t.query)[0] ?? ''), fc.boolean()),
    );
    await fuzz('xml bodies', cases, 300, async ([target, xml, declared]) => {
      const body = declared ? `<?xml version="1.0" encoding="UTF-8"?>${xml}` : xml;
      const md5 = createHash('md5').update(body).digest('base64');
      const what = `an XML body for ${target.method} ${target.path}?${Object.keys(target.query).join('')}`;
      const { res } = await f.sane(what, () =>
        rawRequest(f.srv.endpoint, f.srv.creds, { ...target, headers: { 'content-md5': md5 }, body }),
      );
      if (res.status < 300 && 'delete' in target.query)
        await rawRequest(f.srv.endpoint, f.srv.creds, {
          method: 'PUT',
          path: `/${B}/${KNOWN.key}`,
          body: KNOWN.body,
        });
      if (res.status < 300 && target.path === '/fuzz-new-bucket')
        await rawRequest(f.srv.endpoint, f.srv.creds, { method: 'DELETE', path: '/fuzz-new-bucket' });
      const configured = target.path === `/${B}` && ('cors' in target.query || 'website' in target.query);
      if (res.status < 300 && configured) await stillServed();
    });
  });

  it('bucket policies: any JSON is judged cleanly and never grants another bucket', async () => {
    const str = fc.oneof(
      hostileText(300),
      fc.constantFrom(
        '*',
        's3:GetObject',
        's3:ListBucket',
        's3:*',
        `arn:aws:s3:::${B}/*`,
        `arn:aws:s3:::${B}`,
        `arn:aws:s3:::${CANARY_BUCKET}/*`,
        'arn:aws:s3:::*',
        'Allow',
        'Deny',
        '2012-10-17',
      ),
    );
    const value: fc.Arbitrary<unknown> = fc.oneof(
      str,
      fc.array(str, { maxLength: 3 }),
      fc.dictionary(str, str, { maxKeys: 2 }),
      fc.integer(),
      fc.constant(null),
    );
    const statement = fc.record(
      { Sid: value, Effect: value, Principal: value, Action: value, Resource: value, Condition: value },
      { requiredKeys: [] },
    );
    const resource = fc.oneof(
      fc.constantFrom(`arn:aws:s3:::${B}/*`, `arn:aws:s3:::${B}`, `arn:aws:s3:::${CANARY_BUCKET}/*`),
      hostileText(300).map((t) => `arn:aws:s3:::${B}/${t}`),
    );
    const principal = fc.constantFrom('"*"', '{"AWS":"*"}', '{"AWS":["*"]}');
    const publicRead = fc
      .tuple(
        fc.constantFrom('Allow', 'Deny'),
        principal,
        fc.constantFrom('"s3:GetObject"', '["s3:GetObject"]', '"s3:ListBucket"', '"s3:*"'),
        resource,
      )
      .map(
        ([effect, who, action, r]) =>
          `{"Effect":"${effect}","Principal":${who},"Action":${action},` +
          `"Resource":${JSON.stringify(wellFormed(r))}}`,
      )
      .map((statement) => `{"Version":"2012-10-17","Statement":[${statement}]}`);
    const policy = fc.oneof(
      { weight: 3, arbitrary: publicRead },
      fc
        .record(
          { Version: value, Statement: fc.oneof(fc.array(statement, { maxLength: 3 }), statement, value) },
          { requiredKeys: [] },
        )
        .map((p) => JSON.stringify(p)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      hostileText(20_000),
    );
    await fuzz('bucket policies', policy, 250, async (doc) => {
      const { res } = await f.sane('a bucket policy', () =>
        rawRequest(f.srv.endpoint, f.srv.creds, {
          method: 'PUT',
          path: `/${B}`,
          query: { policy: '' },
          body: wellFormed(doc),
        }),
      );
      if (res.status >= 300) return;
      await f.sane('GetBucketPolicy', () =>
        rawRequest(f.srv.endpoint, f.srv.creds, { path: `/${B}`, query: { policy: '' } }),
      );
      await f.sane('GetBucketPolicyStatus', () =>
        rawRequest(f.srv.endpoint, f.srv.creds, { path: `/${B}`, query: { policyStatus: '' } }),
      );
      await stillServed();
    });
  });
});
