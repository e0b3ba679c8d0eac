/**
 * Fuzzing browser upload forms (fields, the file part's headers, the multipart framing, POST policy
 * documents) and the console's forms (e-mails and passwords, every settings form), seeded (see
 * test/helpers/fuzz.ts). For every case: a sane answer, no event-loop stall, whatever a form stored
 * can be read back, and the other account's object is untouched.
 */
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { multipart, uploadForm } from './helpers/forms.ts';
import { encodedPiece, fuzz, hostileText, tokenText } from './helpers/fuzz.ts';
import { CANARY_BUCKET, type FuzzServer, startFuzzServer } from './helpers/fuzz-server.ts';
import { rawRequest, wellFormed } from './helpers/raw-http.ts';

const B = 'fuzz-forms';
let f: FuzzServer;
let n = 0;

beforeAll(async () => {
  f = await startFuzzServer([B]);
});
afterAll(() => f?.stop());

/** Every object under `prefix` answers GET and HEAD with 200. */
async function readsBack(prefix: string): Promise<number> {
  const list = await rawRequest(f.srv.endpoint, f.srv.creds, {
    path: `/${B}`,
    query: { 'list-type': '2', prefix, 'encoding-type': 'url' },
  });
  const keys = [...(await list.text()).matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) =>
    decodeURIComponent(m[1]!.replace(/\+/g, ' ')),
  );
  for (const key of keys) {
    const path = `/${B}/${key.split('/').map(encodedPiece).join('/')}`;
    for (const method of ['GET', 'HEAD']) {
      const res = await rawRequest(f.srv.endpoint, f.srv.creds, { method, path });
      expect(res.status, `${method} of ${JSON.stringify(key)}, stored by a form`).toBe(200);
    }
  }
  return keys.length;
}

const FIELD_NAMES = [
  'Content-Type',
  'Cache-Control',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'Expires',
  'success_action_status',
  'success_action_redirect',
  'redirect',
  'acl',
  'x-amz-storage-class',
  'x-amz-meta-a',
  'x-amz-tagging',
  'x-amz-server-side-encryption',
  'x-amz-website-redirect-location',
  'x-ignore-me',
  'bucket',
  'key',
];
const fieldName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FIELD_NAMES) },
  tokenText.map((t) => `x-amz-meta-${t}`),
  hostileText(60).map((t) => `x-amz-meta-${t}`),
);

/** The file part's header lines: a Content-Type, maybe junk lines and parameters. */
const partHeaders = fc.array(
  fc.oneof(
    hostileText(2000).map((v) => `Content-Type: ${v}`),
    hostileText(300).map((v) => `X-Junk: ${v}`),
    hostileText(300),
  ),
  { maxLength: 3 },
);

describe('fuzz: browser upload forms', () => {
  it('fields and the file part: sane answers, and whatever is stored can be served', async () => {
    const arb = fc.record({
      fields: fc.array(fc.tuple(fieldName, hostileText(2000)), { maxLength: 4 }),
      key: fc.oneof(
        fc.constant('${filename}'),
        hostileText(300),
        hostileText(40).map((t) => `${t}\${filename}${t}`),
      ),
      filename: hostileText(400),
      headers: partHeaders,
    });
    await fuzz('form fields', arb, 250, async ({ fields, key, filename, headers }) => {
      const prefix = `f${n++}/`;
      const made = await f.sane('asking for a form with hostile fields', () =>
        api(f.srv, 'POST', `/admin/buckets/${B}/presigned-post`, {
          key: prefix + wellFormed(key),
          fields: Object.fromEntries(fields.map(([k, v]) => [wellFormed(k), wellFormed(v)])),
        }),
      );
      if (made.res.status !== 200) return;
      const form = JSON.parse(made.body) as { url: string; fields: Record<string, string> };
      const { body, contentType } = multipart(Object.entries(form.fields), {
        filename: wellFormed(filename).replace(/[\r\n"]/g, ''),
        headers,
        content: `case ${n}`,
      });
      await f.sane('posting a form with hostile fields', () =>
        fetch(form.url, {
          method: 'POST',
          body: body as BodyInit,
          headers: { 'content-type': contentType },
          redirect: 'manual',
        }),
      );
      await readsBack(prefix);
    });
  });

  it('the multipart framing itself: truncated, re-bounded and mangled bodies', async () => {
    const form = await uploadForm(f.srv, B, { keyPrefix: 'framing/' });
    const { body } = multipart(Object.entries(form.fields), { filename: 'a.txt' });
    const text = new TextDecoder().decode(body);
    const arb = fc.record({
      cut: fc.integer({ min: 0, max: text.length }),
      insertAt: fc.integer({ min: 0, max: text.length }),
      insert: hostileText(20_000),
      boundary: fc.oneof(fc.constant('qoimaFormBoundary7MA4YWxk'), hostileText(200)),
      type: fc.constantFrom(
        'multipart/form-data; boundary=',
        'multipart/form-data; boundary="',
        'multipart/form-data;boundary=',
        'multipart/form-data; charset=x; boundary=',
      ),
    });
    await fuzz('form framing', arb, 250, async ({ cut, insertAt, insert, boundary, type }) => {
      const mangled = (text.slice(0, insertAt) + insert + text.slice(insertAt)).slice(
        0,
        insertAt + insert.length + (cut % (text.length - insertAt + 1)),
      );
      const header = `${type}${boundary}`.replace(/[^\t\x20-\x7e]/g, '');
      await f.sane('a mangled multipart body', () =>
        fetch(form.url, {
          method: 'POST',
          body: mangled,
          headers: { 'content-type': header },
          redirect: 'manual',
        }),
      );
      await readsBack('framing/');
    });
  });

  it('POST policy documents: any JSON, signed with a real key, is judged cleanly', async () => {
    const date = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const credential = `${f.srv.creds.accessKeyId}/${date.slice(0, 8)}/us-east-1/s3/aws4_request`;
    const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
    const signingKey = hmac(
      hmac(hmac(hmac(`AWS4${f.srv.creds.secretAccessKey}`, date.slice(0, 8)), 'us-east-1'), 's3'),
      'aws4_request',
    );
    const value = fc.oneof(hostileText(500), fc.integer(), fc.double(), fc.constant(null), fc.boolean());
    const condition = fc.oneof(
      fc.tuple(
        fc.constantFrom('eq', 'starts-with', 'content-length-range', 'EQ', 'other'),
        fc.oneof(fc.constantFrom('$key', '$Content-Type', '$bucket', '$x-amz-meta-a'), value),
        value,
      ),
      fc.dictionary(fc.oneof(fc.constantFrom('bucket', 'key', 'acl'), hostileText(40)), value, {
        maxKeys: 3,
      }),
      value,
      fc.array(value, { maxLength: 5 }),
    );
    const policy = fc.oneof(
      fc.record({
        expiration: fc.oneof(
          fc.constant(new Date(Date.now() + 3600_000).toISOString()),
          hostileText(60),
          value,
        ),
        conditions: fc.oneof(fc.array(condition, { maxLength: 8 }), value),
      }),
      fc.jsonValue(),
    );
    await fuzz(
      'policy documents',
      fc.tuple(policy, fc.array(fc.tuple(fieldName, hostileText(300)), { maxLength: 3 })),
      250,
      async ([doc, extra]) => {
        const policyB64 = Buffer.from(JSON.stringify(doc) ?? 'null').toString('base64');
        const fields: [string, string][] = [
          ['key', `policy/${n++}`],
          ['x-amz-algorithm', 'AWS4-HMAC-SHA256'],
          ['x-amz-credential', credential],
          ['x-amz-date', date],
          ['policy', policyB64],
          ['x-amz-signature', hmac(signingKey, policyB64).toString('hex')],
          ...extra.map(([k, v]): [string, string] => [k, wellFormed(v)]),
        ];
        const { body, contentType } = multipart(fields, { filename: 'p.txt' });
        await f.sane('a form with a hostile policy', () =>
          fetch(`${f.srv.endpoint}/${B}`, {
            method: 'POST',
            body: body as BodyInit,
            headers: { 'content-type': contentType },
            redirect: 'manual',
          }),
        );
        await readsBack('policy/');
      },
    );
  });
});

describe('fuzz: the console', () => {
  it('e-mails and passwords on sign-up and sign-in', async () => {
    // (up to 100 000 characters: even at 9 bytes each when urlencoded, the form stays under the console's 1
    // MiB,
    // past which the server stops reading and closes the connection)
    const email = fc.oneof(
      hostileText(100_000),
      fc.tuple(hostileText(100), hostileText(100)).map(([a, b]) => `${a}@${b}.kz`),
    );
    await fuzz(
      'e-mails and passwords',
      fc.tuple(fc.constantFrom('sign-up', 'sign-in'), email, hostileText(2000), hostileText(200)),
      120,
      async ([page, address, password, name]) => {
        const form = new URLSearchParams({
          name: wellFormed(name),
          email: wellFormed(address),
          password: wellFormed(password),
        });
        const { res } = await f.sane(`${page} with a hostile e-mail`, () =>
          fetch(`${f.srv.endpoint}/console/${page}`, { method: 'POST', body: form, redirect: 'manual' }),
        );
        expect(res.status === 303 || res.status >= 400, `${page} answered ${res.status}`).toBe(true);
      },
    );
  });

  it('every settings form of a signed-in user', async () => {
    const signIn = await fetch(`${f.srv.endpoint}/console/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ ...f.srv.creds }),
    });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(
      await (await fetch(`${f.srv.endpoint}/console`, { headers: { cookie } })).text(),
    )![1]!;
    const ROUTES = [
      '/buckets',
      '/buckets/{b}/settings/website',
      '/buckets/{b}/settings/cors',
      '/buckets/{b}/settings/domains',
      '/buckets/{b}/settings/domains/remove',
      '/buckets/{b}/settings/domains/certificate',
      '/keys',
      '/keys/{x}/revoke',
      '/buckets/{b}/access',
      '/buckets/{b}/share',
      '/buckets/{b}/delete-object',
      '/buckets/{b}/delete-selected',
      '/buckets/{b}/empty',
      '/buckets/{b}/folder',
      '/buckets/{b}/settings/delete',
    ];
    const FIELDS = [
      'name',
      'storageClass',
      'accessType',
      'indexDocument',
      'errorDocument',
      'origins',
      'methods',
      'headers',
      'maxAge',
      'removeRule',
      'remove',
      'hostname',
      'certificatePem',
      'privateKeyPem',
      'bucket',
      'prefix',
      'actions',
      'lifetime',
      'back',
      'expires',
      'key',
      'key:0',
      'folder:0',
      'folder',
      'confirm',
    ];
    const arb = fc.tuple(
      fc.constantFrom(...ROUTES),
      fc.constantFrom(B, CANARY_BUCKET, 'no-such-bucket-x', 'console-fuzz'),
      hostileText(60),
      fc.array(fc.tuple(fc.constantFrom(...FIELDS), hostileText(20_000)), { maxLength: 5 }),
    );
    await fuzz('console forms', arb, 250, async ([route, bucket, id, fields]) => {
      const path = route
        .replace('{b}', encodeURIComponent(bucket))
        .replace('{x}', encodeURIComponent(wellFormed(id)));
      const form = new URLSearchParams([
        ['_csrf', csrf],
        ...fields.map(([k, v]): [string, string] => [k, wellFormed(v)]),
      ]);
      await f.sane(`console POST ${route}`, () =>
        fetch(`${f.srv.endpoint}/console${path}`, {
          method: 'POST',
          body: form,
          headers: { cookie },
          redirect: 'manual',
        }),
      );
    });
  });
});
