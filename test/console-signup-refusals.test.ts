/**
 * The console for a new customer and against misuse: creating a service in real Chromium (the root keys
 * shown once and working, signing in by e-mail, the trial, deleting the service), and what the console
 * refuses (forms without the CSRF token or from another site, bad input, forged cookies, sign-up when it
 * is turned off). The customer journey and bucket settings: console.test.ts.
 */
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSession } from './helpers/console.ts';
import { launchBrowser, shot } from './helpers/browser.ts';
import { s3, serverPerFile } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

let srv: RunningServer;
let browser: Browser;

// the root user's bucket the customer journey (console.test.ts) makes: another customer's bucket to the
// new customer, and a name already taken to the refusals
serverPerFile(['journey'], (s) => ({ srv } = s));

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('a new customer', () => {
  it('creates a service: the root keys are shown once and work; signs in by e-mail; ' +
    'sees the trial; deletes the service', async () => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${srv.endpoint}/console/sign-in`);
    await page.click('text=Create your service');
    await page.fill('#name', 'Aigerim photo site');
    await page.fill('#email', 'aigerim@example.kz');
    await page.fill('#password', 'correct horse battery');
    await page.click('button:has-text("Create the service")');
    await page.waitForURL(/\/console\/welcome/);
    await shot(page, '10-service-created');
    const [endpoint, keyId, secret] = await page.$$eval('.secret-box code', (els) =>
      els.map((e) => e.textContent!),
    );
    expect(endpoint).toBe(srv.endpoint);
    expect(await page.$$('button[data-copy]')).toHaveLength(3);
    const root = s3(srv.endpoint, { accessKeyId: keyId!, secretAccessKey: secret! });
    await root.send(new CreateBucketCommand({ Bucket: 'aigerim-photos' }));
    expect(
      (await root.send(new ListObjectsV2Command({ Bucket: 'journey' })).catch((e) => e)).$metadata
        .httpStatusCode,
    ).toBe(403); // another customer's bucket
    await page.reload(); // shown once: a reload shows them no more
    expect(await page.textContent('body')).not.toContain(secret!);

    // the trial and what follows it
    await page.goto(`${srv.endpoint}/console`);
    expect(await page.textContent('main')).toMatch(/Active\s*until/);
    expect(await page.textContent('main')).toContain('billed');

    // sign out, then in again with the e-mail; a wrong password is refused in words
    await page.click('button:has-text("Sign out")');
    await page.fill('#email', 'aigerim@example.kz');
    await page.fill('#password', 'wrong password!');
    await page.click('form:has(#email) button[type=submit]');
    expect(await page.textContent('[role=alert]')).toContain('That e-mail and password do not match.');
    await page.fill('#password', 'correct horse battery');
    await page.click('form:has(#email) button[type=submit]');
    await page.waitForURL(`${srv.endpoint}/console`);

    // the same e-mail cannot make a second service
    const again = await fetch(`${srv.endpoint}/console/sign-up`, {
      method: 'POST',
      body: new URLSearchParams({ name: 'x', email: 'aigerim@example.kz', password: 'another password' }),
    });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already signs in');

    // delete the service: the id must be typed
    await page.fill('#confirm', 'not the id');
    page.on('dialog', (d) => void d.accept());
    await page.click('button:has-text("Delete the service")');
    expect(await page.textContent('[role=alert]')).toContain('does not match; nothing was deleted');
    const serviceId = (await page.textContent('main code'))!;
    await page.fill('#confirm', serviceId);
    await page.click('button:has-text("Delete the service")');
    await page.waitForURL(/sign-in\?done=service-deleted/);
    await expect(root.send(new ListObjectsV2Command({ Bucket: 'anything' }))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
    });
    await context.close();
  }, 120_000);
});

describe('what the console refuses', () => {
  const session = () => consoleSession(srv);

  it('a form without the CSRF token, or sent from another site, changes nothing', async () => {
    const { cookie, csrf } = await session();
    const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${srv.endpoint}/console/buckets`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, ...headers },
        body: new URLSearchParams(body),
      });
    expect((await post({ name: 'csrf-one' })).status).toBe(403);
    expect((await post({ name: 'csrf-two', _csrf: csrf }, { origin: 'https://evil.example' })).status).toBe(
      403,
    );
    expect((await post({ name: 'csrf-three', _csrf: csrf }, { 'sec-fetch-site': 'cross-site' })).status).toBe(
      403,
    );
    const list = await (await fetch(`${srv.endpoint}/console/buckets`, { headers: { cookie } })).text();
    for (const name of ['csrf-one', 'csrf-two', 'csrf-three']) expect(list).not.toContain(name);
    expect((await post({ name: 'csrf-ok', _csrf: csrf })).status).toBe(303);
  });

  it('bad input is answered in words on the page, with the status S3 would use', async () => {
    const { cookie, csrf } = await session();
    const res = await fetch(`${srv.endpoint}/console/buckets`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({ name: 'Bad_Name', _csrf: csrf }),
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('role="alert"');
    expect(html).toMatch(/bucket name/i);
    expect(html).toContain('value="Bad_Name"'); // what was typed stays
    const taken = await fetch(`${srv.endpoint}/console/buckets`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({ name: 'journey', _csrf: csrf }),
    });
    expect(taken.status).toBe(409);
    const missing = await fetch(`${srv.endpoint}/console/buckets/no-such-bucket`, { headers: { cookie } });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('does not exist');
  });

  it('a forged or foreign cookie is no session', async () => {
    const res = await fetch(`${srv.endpoint}/console/keys`, {
      redirect: 'manual',
      headers: { cookie: 'qoima_console=v1.AAAA.BBBB' },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain('/console/sign-in');
  });

  it('with sign-up turned off, only the operator creates services', async () => {
    const closed = await startServer({ env: { QOIMA_CONSOLE_SIGNUP: '0' } });
    try {
      expect(await (await fetch(`${closed.endpoint}/console/sign-in`)).text()).not.toContain(
        'Create your service',
      );
      const res = await fetch(`${closed.endpoint}/console/sign-up`, {
        method: 'POST',
        body: new URLSearchParams({ name: 'x', email: 'x@example.kz', password: 'long enough pw' }),
      });
      expect(res.status).toBe(403);
    } finally {
      await closed.stop();
      await removeDir(closed.dataDir);
    }
  });
});
