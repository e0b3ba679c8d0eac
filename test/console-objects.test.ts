/**
 * Managing many objects and seeing one, in real Chromium (desktop 1280×800 and phone 390×844): a
 * 200-object bucket emptied in a few clicks, bulk delete, folders made and deleted, search and paging,
 * an image previewed with its metadata, and uploads that ask before replacing a file and are told the
 * quota before they start (refusals decoded, a Retry, a question before leaving mid-upload).
 * Screenshots go to test/screenshots/h18-*.png. The access log: console-access-log.test.ts.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { account } from './helpers/accounts.ts';
import { api } from './helpers/api.ts';
import { PHONE, fill, consolePerFile, shot } from './helpers/console-browser.ts';
import { type RunningServer, removeDir, tempDir } from './helpers/server.ts';

let srv: RunningServer;
let files: string;
const { signedIn } = consolePerFile((s) => (srv = s));

beforeAll(async () => {
  files = await tempDir('qoima-console-objects-');
});

afterAll(async () => {
  await removeDir(files);
});

const keysIn = async (client: S3Client, bucket: string) =>
  (await client.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount ?? 0;

describe('many objects', () => {
  it('empties a 200-object bucket in a few clicks, after paging, searching and deleting a selection and a folder', async () => {
    const a = await account(srv.endpoint);
    const keys = [
      ...Array.from({ length: 205 }, (_, i) => `file-${String(i).padStart(3, '0')}.txt`),
      ...Array.from({ length: 5 }, (_, i) => `photos/p${i}.jpg`),
    ];
    await fill(a.client, 'h18-many', keys);
    const page = await signedIn(a);
    await page.goto(`${srv.endpoint}/console/buckets/h18-many`);

    // paging: Next, then Previous back to the first page
    expect(await page.locator('table.objects tbody tr').count()).toBe(200);
    await page.click('a:has-text("Next page")');
    await page.waitForSelector('text=file-204.txt');
    expect(await page.textContent('#objects')).not.toContain('file-000.txt');
    await page.click('a:has-text("Previous page")');
    await page.waitForSelector('text=file-000.txt');
    expect(await page.locator('a:has-text("Previous page")').count()).toBe(0);

    // search by the start of a name, sort by size
    await page.fill('#search', 'file-01');
    await page.click('button:has-text("Search")');
    await page.waitForURL(/search=file-01/);
    expect(await page.locator('table.objects tbody tr').count()).toBe(10);
    await shot(page, 'bucket-search');

    // select two and delete them
    page.on('dialog', (d) => void d.accept());
    await page.check('input[aria-label="Select file-010.txt"]');
    await page.check('input[aria-label="Select file-011.txt"]');
    expect(await page.textContent('#selected-count')).toBe('2 selected');
    await page.click('#delete-selected');
    await page.waitForSelector('text=2 objects were deleted.');
    expect(await keysIn(a.client, 'h18-many')).toBe(208);

    // a folder, deleted with everything in it
    await page.goto(`${srv.endpoint}/console/buckets/h18-many`);
    await page.click('a:has-text("Next page")');
    await page.check('input[aria-label="Select folder photos/"]');
    await page.click('#delete-selected');
    await page.waitForSelector('text=5 objects were deleted.');

    // select all on a page
    await page.goto(`${srv.endpoint}/console/buckets/h18-many`);
    await page.check('#select-all');
    expect(await page.textContent('#selected-count')).toBe('200 selected');
    await shot(page, 'bucket-selected');

    // empty the bucket: the wrong name is refused, the right one deletes everything
    await page.click('summary:has-text("Empty bucket")');
    await page.fill('#confirm-empty', 'wrong');
    await page.click('button.danger:has-text("Empty bucket")');
    await page.waitForSelector('text=to confirm emptying it');
    await page.click('summary:has-text("Empty bucket")');
    await page.fill('#confirm-empty', 'h18-many');
    await page.click('button.danger:has-text("Empty bucket")');
    await page.waitForSelector('text=The bucket is empty: 203 objects were deleted.');
    expect(await keysIn(a.client, 'h18-many')).toBe(0);
    expect(await page.textContent('#objects')).toContain('This bucket is empty.');
    await page.context().close();
  }, 180_000);

  it('creates a folder from the page and uploads a folder into it', async () => {
    const a = await account(srv.endpoint);
    await a.client.send(new CreateBucketCommand({ Bucket: 'h18-folders' }));
    const page = await signedIn(a);
    await page.goto(`${srv.endpoint}/console/buckets/h18-folders`);
    await page.fill('#folder-name', 'reports');
    await page.click('button:has-text("Create folder")');
    await page.waitForURL(/prefix=reports%2F/);
    await page.goto(`${srv.endpoint}/console/buckets/h18-folders`);
    await page.waitForSelector('a:has-text("reports/")'); // it stays: a marker object
    await page.click('a:has-text("reports/")');
    const dir = join(files, 'q1');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'jan.csv'), 'a,b\n');
    await writeFile(join(dir, 'feb.csv'), 'c,d\n');
    await page.setInputFiles('#folder-input', dir);
    await page.waitForSelector('#uploads li:nth-child(2)[data-state=done]');
    const listed = await a.client.send(new ListObjectsV2Command({ Bucket: 'h18-folders' }));
    expect(listed.Contents!.map((o) => o.Key).sort()).toEqual([
      'reports/',
      'reports/q1/feb.csv',
      'reports/q1/jan.csv',
    ]);
    await page.context().close();
  }, 60_000);
});

describe('one object', () => {
  it('previews an image with its metadata and links; a link survives a reload without a resend', async () => {
    const a = await account(srv.endpoint);
    await a.client.send(new CreateBucketCommand({ Bucket: 'h18-pics' }));
    // a 2×2 PNG
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAFklEQVR4nGP4z8DwHwyBNAMDAwMDAwA/rAf5OKkrrAAAAABJRU5ErkJggg==',
      'base64',
    );
    await a.client.send(
      new PutObjectCommand({
        Bucket: 'h18-pics',
        Key: 'cat.png',
        Body: png,
        ContentType: 'image/png',
        CacheControl: 'max-age=60',
      }),
    );
    const page = await signedIn(a);
    await page.goto(`${srv.endpoint}/console/buckets/h18-pics`);
    await page.click('a:has-text("cat.png")');
    await page.waitForURL(/\/object\?key=cat.png/);
    const loaded = await page.waitForFunction(() => {
      const img = document.querySelector('img.preview') as HTMLImageElement | null;
      return img && img.complete && img.naturalWidth === 2;
    });
    expect(await loaded.jsonValue()).toBe(true);
    const meta = await page.textContent('table.meta');
    expect(meta).toContain('image/png');
    expect(meta).toContain('max-age=60');
    expect(meta).toContain('STANDARD');
    expect(meta).toMatch(/[0-9a-f]{32}/);
    await shot(page, 'object-details');

    // a presigned link: created, then a reload signs a fresh one rather than sending the form again
    await page.selectOption('#expires', '3600');
    await page.click('button:has-text("Create link")');
    await page.waitForURL(/link=3600/);
    const link = await page.getAttribute('[role=status] button[data-copy]', 'data-copy');
    expect(link).toContain('X-Amz-Expires=3600');
    expect((await fetch(link!)).status).toBe(200);
    const again = await page.reload();
    expect(again!.request().method()).toBe('GET');
    // a later visit to the form's address leads to the bucket
    await page.goto(`${srv.endpoint}/console/buckets/h18-pics/share`);
    expect(page.url()).toBe(`${srv.endpoint}/console/buckets/h18-pics`);
    // a text shows its start; a COLD bucket's object says what reading it out costs
    await a.client.send(
      new PutObjectCommand({
        Bucket: 'h18-pics',
        Key: 'notes.txt',
        Body: 'first line',
        ContentType: 'text/plain',
      }),
    );
    await page.goto(`${srv.endpoint}/console/buckets/h18-pics/object?key=notes.txt`);
    await page.waitForSelector('pre.preview:has-text("first line")');
    expect((await api(a, 'POST', '/admin/buckets', { name: 'h18-cold', storageClass: 'COLD' })).status).toBe(
      201,
    );
    await a.client.send(new PutObjectCommand({ Bucket: 'h18-cold', Key: 'archive.bin', Body: 'x' }));
    await page.goto(`${srv.endpoint}/console/buckets/h18-cold/object?key=archive.bin`);
    expect(await page.textContent('#retrieval-note')).toContain('charged 5.00 ₸ per GiB retrieved');

    // an unknown bucket: a styled page with the navigation
    const missing = await page.goto(`${srv.endpoint}/console/buckets/no-such-bucket`);
    expect(missing!.status()).toBe(404);
    expect(await page.locator('header nav a:has-text("Buckets")').count()).toBe(1);
    await page.context().close();
  }, 60_000);
});

describe('uploads', () => {
  it('is told its quota before an upload starts, and asked before an existing name is replaced', async () => {
    const a = await account(srv.endpoint, { maxBytes: 35 * 1024 * 1024 });
    await a.client.send(new CreateBucketCommand({ Bucket: 'h18-up' }));
    await a.client.send(new PutObjectCommand({ Bucket: 'h18-up', Key: 'notes.txt', Body: 'old notes' }));
    const page = await signedIn(a);
    await page.goto(`${srv.endpoint}/console/buckets/h18-up`);

    const big = join(files, 'big.bin');
    await writeFile(big, Buffer.alloc(40 * 1024 * 1024));
    const posts: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && posts.push(new URL(r.url()).pathname));
    await page.setInputFiles('#file-input', big);
    await page.waitForSelector('#upload-problem:has-text("quota")');
    expect(await page.textContent('#upload-problem')).toContain('These files take 40 MiB');
    expect(await page.textContent('#upload-problem')).toMatch(/of your 35 MiB quota is left/);
    expect(await page.locator('#uploads li').count()).toBe(0); // nothing started
    expect(posts.filter((p) => p.endsWith('/upload-form'))).toEqual([]);
    await shot(page, 'upload-quota');

    // an existing name: declined, the old file stays; accepted, it is replaced
    const notes = join(files, 'notes.txt');
    await writeFile(notes, 'new notes');
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.setInputFiles('#file-input', notes);
    await page.waitForSelector('#upload-problem:has-text("existing files were kept")');
    expect(asked[0]).toContain('notes.txt already exists here. Replace it?');
    page.once('dialog', (d) => void d.accept());
    await page.setInputFiles('#file-input', notes);
    await page.waitForSelector('#uploads li[data-state=done]');
    const got = await a.client.send(new GetObjectCommand({ Bucket: 'h18-up', Key: 'notes.txt' }));
    expect(await got.Body!.transformToString()).toBe('new notes');

    // a refusal from storage is said in decoded words, sizes as people say them, with a Retry
    const retry = join(files, 'retry.txt');
    await writeFile(retry, 'try again');
    const s3Post = (u: URL) => u.pathname === '/h18-up' || u.pathname === '/h18-up/';
    await page.route(s3Post, (r) =>
      r.fulfill({
        status: 403,
        contentType: 'application/xml',
        body: "<?xml version='1.0'?><Error><Code>QuotaExceeded</Code><Message>This upload would exceed your account&apos;s quota of 36700160 stored bytes.</Message></Error>",
      }),
    );
    await page.setInputFiles('#file-input', retry);
    await page.waitForSelector('#uploads li[data-state=failed]');
    expect(await page.textContent('#uploads li[data-state=failed]')).toContain(
      "Failed: This upload would exceed your account's quota of 35 MiB.",
    );
    await page.unroute(s3Post);
    await page.click('button:has-text("Retry")');
    await page.waitForSelector('#uploads li:has-text("retry.txt")[data-state=done]');

    // leaving the page while an upload runs asks first
    await page.route(s3Post, () => {}); // the upload never ends
    await page.setInputFiles('#file-input', retry);
    page.once('dialog', (d) => void d.accept()); // the overwrite question
    await page.waitForSelector('#uploads li:has-text("retry.txt"):not([data-state])');
    const leaving = new Promise<string>((resolve) =>
      page.once('dialog', (d) => {
        resolve(d.type());
        void d.dismiss();
      }),
    );
    await page.evaluate(() => location.assign('/console'));
    expect(await leaving).toBe('beforeunload');
    await page.unroute(s3Post);

    // the Choose files control shows where the keyboard is
    await page.goto(`${srv.endpoint}/console/buckets/h18-up`);
    for (let i = 0; (await page.evaluate(() => document.activeElement?.id)) !== 'file-input'; i++) {
      expect(i).toBeLessThan(40);
      await page.keyboard.press('Tab');
    }
    const outline = await page.$eval('label[for=file-input]', (l) => getComputedStyle(l).outlineStyle);
    expect(outline).toBe('solid');
    await page.context().close();
  }, 90_000);
});

describe('on a phone', () => {
  it('has a compact header and object rows, with nothing wider than the screen', async () => {
    const a = await account(srv.endpoint);
    await fill(a.client, 'h18-phone', ['a-long-name-of-a-report-2026.pdf', 'b.txt', 'docs/c.txt']);
    const page = await signedIn(a, PHONE);
    await page.goto(`${srv.endpoint}/console/buckets/h18-phone`);
    const header = await page.$eval('header', (h) => h.getBoundingClientRect().height);
    expect(header).toBeLessThan(110);
    const rowHeight = await page.$eval(
      'table.objects tbody tr:not(.folder)',
      (r) => r.getBoundingClientRect().height,
    );
    expect(rowHeight).toBeLessThan(90);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(
      true,
    );
    await shot(page, 'bucket-phone');
    await page.click('a:has-text("b.txt")');
    await page.waitForSelector('table.meta');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(
      true,
    );
    await shot(page, 'object-phone');
    await page.context().close();
  }, 60_000);
});
