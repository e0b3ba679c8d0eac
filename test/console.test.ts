/**
 * The personal cabinet in real Chromium: a customer's whole journey (sign in, create a bucket, upload
 * 20 MiB with the progress bar reaching 100%, make the bucket public, open the public link, issue and
 * revoke a key, see the requests counted in usage) and a bucket's settings (website, CORS, a domain and
 * its certificate). A new customer and what the console refuses: console-signup-refusals.test.ts.
 * Screenshots of the main pages go to test/screenshots/.
 */
import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetBucketWebsiteCommand,
  GetObjectCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, shot } from './helpers/browser.ts';
import { selfSignedCert } from './helpers/certs.ts';
import { type FakeDns, startFakeDns } from './helpers/dns.ts';
import { api } from './helpers/api.ts';
import { randomBytes, s3 } from './helpers/s3.ts';
import { type RunningServer, removeDir, startServer, tempDir } from './helpers/server.ts';

let srv: RunningServer;
let browser: Browser;
let files: string;
let dns: FakeDns;

beforeAll(async () => {
  dns = await startFakeDns();
  srv = await startServer({ env: { QOIMA_LOG_FLUSH_MS: '200', QOIMA_DNS_SERVERS: `127.0.0.1:${dns.port}` } });
  browser = await launchBrowser();
  files = await tempDir('qoima-console-files-');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await removeDir(srv.dataDir);
  await removeDir(files);
  dns?.close();
});

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
