/**
 * The terms in the console, in real Chromium (issue 16): a customer opens a support request and sees
 * the promised times, asks for a higher quota and sees the operator's answer, claims compensation for an
 * object scrub found lost, asks for the trial, sees a suspension and the exclusions on the SLA card.
 */
import { createClient } from '@libsql/client';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchBrowser } from './helpers/browser.ts';
import { type RunningServer, removeDir, startServer } from './helpers/server.ts';

const OPERATOR = 'operator-token-for-terms-console-42';
let srv: RunningServer;
let browser: Browser;

beforeAll(async () => {
  srv = await startServer({ env: { QOIMA_OPERATOR_TOKEN: OPERATOR } });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await removeDir(srv.dataDir);
});

const operator = async (method: string, path: string, body?: unknown) =>
  (
    await fetch(`${srv.endpoint}/admin/operator${path}`, {
      method,
      headers: {
        authorization: `Bearer ${OPERATOR}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    })
  ).json();

async function signIn(page: Page, creds: { accessKeyId: string; secretAccessKey: string }) {
  await page.goto(`${srv.endpoint}/console`);
  await page.fill('#accessKeyId', creds.accessKeyId);
  await page.fill('#secretAccessKey', creds.secretAccessKey);
  await page.click('form:has(#accessKeyId) button[type=submit]');
  await page.waitForURL(`${srv.endpoint}/console`);
}

it('requests, quota, claims, trial, suspension and exclusions reach the customer', async () => {
  // manual policy: the sign-up's trial request waits; a customer without one can ask on the page
  await operator('PUT', '/trial-policy', { policy: 'manual' });
  const a = await operator('POST', '/accounts', { name: 'Console customer' }); // no customer id: no trial
  const page = await (await browser.newContext()).newPage();
  await signIn(page, a);

  await expect(page.locator('a[href="/console/terms#trial"]').count()).resolves.toBe(1);
  // the overview's sentence is now a way to ask
  await page.click('text=Ask us to raise a quota.');
  await page.waitForURL(/\/console\/terms/);

  await page.fill('#req-subject', 'Invoice question');
  await page.fill('#req-body', 'What is a class B request?');
  await page.click('form[action="/console/terms/support"] button[type=submit]');
  await page.waitForURL(/done=request-opened/);
  const row = page.locator('tr:has-text("Invoice question")');
  await expect(row.textContent()).resolves.toMatch(/open.*due by/s);

  await page.fill('#q-maxBuckets', '300');
  await page.fill('#q-reason', 'launching a product');
  await page.click('form[action="/console/terms/quota"] button[type=submit]');
  await page.waitForURL(/done=quota-asked/);
  await expect(page.locator('#quota li').first().textContent()).resolves.toMatch(/"maxBuckets":300.*pending/);
  const [asked] = (await operator('GET', `/quota-requests?account=${a.accountId}`)).requests;
  await operator('POST', `/quota-requests/${asked.id}`, { status: 'approved', granted: { maxBuckets: 250 } });
  const [support] = (await operator('GET', `/support?account=${a.accountId}`)).requests;
  await operator('POST', `/support/${support.id}`, { response: 'A read.', resolution: 'Answered.' });

  // an object of theirs scrub found lost (written as scrub's recording would, to keep this test short)
  const db = createClient({ url: `file:${join(srv.dataDir, 'qoima.db')}` });
  await db.execute({
    sql: "INSERT INTO data_incidents (id, account_id, bucket, key, chunk_hash, damage, detected_at, claim) VALUES ('inc_console', ?, 'files', 'report.pdf', 'h', 'missing', ?, 'none')",
    args: [a.accountId, Date.now()],
  });
  db.close();

  await page.goto(`${srv.endpoint}/console/terms`);
  await expect(row.textContent()).resolves.toMatch(/resolved.*\d+ min \(on time\): A read\./s);
  await expect(page.locator('#quota li').first().textContent()).resolves.toMatch(
    /approved, granted \{"maxBuckets":250\}/,
  );
  await page.click('li[data-incident=inc_console] button');
  await page.waitForURL(/done=claim-filed/);
  await expect(page.locator('li[data-incident=inc_console]').textContent()).resolves.toMatch(
    /claim: claimed/,
  );
  expect((await operator('GET', `/incidents?account=${a.accountId}`)).incidents[0].claim).toBe('claimed');

  // the trial: no customer identity, so the API's refusal is shown in words
  await page.click('form[action="/console/terms/trial"] button');
  await expect(page.locator('.flash.error').textContent()).resolves.toMatch(/customer identity/);

  // suspended: the page says so; the SLA card lists what was not counted and why
  await operator('POST', `/accounts/${a.accountId}/suspension`, { reason: 'phishing pages' });
  const from = new Date(Date.now() - 20 * 60_000).toISOString();
  const to = new Date(Date.now() - 10 * 60_000).toISOString();
  await operator('POST', '/account-exclusions', {
    kind: 'customer-caused',
    from,
    to,
    reason: 'their deploy script',
    accounts: [a.accountId],
  });
  await page.goto(`${srv.endpoint}/console/terms`);
  await expect(page.locator('#suspension').textContent()).resolves.toMatch(
    /phishing pages.*Reading still works/s,
  );
  await page.goto(`${srv.endpoint}/console/usage`);
  const excluded = await page.locator('#sla-exclusions').textContent();
  expect(excluded).toMatch(/customer-caused, their deploy script/);
  expect(excluded).toMatch(/suspended, suspended for breaking the terms: phishing pages/);
  await operator('PUT', '/trial-policy', { policy: 'auto' });
});
