/**
 * The terms of service through the running server (issue 16), for one account at a time: force majeure
 * and downtime the customer caused, shown only in that account's SLA report, and suspensions (writes
 * refused, reads and the website kept unless blocked, lifted again), set by the operator API and the
 * admin CLI. Support, quota requests, incidents and the trial: terms.test.ts.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { monthOf } from '../src/core/billing/prices.ts';
import { hostRequest } from './helpers/http.ts';
import { s3 } from './helpers/s3.ts';
import type { RunningServer } from './helpers/server.ts';
import { termsServerPerFile } from './helpers/terms.ts';

let srv: RunningServer;
const month = monthOf(Date.now());
const { operator, cli, as, customer } = termsServerPerFile((s) => (srv = s));

describe('exclusions and suspensions', () => {
  it(
    'force majeure for one account and downtime one customer caused show only in ' + 'their reports',
    async () => {
      const a = await customer('flooded@example.kz');
      const b = await customer('dry@example.kz');
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const to = new Date(Date.now() - 1_800_000).toISOString();
      const fm = await operator('POST', '/operator/account-exclusions', {
        kind: 'force-majeure',
        from,
        to,
        reason: 'flood in the Almaty data centre hall A',
        accounts: [a.accountId],
      });
      expect(fm.status).toBe(201);
      await cli(
        'downtime',
        'customer-caused',
        '--account',
        b.accountId,
        '--from',
        from,
        '--to',
        to,
        '--reason',
        'their script deleted the bucket policy',
      );
      // the existing commands take named accounts too
      const viaCli = await cli(
        'force-majeure',
        'add',
        '--from',
        from,
        '--to',
        to,
        '--reason',
        'power cut',
        '--account',
        a.accountId,
      );
      expect(viaCli.exclusions).toEqual([
        expect.objectContaining({ accountId: a.accountId, kind: 'force-majeure' }),
      ]);
      const viaApi = await operator('POST', '/operator/exclusions', {
        kind: 'force-majeure',
        from,
        to,
        reason: 'power cut, again',
        accounts: [a.accountId],
      });
      expect(viaApi.json.exclusions[0]).toMatchObject({ accountId: a.accountId, reason: 'power cut, again' });
      const sa = (await as(a, 'GET', `/sla/${month}`)).json;
      const sb = (await as(b, 'GET', `/sla/${month}`)).json;
      expect(sa.exclusions.map((x: { reason: string }) => x.reason)).toContain(
        'flood in the Almaty data centre hall A',
      );
      for (const reason of ['flood in the Almaty data centre hall A', 'power cut', 'power cut, again'])
        expect(sb.exclusions.map((x: { reason: string }) => x.reason)).not.toContain(reason);
      expect(sa.exclusions.map((x: { reason: string }) => x.reason)).toContain('power cut, again');
      expect(sb.exclusions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            kind: 'customer-caused',
            reason: 'their script deleted the bucket policy',
          }),
        ]),
      );
      const bad = await operator('POST', '/operator/account-exclusions', {
        kind: 'customer-caused',
        from,
        to,
        reason: 'x',
      });
      expect(bad.status).toBe(400);
    },
  );

  it(
    'a suspended account cannot write (reads kept unless blocked); lifting it ' +
      'restores writes; not downtime',
    async () => {
      const c = await customer('spammer@example.kz');
      const client = s3(srv.endpoint, c);
      await client.send(new CreateBucketCommand({ Bucket: 'spam-host' }));
      await client.send(new PutObjectCommand({ Bucket: 'spam-host', Key: 'a', Body: 'x' }));
      // its website: served while reads are kept, closed with them
      await client.send(
        new PutObjectCommand({
          Bucket: 'spam-host',
          Key: 'index.html',
          Body: '<h1>hi</h1>',
          ContentType: 'text/html',
        }),
      );
      expect((await as(c, 'PATCH', '/buckets/spam-host', { accessType: 'public-read' })).status).toBe(200);
      await client.send(
        new PutBucketWebsiteCommand({
          Bucket: 'spam-host',
          WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } },
        }),
      );
      const site = () => hostRequest(srv.port, `spam-host.web.localhost:${srv.port}`, '/');
      expect((await site()).status).toBe(200);
      const sus = await operator('POST', `/operator/accounts/${c.accountId}/suspension`, {
        reason: 'phishing pages',
      });
      expect(sus.status).toBe(201);
      // the very next request sees it (the settings generation moved: no waiting out a cache)
      await expect(
        client.send(new PutObjectCommand({ Bucket: 'spam-host', Key: 'b', Body: 'y' })),
      ).rejects.toMatchObject({
        name: 'AccessDenied',
        message: expect.stringMatching(/suspended for breaking the terms of service \(phishing pages\)/),
        $metadata: { httpStatusCode: 403 },
      });
      await client.send(new GetObjectCommand({ Bucket: 'spam-host', Key: 'a' })); // reads kept
      expect((await site()).status).toBe(200); // and the website with them
      // nor through the JSON API (the console's way); support stays open
      const viaApi = await as(c, 'POST', '/buckets', { name: 'spam-host-2' });
      expect(viaApi).toMatchObject({ status: 403, json: { error: { code: 'AccessDenied' } } });
      expect(viaApi.json.error.message).toMatch(/suspended/);
      expect((await as(c, 'GET', '/buckets')).status).toBe(200);
      expect(
        (await as(c, 'POST', '/support', { subject: 'Why?', body: 'We removed the pages.' })).status,
      ).toBe(201);
      expect((await as(c, 'GET', '/suspension')).json.suspension).toMatchObject({ reason: 'phishing pages' });
      // lifted and suspended again by the admin CLI, another process: seen by the next request too
      await cli('suspension', 'lift', '--account', c.accountId);
      await client.send(new PutObjectCommand({ Bucket: 'spam-host', Key: 'b', Body: 'y' }));
      await cli('suspend', '--account', c.accountId, '--reason', 'again', '--block-reads');
      await expect(
        client.send(new GetObjectCommand({ Bucket: 'spam-host', Key: 'a' })),
      ).rejects.toMatchObject({
        name: 'AccessDenied',
      });
      const closed = await site();
      expect(closed.status).toBe(403);
      expect(closed.body).toMatch(/suspended for breaking the terms of service/);
      const sla = (await as(c, 'GET', `/sla/${month}`)).json;
      expect(sla.exclusions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'suspended', reason: expect.stringMatching(/again/) }),
        ]),
      );
      expect((await cli('suspensions', 'list', '--account', c.accountId)).suspensions).toHaveLength(2);
      await cli('suspension', 'lift', '--account', c.accountId);
    },
  );
});
