/**
 * The personal cabinet in real Chromium: a customer's whole journey (sign in, create a bucket, upload
 * 20 MiB with the progress bar reaching 100%, make the bucket public, open the public link, issue and
 * revoke a key, see the requests counted in usage), a new customer creating a service, and what the
 * console refuses. Screenshots of the main pages go to test/screenshots/.
 */
import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetBucketWebsiteCommand,
  GetObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './helpers/browser.ts';
import { selfSignedCert } from './helpers/certs.ts';
import { type FakeDns, startFakeDns } from './helpers/dns.ts';
import { api } from './helpers/api.ts';
import { randomBytes, s3 } from './helpers/s3.ts';
import { ROOT, type RunningServer, removeDir, startServer, tempDir } from './helpers/server.ts';

const SHOTS = join(ROOT, 'test/screenshots');
let srv: RunningServer;
let browser: Browser;
let files: string;
let dns: FakeDns;

beforeAll(async () => {
  dns = await startFakeDns();
  srv = await startServer({ env: { QOIMA_LOG_FLUSH_MS: '200', QOIMA_DNS_SERVERS: `127.0.0.1:${dns.port}` } });
  browser = await launchBrowser();
  files = await tempDir('qoima-console-files-');
  await mkdir(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await removeDir(srv.dataDir);
  await removeDir(files);
  dns?.close();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** Every form control has a name a screen reader can say. */
async function unlabelled(page: Page): Promise<string[]> {
  return page.$$eval('input:not([type=hidden]), select, textarea, button', (els) =>
    els
      .filter((el) => {
        const id = el.getAttribute('id');
        const labelled =
          (id && document.querySelector(`label[for="${id}"]`)) ||
          el.closest('label') ||
          el.getAttribute('aria-label') ||
          (el.tagName === 'BUTTON' && el.textContent!.trim());
        return !labelled;
      })
      .map((el) => el.outerHTML.slice(0, 80)),
  );
}

async function signIn(page: Page, creds: { accessKeyId: string; secretAccessKey: string }) {
  await page.goto(`${srv.endpoint}/console`);
  await page.fill('#accessKeyId', creds.accessKeyId);
  await page.fill('#secretAccessKey', creds.secretAccessKey);
  await page.click('form:has(#accessKeyId) button[type=submit]');
  await page.waitForURL(`${srv.endpoint}/console`);
}

describe('a customer in the console', () => {
  it('signs in, creates a bucket, uploads 20 MiB, makes it public, shares it, issues and revokes a key, sees usage', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));

    // sign in with the root user's keys
    await page.goto(`${srv.endpoint}/console`);
    expect(page.url()).toContain('/console/sign-in');
    await shot(page, '01-sign-in');
    expect(await unlabelled(page)).toEqual([]);
    await signIn(page, srv.creds);
    await expect(page.textContent('main')).resolves.toContain(
      srv.creds.accessKeyId.length ? 'Your service' : '',
    );
    await shot(page, '02-overview');

    // create a bucket: the page says the class is for good
    await page.click('nav >> text=Buckets');
    expect(await page.textContent('main')).toContain('The storage class cannot be changed later');
    await page.fill('#name', 'journey');
    await page.click('button:has-text("Create the bucket")');
    await page.waitForURL(/\/console\/buckets\/journey/);
    expect(await page.textContent('[role=status]')).toContain('The bucket is ready');
    expect(await unlabelled(page)).toEqual([]);

    // upload 20 MiB through the file picker: the progress bar reaches 100%
    const big = join(files, 'video.bin');
    const body = randomBytes(20 * 1024 * 1024);
    await writeFile(big, body);
    const seen: number[] = [];
    await page.exposeFunction('reportProgress', (v: number) => seen.push(v));
    await page.evaluate(() => {
      new MutationObserver(() =>
        document
          .querySelectorAll('#uploads progress')
          .forEach((p) =>
            (window as unknown as { reportProgress: (v: number) => void }).reportProgress(
              (p as HTMLProgressElement).value,
            ),
          ),
      ).observe(document.getElementById('uploads')!, {
        subtree: true,
        attributes: true,
        childList: true,
        characterData: true,
      });
    });
    await page.setInputFiles('#file-input', big);
    await page.waitForSelector('#uploads li[data-state=done]', { timeout: 60_000 });
    expect(await page.$eval('#uploads progress', (p) => (p as HTMLProgressElement).value)).toBe(100);
    expect(await page.textContent('#uploads li')).toContain('100% uploaded');
    await page.waitForSelector('#objects >> text=video.bin');
    expect(await page.textContent('#objects')).toContain('20 MiB');

    // and by drag and drop
    await page.evaluate(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['dropped on the page'], 'dropped.txt', { type: 'text/plain' }));
      document
        .getElementById('dropzone')!
        .dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await page.waitForSelector('#uploads li:nth-child(2)[data-state=done]');
    await page.waitForSelector('#objects >> text=dropped.txt');
    await shot(page, '03-bucket-uploaded');

    // what arrived is byte for byte what was sent
    const stored = await s3(srv.endpoint, srv.creds).send(
      new GetObjectCommand({ Bucket: 'journey', Key: 'video.bin' }),
    );
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(sha(await stored.Body!.transformToByteArray())).toBe(sha(body));

    // make the bucket public (after a confirmation) and open the public link from the object's page
    page.once('dialog', (d) => void d.accept());
    await page.click('button:has-text("Make public")');
    await page.waitForSelector('text=The access type was changed');
    await page.click('a:has-text("dropped.txt")');
    const publicLink = await page.getAttribute('tr:has-text("Public URL") button[data-copy]', 'data-copy');
    expect(publicLink).toBe(`${srv.endpoint}/journey/dropped.txt`);
    const viewer = await context.newPage();
    const opened = await viewer.goto(publicLink!);
    expect(opened!.status()).toBe(200);
    expect(await viewer.textContent('body')).toBe('dropped on the page');
    await viewer.close();

    // a presigned link with a chosen expiry
    await page.goto(`${srv.endpoint}/console/buckets/journey/object?key=video.bin`);
    await page.selectOption('#expires', '3600');
    await page.click('button:has-text("Create link")');
    const shared = await page.getAttribute('[role=status] button[data-copy]', 'data-copy');
    expect(shared).toContain('X-Amz-Expires=3600');
    expect((await fetch(shared!)).headers.get('content-length')).toBe(String(20 * 1024 * 1024));
    await page.goto(`${srv.endpoint}/console/buckets/journey`);
    await shot(page, '04-bucket-public');

    // settings page renders and is labelled
    await page.click('text=Settings, domains, CORS');
    expect(await unlabelled(page)).toEqual([]);
    await shot(page, '05-bucket-settings');

    // issue a key for this bucket: its secret is shown once and works
    await page.click('nav >> text=Access keys');
    await page.fill('#key-name', 'journey reader');
    await page.selectOption('#key-bucket', 'journey');
    await page.click('button:has-text("Issue the key")');
    const [keyId, secret] = await page.$$eval('[role=alert] .secret-box code', (els) => [
      els[1]!.textContent!,
      els[2]!.textContent!,
    ]);
    const reader = s3(srv.endpoint, { accessKeyId: keyId!, secretAccessKey: secret! });
    expect((await reader.send(new ListObjectsV2Command({ Bucket: 'journey' }))).KeyCount).toBe(2);
    await shot(page, '06-keys');
    await page.reload();
    expect(await page.textContent('main')).not.toContain(secret!); // only once
    // revoke it: refused at once
    page.once('dialog', (d) => void d.accept());
    await page.click('tr:has-text("journey reader") button:has-text("Revoke")');
    await page.waitForSelector('text=The key was revoked');
    expect(((await (await api(srv, 'GET', '/admin/keys')).json()) as { keys: unknown[] }).keys).toHaveLength(
      1,
    ); // a reload issued nothing
    await expect(reader.send(new ListObjectsV2Command({ Bucket: 'journey' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });

    // usage counts the requests, the public download among them
    await page.click('nav >> text=Usage & billing');
    const before = Number((await page.textContent('#requests-total strong'))!.replace(/,/g, ''));
    expect(before).toBeGreaterThan(0);
    await fetch(publicLink!);
    await new Promise((r) => setTimeout(r, 600));
    await page.reload();
    const after = Number((await page.textContent('#requests-total strong'))!.replace(/,/g, ''));
    expect(after).toBeGreaterThan(before);
    expect(await page.$$('svg.chart')).toHaveLength(3);
    expect(await page.textContent('main')).toContain('Estimate for');
    expect(await page.textContent('main')).toContain('Availability in');
    await shot(page, '07-usage');

    // phone-sized: nothing wider than the screen
    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of [
      '/console',
      '/console/buckets',
      '/console/buckets/journey',
      '/console/keys',
      '/console/usage',
    ]) {
      await page.goto(`${srv.endpoint}${path}`);
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1),
        path,
      ).toBe(true);
    }
    await shot(page, '08-usage-phone');
    await page.goto(`${srv.endpoint}/console/buckets/journey`);
    await shot(page, '09-bucket-phone');

    // keyboard: the first Tab reaches the skip link, which leads to the content
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');

    // sign out: the old cookie no longer works
    const cookie = (await context.cookies()).find((c) => c.name === 'qoima_console')!;
    await page.click('button:has-text("Sign out")');
    await page.waitForURL(/sign-in/);
    const replay = await fetch(`${srv.endpoint}/console/buckets`, {
      headers: { cookie: `qoima_console=${cookie.value}` },
      redirect: 'manual',
    });
    expect(replay.status).toBe(303);
    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);
});

describe('bucket settings in the console', () => {
  it('sets a website and CORS rules, attaches and verifies a domain, attaches its certificate', async () => {
    await s3(srv.endpoint, srv.creds).send(new CreateBucketCommand({ Bucket: 'site' }));
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, srv.creds);
    await page.goto(`${srv.endpoint}/console/buckets/site/settings`);

    await page.fill('#indexDocument', 'index.html');
    await page.fill('#errorDocument', '404.html');
    await page.click('button:has-text("Save website settings")');
    // saved, and the page says the private bucket's website answers 403 (and where it is)
    await page.waitForSelector('text=visitors get 403 Forbidden until you make it public');
    expect(await page.textContent('#website-state')).toContain('http://site.web.localhost:');
    const website = await s3(srv.endpoint, srv.creds).send(new GetBucketWebsiteCommand({ Bucket: 'site' }));
    expect(website).toMatchObject({
      IndexDocument: { Suffix: 'index.html' },
      ErrorDocument: { Key: '404.html' },
    });

    await page.fill('#origins', 'https://app.example.kz');
    await page.check('input[name=methods][value=PUT]');
    await page.click('button:has-text("Add the rule")');
    await page.waitForSelector('text=The CORS rules were saved.');
    const cors = await s3(srv.endpoint, srv.creds).send(new GetBucketCorsCommand({ Bucket: 'site' }));
    expect(cors.CORSRules).toEqual([
      expect.objectContaining({
        AllowedOrigins: ['https://app.example.kz'],
        AllowedMethods: ['GET', 'HEAD', 'PUT'],
      }),
    ]);

    await page.fill('#hostname', 'files.example.kz');
    await page.click('button:has-text("Attach")');
    await page.waitForSelector('text=publish the TXT record');
    const [txtName, txtValue] = await page.$$eval('.secret-box code', (els) =>
      els.map((e) => e.textContent!),
    );
    expect(txtName).toBe('_qoima-challenge.files.example.kz');
    await page.click('button:has-text("Verify now")');
    expect(await page.textContent('[role=alert]')).toMatch(/TXT/); // not published yet: said in words
    dns.txt.set(txtName!, [txtValue!]);
    await page.click('button:has-text("Verify now")');
    await page.waitForSelector('text=The domain is verified');

    const certDir = await tempDir('qoima-console-cert-');
    const pem = await selfSignedCert(certDir, ['files.example.kz']);
    await page.click('summary:has-text("Attach a certificate")');
    await page.fill('textarea[name=certificatePem]', pem.certificatePem);
    await page.fill('textarea[name=privateKeyPem]', pem.privateKeyPem);
    await page.click('button:has-text("Attach the certificate")');
    await page.waitForSelector('text=The certificate was attached');
    expect(await page.textContent('main')).toMatch(/(29|30) days left/);
    await shot(page, '11-settings-domain');
    await removeDir(certDir);
    await context.close();
  }, 120_000);
});

describe('a new customer', () => {
  it('creates a service: the root keys are shown once and work; signs in by e-mail; sees the trial; deletes the service', async () => {
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
  async function session(): Promise<{ cookie: string; csrf: string }> {
    const res = await fetch(`${srv.endpoint}/console/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ ...srv.creds }),
    });
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (await fetch(`${srv.endpoint}/console/buckets`, { headers: { cookie } })).text();
    return { cookie, csrf: /name="csrf-token" content="([^"]+)"/.exec(page)![1]! };
  }

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
