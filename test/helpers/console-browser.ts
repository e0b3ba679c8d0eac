/**
 * For the tests of the console in real Chromium (test/console-objects.test.ts,
 * test/console-access-log.test.ts, test/console-forms.test.ts): per file, a server with the operator
 * token (accounts are made through it) and a browser; pages signed in as an account, buckets filled,
 * screenshots h18-*.png.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { OPERATOR_TOKEN, type TestAccount } from './accounts.ts';
import { SHOTS, launchBrowser } from './browser.ts';
import { type RunningServer, removeDir, startServer } from './server.ts';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/**
 * Registers the file's server and browser (the server handed to `ready` before the tests); returns how
 * to open a page signed in as an account.
 */
export function consolePerFile(ready: (srv: RunningServer) => unknown) {
  let srv: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    srv = await startServer({ env: { QOIMA_OPERATOR_TOKEN: OPERATOR_TOKEN, QOIMA_LOG_FLUSH_MS: '200' } });
    browser = await launchBrowser();
    await mkdir(SHOTS, { recursive: true });
    await ready(srv);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
    await removeDir(srv.dataDir);
  });

  /** A new browser context's page, signed in to the console with `a`'s keys. */
  async function signedIn(a: TestAccount, viewport = DESKTOP): Promise<Page> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${srv.endpoint}/console`);
    await page.fill('#accessKeyId', a.creds.accessKeyId);
    await page.fill('#secretAccessKey', a.creds.secretAccessKey);
    await page.click('form:has(#accessKeyId) button[type=submit]');
    await page.waitForURL(`${srv.endpoint}/console`);
    return page;
  }

  return { signedIn };
}

/** A screenshot of what the viewport shows, as test/screenshots/h18-`name`.png. */
export const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `h18-${name}.png`), fullPage: false });

/** Creates `bucket` and puts `keys` in it, 20 at a time, each with the body `body of <key>`. */
export async function fill(client: S3Client, bucket: string, keys: string[]) {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  for (let i = 0; i < keys.length; i += 20)
    await Promise.all(
      keys
        .slice(i, i + 20)
        .map((Key) => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `body of ${Key}` }))),
    );
}
