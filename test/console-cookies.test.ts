/**
 * Cookie tossing against the console, in real Chromium. With the console on the parent domain of the
 * buckets' virtual hosts (QOIMA_DOMAINS=s3.example.test, console at s3.example.test), a customer's
 * public page at <bucket>.s3.example.test can set cookies for s3.example.test. It must not switch
 * another customer's console to the tosser's own service, over HTTPS or plain HTTP. And every console
 * cookie is sealed for where, and the one-minute cookies for whom, it was issued.
 */
import { CreateBucketCommand, PutBucketAclCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:tls';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './helpers/api.ts';
import { launchBrowser } from './helpers/browser.ts';
import { selfSignedCert } from './helpers/certs.ts';
import { hostRequest } from './helpers/http.ts';
import { s3 } from './helpers/s3.ts';
import { type Creds, type RunningServer, admin, removeDir, startServer, tempDir } from './helpers/server.ts';

const DOMAIN = 's3.example.test';
let srv: RunningServer;
let browser: Browser;
let certDir: string;
let tosser: Creds;

beforeAll(async () => {
  certDir = await tempDir('qoima-tls-');
  const tls = await selfSignedCert(certDir, [DOMAIN, `*.${DOMAIN}`]);
  srv = await startServer({
    env: {
      QOIMA_DOMAINS: DOMAIN,
      QOIMA_HTTPS_PORT: '0',
      QOIMA_TLS_CERT: tls.certificateFile,
      QOIMA_TLS_KEY: tls.privateKeyFile,
    },
  });
  await s3(srv.endpoint, srv.creds).send(new CreateBucketCommand({ Bucket: 'victim-files' }));
  tosser = JSON.parse(await admin(srv.dataDir, ['accounts', 'create', '--name', 'tosser', '--json']));
  const theirs = s3(srv.endpoint, tosser);
  await theirs.send(new CreateBucketCommand({ Bucket: 'tosser-files' }));
  await theirs.send(new CreateBucketCommand({ Bucket: 'tosser' }));
  await theirs.send(new PutBucketAclCommand({ Bucket: 'tosser', ACL: 'public-read' }));
  const resolve = `--host-resolver-rules=MAP *.${DOMAIN} 127.0.0.1, MAP ${DOMAIN} 127.0.0.1`;
  browser = await launchBrowser([resolve, '--ignore-certificate-errors']);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await removeDir(srv.dataDir);
  await removeDir(certDir);
});

/** Signs in at `origin` outside any browser, as the tosser would: the cookie it gets (name=value). */
function consoleCookie(origin: string, creds: Creds): Promise<string> {
  const url = new URL(origin);
  const body = new URLSearchParams({
    accessKeyId: creds.accessKeyId,
    secretAccessKey: creds.secretAccessKey,
  }).toString();
  const options = {
    host: '127.0.0.1',
    port: url.port,
    path: '/console/sign-in',
    method: 'POST',
    rejectUnauthorized: false,
    ...(url.protocol === 'https:' ? { servername: url.hostname } : {}),
    headers: {
      host: url.host,
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(body.length),
    },
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options, (res) => {
      res.resume();
      const cookie = res.headers['set-cookie']?.[0]?.split(';')[0];
      if (res.statusCode === 303 && cookie) resolve(cookie);
      else reject(new Error(`sign-in answered ${res.statusCode}`));
    });
    req.on('error', reject).end(body);
  });
}

/** Puts the tosser's public page: a script that sets each of `cookies` (document.cookie lines). */
async function tosserPage(cookies: string[]): Promise<void> {
  const lines = cookies.map((line) => `document.cookie = ${JSON.stringify(line)};`).join('\n');
  const html = `<!doctype html><title>tossing</title><script>\n${lines}\ndocument.title = 'tossed';\n</script>`;
  const put = new PutObjectCommand({
    Bucket: 'tosser',
    Key: 'index.html',
    Body: html,
    ContentType: 'text/html',
  });
  await s3(srv.endpoint, tosser).send(put);
}

async function signIn(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/console/sign-in`);
  await page.fill('#accessKeyId', srv.creds.accessKeyId);
  await page.fill('#secretAccessKey', srv.creds.secretAccessKey);
  await page.click('form:has(#accessKeyId) button[type=submit]');
  await page.waitForURL(`${origin}/console`);
}

/** The victim, signed in and looking at their buckets, visits the tosser's page at `tosserOrigin`. */
async function visitTosser(page: Page, origin: string, tosserOrigin: string): Promise<void> {
  await page.goto(`${origin}/console/buckets`);
  expect(await page.textContent('main')).toContain('victim-files');
  await page.goto(`${tosserOrigin}/index.html`);
  await page.waitForFunction(() => document.title === 'tossed');
}

/** What the console shows the victim next. */
async function bucketsPage(page: Page, origin: string): Promise<string> {
  await page.goto(`${origin}/console/buckets`);
  return (await page.textContent('body')) ?? '';
}

describe("a customer's page on a bucket's virtual host", () => {
  it("over HTTPS cannot set or shadow the console's __Host- session cookie", async () => {
    const origin = `https://${DOMAIN}:${srv.httpsPort}`;
    const theirs = await consoleCookie(origin, tosser);
    expect(theirs).toMatch(/^__Host-qoima_console=/);
    const value = theirs.slice(theirs.indexOf('=') + 1);
    await tosserPage([
      `${theirs}; domain=${DOMAIN}; path=/; secure`, // a __Host- cookie with a Domain: the browser refuses it
      // the plain name: not read over HTTPS
      `qoima_console=${value}; domain=${DOMAIN}; path=/console/; secure`,
      `=${theirs}; domain=${DOMAIN}; path=/; secure`, // a nameless cookie dressed as ours
    ]);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, origin);
    await visitTosser(page, origin, `https://tosser.${DOMAIN}:${srv.httpsPort}`);
    const names = (await context.cookies()).map((c) => `${c.name} ${c.domain}`);
    expect(names).toContain(`qoima_console .${DOMAIN}`); // the tosser's page did toss cookies
    expect(names).not.toContain(`__Host-qoima_console .${DOMAIN}`);
    const shown = await bucketsPage(page, origin);
    expect(shown).not.toContain('tosser-files');
    expect(page.url()).toBe(`${origin}/console/buckets`); // still signed in, as themselves
    expect(shown).toContain('victim-files');
    const session = (await context.cookies()).filter((c) => c.name === '__Host-qoima_console');
    expect(session).toEqual([
      expect.objectContaining({ domain: DOMAIN, path: '/', secure: true, httpOnly: true }),
    ]);
    await context.close();
  }, 60_000);

  it('over plain HTTP cannot switch the session: a tossed copy signs the victim out and is deleted with it', async () => {
    const origin = `http://${DOMAIN}:${srv.port}`;
    const theirs = await consoleCookie(origin, tosser);
    expect(theirs).toMatch(/^qoima_console=/);
    await tosserPage([
      `${theirs}; domain=${DOMAIN}; path=/console/`,
      `${theirs}; domain=${DOMAIN}; path=/console`,
    ]);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, origin);
    await visitTosser(page, origin, `http://tosser.${DOMAIN}:${srv.port}`);
    const tossed = async () =>
      (await context.cookies()).filter((c) => c.name === 'qoima_console' && c.domain !== DOMAIN);
    expect(await tossed()).toHaveLength(2);
    const shown = await bucketsPage(page, origin);
    expect(shown).not.toContain('tosser-files');
    expect(page.url()).toContain(`${origin}/console/sign-in`); // signed out, not switched
    expect(await tossed()).toEqual([]);
    // signing in again works, and stays
    await signIn(page, origin);
    await page.goto(`${origin}/console/buckets`);
    expect(await page.textContent('main')).toContain('victim-files');
    await context.close();
  }, 60_000);
});

describe("the service's own certificate (QOIMA_TLS_CERT / QOIMA_TLS_KEY)", () => {
  /** The certificate's name the server presents for `servername` (undefined: the client sends none). */
  const presented = (servername?: string) =>
    new Promise<string>((resolve, reject) => {
      const sock = connect(
        { host: '127.0.0.1', port: srv.httpsPort!, servername, rejectUnauthorized: false },
        () => {
          resolve(sock.getPeerCertificate().subject.CN as string);
          sock.end();
        },
      );
      sock.on('error', reject);
    });

  it("serves the console over HTTPS at an address and at any name no domain's certificate covers", async () => {
    expect(await presented()).toBe(DOMAIN);
    expect(await presented('console.elsewhere.test')).toBe(DOMAIN);
    const status = await new Promise<number>((resolve, reject) => {
      httpsRequest(
        { host: '127.0.0.1', port: srv.httpsPort!, path: '/console/sign-in', rejectUnauthorized: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);
  });
});

describe('console cookies are sealed for where and to whom they were issued', () => {
  it('a session cookie issued on another host is no session there', async () => {
    const cookie = await consoleCookie(srv.endpoint, srv.creds);
    const home = await hostRequest(srv.port, `127.0.0.1:${srv.port}`, '/console', { headers: { cookie } });
    expect(home.status).toBe(200);
    const elsewhere = await hostRequest(srv.port, `localhost:${srv.port}`, '/console', {
      headers: { cookie },
    });
    expect(elsewhere.status).toBe(303);
    expect(elsewhere.headers.location).toContain('/console/sign-in');
  });

  it('a key shown once to one customer is never shown to another who is handed its cookie', async () => {
    const signedIn = async (creds: Creds) => {
      const cookie = await consoleCookie(srv.endpoint, creds);
      const page = await (await fetch(`${srv.endpoint}/console/keys`, { headers: { cookie } })).text();
      return { cookie, csrf: /name="csrf-token" content="([^"]+)"/.exec(page)![1]! };
    };
    const them = await signedIn(tosser);
    const issue = await fetch(`${srv.endpoint}/console/keys`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: them.cookie },
      body: new URLSearchParams({
        _csrf: them.csrf,
        name: 'planted',
        bucket: 'tosser-files',
        actions: 'write',
      }),
    });
    expect(issue.status).toBe(303);
    const once = issue.headers
      .getSetCookie()
      .find((c) => c.startsWith('qoima_once_key='))!
      .split(';')[0]!;
    const { keys } = await (
      await api({ endpoint: srv.endpoint, creds: tosser }, 'GET', '/admin/keys')
    ).json();
    const planted = keys[0].keyId as string;

    const victim = await signedIn(srv.creds);
    const keysPage = async (cookie: string) =>
      (await fetch(`${srv.endpoint}/console/keys`, { headers: { cookie } })).text();
    expect(await keysPage(`${victim.cookie}; ${once}`)).not.toContain(planted);
    expect(await keysPage(`${them.cookie}; ${once}`)).toContain(planted); // the cookie itself was genuine
  });
});
