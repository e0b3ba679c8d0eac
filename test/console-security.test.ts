/**
 * The console against a hostile customer or site: uploaded HTML served path-style cannot act as the
 * console (real Chromium), changing the login needs the current password and ends other sessions,
 * oversized chunked forms are refused, other sites cannot sign people out, junk form values change
 * nothing.
 */
import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  PutBucketAclCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { request } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSession } from './helpers/console.ts';
import { launchBrowser } from './helpers/browser.ts';
import { s3 } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let client: S3Client;
let browser: Browser;

beforeAll(async () => {
  srv = await startServer();
  client = s3(srv.endpoint, srv.creds);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await removeDir(srv.dataDir);
});

const session = () => consoleSession(srv);

const signedIn = async (cookie: string) =>
  (await fetch(`${srv.endpoint}/console`, { redirect: 'manual', headers: { cookie } })).status === 200;

/** A GET with an explicit Host header (virtual-hosted style). */
function headersWithHost(host: string, path: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: srv.port, path, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers));
    })
      .on('error', reject)
      .end();
  });
}

describe("a customer's HTML", () => {
  it("served path-style from the console's origin runs sandboxed: it cannot read the console or act in it", async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'pages' }));
    await client.send(new PutBucketAclCommand({ Bucket: 'pages', ACL: 'public-read' }));
    const evil = `<!doctype html><title>waiting</title><script>
      (async () => {
        let verdict;
        try {
          const html = await (await fetch('/console/keys', { credentials: 'include' })).text();
          verdict = /csrf-token/.test(html) ? 'read the console' : 'blocked';
        } catch { verdict = 'blocked'; }
        document.title = verdict + ' from ' + self.origin;
      })();
    </script>`;
    await client.send(
      new PutObjectCommand({ Bucket: 'pages', Key: 'evil.html', Body: evil, ContentType: 'text/html' }),
    );

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${srv.endpoint}/console`);
    await page.fill('#accessKeyId', srv.creds.accessKeyId);
    await page.fill('#secretAccessKey', srv.creds.secretAccessKey);
    await page.click('form:has(#accessKeyId) button[type=submit]');
    await page.waitForURL(`${srv.endpoint}/console`);

    await page.goto(`${srv.endpoint}/pages/evil.html`);
    await page.waitForFunction(() => document.title !== 'waiting');
    expect(await page.title()).toBe('blocked from null'); // it ran, in an opaque origin
    // and the customer's console session is untouched
    await page.goto(`${srv.endpoint}/console`);
    expect(page.url()).toBe(`${srv.endpoint}/console`);
    await context.close();

    // a virtual host is an origin of its own: served as it is
    const vhost = await headersWithHost(`pages.localhost:${srv.port}`, '/evil.html');
    expect(vhost['content-type']).toBe('text/html');
    expect(vhost['content-security-policy']).toBeUndefined();
  }, 60_000);
});

describe('the console login', () => {
  it('can be changed only with the current password (or root secret), and the change signs out other sessions', async () => {
    const a = await session();
    const b = await session();
    const setLogin = (s: { cookie: string; csrf: string }, fields: Record<string, string>) =>
      fetch(`${srv.endpoint}/console/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: s.cookie },
        body: new URLSearchParams({ _csrf: s.csrf, ...fields }),
      });

    // no login yet: the first one is set from any session; the other session is signed out
    expect((await setLogin(a, { email: 'owner@example.kz', password: 'first password' })).status).toBe(303);
    expect(await signedIn(a.cookie)).toBe(true);
    expect(await signedIn(b.cookie)).toBe(false);

    // with a login, a session alone is not enough
    const c = await session();
    const without = await setLogin(c, { email: 'thief@example.kz', password: 'stolen password' });
    expect(without.status).toBe(403);
    expect(await without.text()).toContain('login is unchanged');
    expect(
      (await setLogin(c, { email: 'thief@example.kz', password: 'stolen password', current: 'wrong guess!' }))
        .status,
    ).toBe(403);
    const signIn = (email: string, password: string) =>
      fetch(`${srv.endpoint}/console/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams({ email, password }),
      });
    expect((await signIn('thief@example.kz', 'stolen password')).status).not.toBe(303);

    // the current password, or the root user's secret, proves it
    expect(
      (
        await setLogin(c, {
          email: 'owner@example.kz',
          password: 'second password',
          current: 'first password',
        })
      ).status,
    ).toBe(303);
    expect(await signedIn(a.cookie)).toBe(false);
    expect(await signedIn(c.cookie)).toBe(true);
    expect((await signIn('owner@example.kz', 'second password')).status).toBe(303);
    expect(
      (
        await setLogin(c, {
          email: 'owner@example.kz',
          password: 'third password',
          current: srv.creds.secretAccessKey,
        })
      ).status,
    ).toBe(303);
    expect((await signIn('owner@example.kz', 'third password')).status).toBe(303);
  });
});

describe('requests the console refuses', () => {
  it('a chunked form past 1 MiB is refused while it arrives, and the server goes on serving', async () => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent >= 64 * 1024 * 1024) return ctl.close();
        sent += 64 * 1024;
        ctl.enqueue(new TextEncoder().encode('email='.padEnd(64 * 1024, 'a')));
      },
    });
    const res = await fetch(`${srv.endpoint}/console/sign-in`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    } as RequestInit).catch(() => null);
    if (res) {
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('larger than the console accepts');
    }
    expect(sent).toBeLessThan(64 * 1024 * 1024); // it stopped reading long before the end
    expect((await fetch(`${srv.endpoint}/console/sign-in`)).status).toBe(200);
  });

  it('a flood of sign-in attempts is answered (refused or told to slow down), and the owner still gets in', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        fetch(`${srv.endpoint}/console/sign-in`, {
          method: 'POST',
          redirect: 'manual',
          body: new URLSearchParams({ email: `guess${i}@example.kz`, password: 'not the password' }),
        }).then(async (r) => (await r.text(), r.status)),
      ),
    );
    for (const st of statuses) expect([403, 503]).toContain(st);
    await session();
  });

  it('another site cannot sign a customer out', async () => {
    const { cookie } = await session();
    const res = await fetch(`${srv.endpoint}/console/sign-out`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(res.status).toBe(403);
    expect(await signedIn(cookie)).toBe(true);
    expect(
      (
        await fetch(`${srv.endpoint}/console/sign-out`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie },
        })
      ).status,
    ).toBe(303);
    expect(await signedIn(cookie)).toBe(false);
  });

  it('removing a CORS rule that is not there says so and removes nothing', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'cors-junk' }));
    await client.send(
      new PutBucketCorsCommand({
        Bucket: 'cors-junk',
        CORSConfiguration: {
          CORSRules: [{ AllowedOrigins: ['https://a.example'], AllowedMethods: ['GET'] }],
        },
      }),
    );
    const { cookie, csrf } = await session();
    for (const removeRule of ['', 'first', '7', '-1']) {
      const res = await fetch(`${srv.endpoint}/console/buckets/cors-junk/settings/cors`, {
        method: 'POST',
        headers: { cookie },
        body: new URLSearchParams({ _csrf: csrf, removeRule }),
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('no longer there');
    }
    expect((await client.send(new GetBucketCorsCommand({ Bucket: 'cors-junk' }))).CORSRules).toHaveLength(1);
  });

  it('a Host header that is not a host gets an answer, not a server error', async () => {
    const { cookie } = await session();
    const status = await new Promise<number>((resolve, reject) => {
      request(
        {
          host: '127.0.0.1',
          port: srv.port,
          path: '/console/buckets',
          headers: { host: 'bad host^', cookie },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end();
    });
    expect(status).toBeLessThan(500);
  });
});
