/**
 * What the console tells a customer and how its forms behave, in real Chromium: the getting-started
 * card with their endpoint and region, prices where a class is chosen and billed, a website's address
 * and why a private one answers 403, CORS rules checked in words and edited, "Make public" confirmed,
 * the key form keeping unticked boxes, invoices only from the service's first month, and the billing
 * page on a phone. Screenshots go to test/screenshots/h18-*.png.
 */
import { CreateBucketCommand, GetBucketCorsCommand } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type TestAccount, account } from './helpers/accounts.ts';
import { SHOTS } from './helpers/browser.ts';
import { PHONE, consolePerFile, shot } from './helpers/console-browser.ts';
import type { RunningServer } from './helpers/server.ts';

let srv: RunningServer;
let a: TestAccount;
const { signedIn: signedInAs } = consolePerFile(async (s) => {
  srv = s;
  a = await account(srv.endpoint);
  await a.client.send(new CreateBucketCommand({ Bucket: 'h18-forms' }));
});
const signedIn = (viewport?: typeof PHONE) => signedInAs(a, viewport);

describe('addresses and prices', () => {
  it('the Overview gets the customer started with their own endpoint, region and bucket', async () => {
    const page = await signedIn();
    expect(await page.textContent('#gs-endpoint')).toBe(srv.endpoint);
    expect(await page.textContent('#gs-region')).toBe('us-east-1');
    expect(await page.textContent('#gs-cli')).toContain(
      `aws --endpoint-url ${srv.endpoint} s3 cp ./photo.jpg s3://h18-forms/photo.jpg`,
    );
    expect(await page.textContent('#gs-boto3')).toContain(`region_name="us-east-1"`);
    expect(await page.textContent('#gs-js')).toContain(`endpoint: '${srv.endpoint}'`);
    await page.locator('#getting-started').screenshot({ path: join(SHOTS, 'h18-getting-started.png') });

    // prices beside the class choice, and on the billing page; no invoices before the service existed
    await page.goto(`${srv.endpoint}/console/buckets`);
    expect(await page.textContent('fieldset:has-text("Storage class")')).toMatch(
      /8\.00 ₸ per GiB-month stored/,
    );
    expect(await page.textContent('fieldset:has-text("Storage class")')).toMatch(
      /reading out 5\.00 ₸ per GiB/,
    );
    await page.goto(`${srv.endpoint}/console/usage`);
    expect(await page.textContent('#prices')).toContain('Storage, per GiB-month');
    expect(await page.locator('#month option').count()).toBe(1);
    expect(await page.textContent('main')).toContain('None yet: your service started this month.');

    // every address of the bucket on its page
    await page.goto(`${srv.endpoint}/console/buckets/h18-forms`);
    expect(await page.textContent('#addresses')).toContain('us-east-1');
    expect(await page.textContent('#bucket-url')).toBe(`${srv.endpoint}/h18-forms/`);
    await page.context().close();
  }, 60_000);

  it('a website says where it is, and that a private bucket answers 403; a CNAME names its target', async () => {
    const page = await signedIn();
    await page.goto(`${srv.endpoint}/console/buckets/h18-forms/settings`);
    await page.click('button:has-text("Save website settings")');
    await page.waitForSelector('text=visitors get 403 Forbidden until you make it public');
    const port = new URL(srv.endpoint).port;
    expect(await page.textContent('#website-state')).toContain(`http://h18-forms.web.localhost:${port}/`);
    await page.fill('#hostname', 'files.h18.example');
    await page.click('button:has-text("Attach")');
    await page.waitForSelector('text=publish the TXT record');
    expect(await page.textContent('main')).toContain(
      'point a CNAME record for files.h18.example at 127.0.0.1',
    );
    await page.goto(`${srv.endpoint}/console/buckets/h18-forms`);
    expect(await page.textContent('#website-url')).toBe(`http://h18-forms.web.localhost:${port}/`);
    await page.context().close();
  }, 60_000);
});

describe('forms', () => {
  it('CORS origins are checked in words, rules can be edited', async () => {
    const page = await signedIn();
    await page.goto(`${srv.endpoint}/console/buckets/h18-forms/settings`);
    await page.fill('#origins', 'not a url');
    await page.click('button:has-text("Add the rule")');
    expect(await page.textContent('[role=alert]')).toContain('"not a url" is not an origin');
    // what was typed stays, and unticked methods stay unticked
    for (const m of ['GET', 'HEAD']) await page.uncheck(`input[name=methods][value=${m}]`);
    await page.fill('#origins', 'https://app.example.kz');
    await page.click('button:has-text("Add the rule")');
    expect(await page.textContent('[role=alert]')).toContain('Tick at least one method');
    expect(await page.isChecked('input[name=methods][value=GET]')).toBe(false);
    expect(await page.inputValue('#origins')).toBe('https://app.example.kz');
    await page.check('input[name=methods][value=GET]');
    await page.click('button:has-text("Add the rule")');
    await page.waitForSelector('text=The CORS rules were saved.');
    await page.click('a:has-text("Edit")');
    await page.fill('#origins', 'https://www.example.kz');
    await page.check('input[name=methods][value=PUT]');
    await page.click('button:has-text("Save the rule")');
    await page.waitForSelector('text=The CORS rules were saved.');
    const cors = await a.client.send(new GetBucketCorsCommand({ Bucket: 'h18-forms' }));
    expect(cors.CORSRules).toEqual([
      expect.objectContaining({ AllowedOrigins: ['https://www.example.kz'], AllowedMethods: ['GET', 'PUT'] }),
    ]);
    await page.context().close();
  }, 60_000);

  it('"Make public" asks first; the key form keeps what the user unticked', async () => {
    const page = await signedIn();
    await page.goto(`${srv.endpoint}/console/buckets/h18-forms`);
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.dismiss();
    });
    await page.click('button:has-text("Make public")');
    await page.waitForFunction(() => true);
    expect(asked[0]).toContain('readable by anyone');
    expect(await page.textContent('#bucket-summary')).toContain('private');
    page.once('dialog', (d) => void d.accept());
    await page.click('button:has-text("Make public")');
    await page.waitForSelector('text=The access type was changed');

    await page.goto(`${srv.endpoint}/console/keys`);
    await page.fill('#key-name', 'nothing ticked');
    for (const box of await page.$$('input[name=actions]:checked')) await box.uncheck();
    await page.click('button:has-text("Issue the key")');
    expect(await page.textContent('[role=alert]')).toContain('Tick at least one');
    expect(await page.$$('input[name=actions]:checked')).toHaveLength(0);
    await page.context().close();
  }, 60_000);

  it('on a phone the billing page shows Subtotal and Total once each', async () => {
    const page = await signedIn(PHONE);
    await page.goto(`${srv.endpoint}/console/usage`);
    // what a reader sees: each shown cell's label (drawn by CSS on a phone) and its text
    const seen = await page.$eval('table:has-text("Subtotal")', (t) =>
      [...t.querySelectorAll('td')]
        .filter((td) => td.getClientRects().length > 0)
        .map((td) => `${getComputedStyle(td, '::before').content.replace(/^"|"$/g, '')} ${td.innerText}`)
        .join('\n'),
    );
    expect(seen.match(/Subtotal/g)).toHaveLength(1);
    expect(seen.match(/Total/g)).toHaveLength(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(
      true,
    );
    await shot(page, 'usage-phone');
    await page.context().close();
  }, 60_000);
});
