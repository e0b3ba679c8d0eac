/**
 * A bucket's access log, through the JSON API and in the console in real Chromium: filters, pages by
 * cursor with no row lost or repeated, a CSV export, the bucket's charts, and an unknown filter value
 * said in words. Screenshots go to test/screenshots/h18-*.png. The object pages: console-objects.test.ts.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { account } from './helpers/accounts.ts';
import { api } from './helpers/api.ts';
import { fill, consolePerFile, shot } from './helpers/console-browser.ts';
import type { RunningServer } from './helpers/server.ts';

let srv: RunningServer;
const { signedIn } = consolePerFile((s) => (srv = s));

describe('the access log', () => {
  it("shows a bucket's requests with filters, pages back by cursor, exports CSV, and " +
    'charts the bucket', async () => {
    const a = await account(srv.endpoint);
    await fill(a.client, 'h18-logged', ['docs/a.txt', 'docs/b.txt', 'other.txt']);
    for (let i = 0; i < 130; i++)
      await a.client
        .send(new GetObjectCommand({ Bucket: 'h18-logged', Key: 'docs/a.txt' }))
        .then((r) => r.Body!.transformToString());
    await expect(
      a.client.send(new GetObjectCommand({ Bucket: 'h18-logged', Key: 'missing.txt' })),
    ).rejects.toThrow();
    // the log is written in batches: wait until the last request is in it
    const log = (q: string) =>
      api(a, 'GET', `/admin/buckets/h18-logged/access-log?${q}`).then((r) => r.json());
    for (let i = 0; (await log('status=404')).entries.length === 0; i++) {
      expect(i).toBeLessThan(100);
      await new Promise((r) => setTimeout(r, 100));
    }

    // pages by cursor: no row twice, none lost
    const seen = new Set<string>();
    let before = '';
    for (;;) {
      const page = await log(`limit=50${before ? `&before=${before}` : ''}`);
      for (const e of page.entries) seen.add(e.requestId);
      if (!page.nextBefore) break;
      before = page.nextBefore;
    }
    expect(seen.size).toBeGreaterThanOrEqual(134); // 3 puts, 130 gets, 1 miss (and the bucket's creation)
    expect((await log('status=4xx')).entries.map((e: { key: string }) => e.key)).toEqual(['missing.txt']);
    expect((await log('prefix=other')).entries.map((e: { operation: string }) => e.operation)).toEqual([
      'PutObject',
    ]);
    expect((await api(a, 'GET', '/admin/buckets/h18-logged/access-log?status=teapot')).status).toBe(400);

    const page = await signedIn(a);
    await page.goto(`${srv.endpoint}/console/buckets/h18-logged`);
    await page.click('a:has-text("Access log")');
    await page.fill('#status', '404');
    await page.click('button:has-text("Filter")');
    await page.waitForURL(/status=404/);
    expect(await page.locator('table.log tbody tr').count()).toBe(1);
    expect(await page.textContent('table.log')).toContain('NoSuchKey');
    expect(await page.$$('svg.chart')).toHaveLength(3);
    await shot(page, 'access-log');
    const csv = await page.request.get(
      `${srv.endpoint}/console/buckets/h18-logged/log.csv?operation=GetObject`,
    );
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toMatch(/^time,operation,key,status/);
    expect(lines.length).toBe(1 + 131);
    // an unknown filter value is said in words, with the form kept
    await page.goto(`${srv.endpoint}/console/buckets/h18-logged/log?status=teapot`);
    expect(await page.textContent('[role=alert]')).toContain('status is a code such as 404');
    expect(await page.inputValue('#status')).toBe('teapot');
    await page.context().close();
  }, 90_000);
});
