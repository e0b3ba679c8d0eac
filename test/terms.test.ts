/**
 * The terms of service through the running server (issue 16): support requests and their promised
 * times, quota requests, data-loss incidents and claims, the trial policy, per-account exclusions and
 * suspensions, as the customer (JSON API) and the operator (operator API and the admin CLI) see them.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthOf, nextMonth } from '../src/core/billing/prices.ts';
import { addWorkingMinutes, responseDue } from '../src/core/model/terms-support.ts';
import { api } from './helpers/api.ts';
import { hostRequest } from './helpers/http.ts';
import { s3 } from './helpers/s3.ts';
import { type RunningServer, admin, removeDir, startServer } from './helpers/server.ts';

const OPERATOR = 'operator-token-for-terms-tests-42';
let srv: RunningServer;
const month = monthOf(Date.now());

beforeAll(async () => {
  srv = await startServer({ env: { QOIMA_OPERATOR_TOKEN: OPERATOR, QOIMA_LOG_FLUSH_MS: '100' } });
});
afterAll(async () => {
  await srv.stop();
  await removeDir(srv.dataDir);
});

const operator = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${srv.endpoint}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${OPERATOR}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json() };
};
const cli = async (...args: string[]) => JSON.parse(await admin(srv.dataDir, [...args, '--json']));
const as = async (c: Customer, method: string, path: string, body?: unknown) => {
  const res = await api(c.as, method, `/admin${path}`, body);
  return { status: res.status, json: res.status === 204 ? null : await res.json() };
};

type Customer = Awaited<ReturnType<typeof customer>>;
async function customer(customerId: string) {
  const { status, json: a } = await operator('POST', '/operator/accounts', { name: customerId, customerId });
  expect(status).toBe(201);
  return { ...a, as: { endpoint: srv.endpoint, creds: a } } as {
    accountId: string;
    accessKeyId: string;
    secretAccessKey: string;
    as: { endpoint: string; creds: { accessKeyId: string; secretAccessKey: string } };
  };
}

describe('response deadlines', () => {
  it('chat: 10 working minutes (Mon–Fri 09–18 Almaty, UTC+5); e-mail: 24 hours, any day', () => {
    // Wednesday 2026-11-25 10:00 Almaty = 05:00Z → 05:10Z
    expect(new Date(responseDue('chat', Date.parse('2026-11-25T05:00:00Z'))).toISOString()).toBe(
      '2026-11-25T05:10:00.000Z',
    );
    // Friday 17:55 Almaty (12:55Z): 5 minutes that day, 5 on Monday from 09:00 (04:00Z) → 04:05Z
    expect(new Date(addWorkingMinutes(Date.parse('2026-11-27T12:55:00Z'), 10)).toISOString()).toBe(
      '2026-11-30T04:05:00.000Z',
    );
    // Saturday: the e-mail clock does not stop
    expect(responseDue('email', Date.parse('2026-11-28T10:00:00Z'))).toBe(Date.parse('2026-11-29T10:00:00Z'));
  });
});

describe('data lost through our fault', () => {
  it('scrub records the incident for the account; the customer claims; the operator approves; the next invoice credits it', async () => {
    const c = await customer('lost-data@example.kz');
    const client = s3(srv.endpoint, c);
    await client.send(new CreateBucketCommand({ Bucket: 'precious' }));
    await client.send(
      new PutObjectCommand({ Bucket: 'precious', Key: 'thesis.pdf', Body: 'one chunk of it'.repeat(1000) }),
    );
    // the only chunk on disk is this object's: lose it
    const root = join(srv.dataDir, 'chunks');
    const files: string[] = [];
    for (const a of await readdir(root))
      for (const b of await readdir(join(root, a)))
        for (const f of await readdir(join(root, a, b))) files.push(join(root, a, b, f));
    expect(files).toHaveLength(1);
    await unlink(files[0]!);
    const out = await admin(srv.dataDir, ['scrub', '--json']).catch((e: Error) =>
      e.message.slice(e.message.indexOf('{')),
    );
    expect(JSON.parse(out)).toMatchObject({ incidentsRecorded: 1 });

    const { json: mine } = await as(c, 'GET', '/incidents');
    expect(mine.incidents).toEqual([
      expect.objectContaining({ bucket: 'precious', key: 'thesis.pdf', damage: 'missing', claim: 'none' }),
    ]);
    const id = mine.incidents[0].id;
    expect((await as(c, 'POST', `/incidents/${id}/claim`, { text: 'my thesis is gone' })).json.claim).toBe(
      'claimed',
    );
    expect((await as(c, 'POST', `/incidents/${id}/claim`, {})).status).toBe(400); // once
    const listed = await cli('incidents', 'list', '--account', c.accountId);
    expect(listed.incidents[0]).toMatchObject({ id, accountId: c.accountId, claim: 'claimed' });
    const approved = await cli('incidents', 'approve', '--id', id, '--note', 'our disk');
    expect(approved).toMatchObject({ claim: 'approved', period: month, creditOn: nextMonth(month) });
    // the credit lands on next month's invoice: 50% of this month's charges after the trial
    const { json: inv } = await as(c, 'GET', `/invoices/${nextMonth(month)}`);
    const { json: now } = await as(c, 'GET', `/invoices/${month}`);
    const charges = now.subtotal - now.trialDiscount;
    expect(inv.compensation).toMatchObject({
      periods: [{ month, charges, incidents: [id] }],
      amount: Math.min(Math.round(charges / 2), inv.subtotal - inv.trialDiscount - inv.slaCredit.amount),
    });
    // decided
    expect((await operator('POST', `/operator/incidents/${id}`, { status: 'refused' })).status).toBe(400);
  });
});

describe('support requests', () => {
  it('and the rest of the terms are in the OpenAPI document', async () => {
    const doc = await (await fetch(`${srv.endpoint}/admin/openapi.json`)).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/admin/support',
        '/admin/quota-requests',
        '/admin/incidents/{id}/claim',
        '/admin/trial/request',
        '/admin/operator/support/due',
        '/admin/operator/accounts/{id}/suspension',
      ]),
    );
  });

  it('are opened by the customer, recorded by the operator with their arrival, answered, and listed when late', async () => {
    const c = await customer('asker@example.kz');
    const { status, json: opened } = await as(c, 'POST', '/support', {
      subject: 'How do I use CORS?',
      body: 'Browser uploads fail.',
    });
    expect(status).toBe(201);
    expect(Date.parse(opened.responseDueAt) - Date.parse(opened.receivedAt)).toBe(24 * 3_600_000);
    expect(opened).toMatchObject({ status: 'open', channel: 'api', responseOnTime: null });

    // a phone call last Wednesday at 10:00 Almaty: the answer was due 10 minutes later
    const call = await cli(
      'support',
      'record',
      '--account',
      c.accountId,
      '--channel',
      'phone',
      '--received-at',
      '2026-11-25T05:00:00Z',
      '--subject',
      'Cannot log in',
      '--body',
      'called the hotline',
    );
    expect(call).toMatchObject({ responseDueAt: '2026-11-25T05:10:00.000Z', responseOnTime: false });
    const due = await cli('support', 'due', '--within', '0');
    expect(due.due).toEqual(
      expect.arrayContaining([expect.objectContaining({ due: 'response', breached: true })]),
    );
    expect(due.due.some((d: { request: { id: string } }) => d.request.id === call.id)).toBe(true);
    // due within a day and a bit: the customer's fresh request too
    const soon = await operator('GET', '/operator/support/due?within=1500');
    expect(soon.json.due.some((d: { request: { id: string } }) => d.request.id === opened.id)).toBe(true);

    const answered = await operator('POST', `/operator/support/${opened.id}`, {
      response: 'Look at PutBucketCors.',
    });
    expect(answered.json).toMatchObject({ status: 'answered', responseOnTime: true, responseMinutes: 0 });
    const resolved = await cli('support', 'answer', '--id', call.id, '--resolution', 'password reset');
    expect(resolved).toMatchObject({ status: 'resolved', responseOnTime: false, resolutionOnTime: false });
    const { json: mine } = await as(c, 'GET', '/support');
    expect(mine.requests.map((r: { id: string }) => r.id).sort()).toEqual([opened.id, call.id].sort());
  });

  it('treat an outage report as a request, whichever way it came', async () => {
    const c = await customer('outage-reporter@example.kz');
    const viaSupport = (
      await as(c, 'POST', '/support', { kind: 'outage', subject: 'Down', body: 'everything 503s' })
    ).json;
    expect(viaSupport.outageId).toMatch(/^out_/);
    const reports = (await as(c, 'GET', '/outages')).json.reports;
    expect(reports.map((r: { id: string }) => r.id)).toContain(viaSupport.outageId);
    const legacy = (await as(c, 'POST', '/outages', { description: 'uploads time out' })).json;
    const listed = (await as(c, 'GET', '/support')).json.requests;
    expect(listed).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: legacy.id, kind: 'outage', status: 'open' })]),
    );
    await cli('outages', 'reject', '--id', legacy.id, '--note', 'no outage seen');
    const after = (await as(c, 'GET', '/support')).json.requests.find(
      (r: { id: string }) => r.id === legacy.id,
    );
    expect(after).toMatchObject({
      status: 'resolved',
      firstResponse: 'no outage seen',
      responseOnTime: true,
    });
  });
});

describe('quota requests', () => {
  it('the customer asks, the operator approves with other values or refuses, the customer sees it', async () => {
    const c = await customer('grower@example.kz');
    const asked = await as(c, 'POST', '/quota-requests', {
      requested: { maxBuckets: 500, maxBytes: 2 ** 41 },
      reason: 'a new product launch',
    });
    expect(asked.status).toBe(201);
    expect(
      (await as(c, 'POST', '/quota-requests', { requested: { maxBuckets: -1 }, reason: 'x' })).status,
    ).toBe(400);
    const pending = await cli('quota-requests', 'list', '--account', c.accountId);
    expect(pending.requests[0]).toMatchObject({ id: asked.json.id, status: 'pending' });
    const approved = await operator('POST', `/operator/quota-requests/${asked.json.id}`, {
      status: 'approved',
      granted: { maxBuckets: 300 },
      note: '300 for now',
    });
    expect(approved.json).toMatchObject({ status: 'approved', granted: { maxBuckets: 300 } });
    expect((await as(c, 'GET', '/usage')).json.quota.maxBuckets).toBe(300);
    const second = (
      await as(c, 'POST', '/quota-requests', { requested: { maxObjects: 10 ** 9 }, reason: 'x' })
    ).json;
    expect(await cli('quota-requests', 'refuse', '--id', second.id)).toMatchObject({ status: 'refused' });
    const mine = (await as(c, 'GET', '/quota-requests')).json.requests;
    expect(mine.map((r: { status: string }) => r.status).sort()).toEqual(['approved', 'refused']);
  });
});

describe('the trial', () => {
  it('under the manual policy waits for the operator, is granted once, never twice; its volume is set by policy', async () => {
    const signUp = async () => (await fetch(`${srv.endpoint}/console/sign-up`)).text();
    expect(await signUp()).toMatch(/The first 3 days are free/);
    expect(await cli('trial', 'policy', '--policy', 'manual')).toEqual({ policy: 'manual', freeUpTo: null });
    // nothing is promised that the operator may refuse
    const page = await signUp();
    expect(page).not.toMatch(/days are free/);
    expect(page).toMatch(/asks for a free trial of 3 days \(once per customer\), which we grant or refuse/);
    const c = await customer('patient@example.kz');
    expect((await as(c, 'GET', '/trial')).json.status).toBe('requested');
    expect((await as(c, 'POST', '/trial/request')).status).toBe(400); // asked already, at sign-up
    await cli('trial', 'policy', '--free-up-to', '5000');
    const granted = await cli('trial', 'grant', '--account', c.accountId);
    expect(granted).toMatchObject({ status: 'active', freeUpTo: 5000 });
    await expect(cli('trial', 'grant', '--account', c.accountId)).rejects.toThrow(/once per customer/);
    await cli('trial', 'refuse', '--account', c.accountId);
    await expect(cli('trial', 'grant', '--account', c.accountId)).rejects.toThrow(/once per customer/);

    // refused before it began: the operator may still grant it later
    const d = await customer('refused-first@example.kz');
    await cli('trial', 'refuse', '--account', d.accountId);
    expect((await as(d, 'GET', '/trial')).json.status).toBe('refused');
    expect(
      (await operator('POST', `/operator/accounts/${d.accountId}/trial`, { action: 'grant' })).json.status,
    ).toBe('active');

    // auto: a service created without the trial asks for it later, and has it at once
    expect(
      (await operator('PUT', '/operator/trial-policy', { policy: 'auto', freeUpTo: null })).json,
    ).toEqual({
      policy: 'auto',
      freeUpTo: null,
    });
    const { json: bare } = await operator('POST', '/operator/accounts', { name: 'no customer yet' });
    const e = { ...bare, as: { endpoint: srv.endpoint, creds: bare } };
    expect((await as(e, 'POST', '/trial/request')).json.error.message).toMatch(/customer identity/);
  });
});

describe('exclusions and suspensions', () => {
  it('force majeure for one account and downtime one customer caused show only in their reports', async () => {
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
  });

  it('a suspended account cannot write (reads kept unless blocked); lifting it restores writes; not downtime', async () => {
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
    expect((await as(c, 'POST', '/support', { subject: 'Why?', body: 'We removed the pages.' })).status).toBe(
      201,
    );
    expect((await as(c, 'GET', '/suspension')).json.suspension).toMatchObject({ reason: 'phishing pages' });
    // lifted and suspended again by the admin CLI, another process: seen by the next request too
    await cli('suspension', 'lift', '--account', c.accountId);
    await client.send(new PutObjectCommand({ Bucket: 'spam-host', Key: 'b', Body: 'y' }));
    await cli('suspend', '--account', c.accountId, '--reason', 'again', '--block-reads');
    await expect(client.send(new GetObjectCommand({ Bucket: 'spam-host', Key: 'a' }))).rejects.toMatchObject({
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
  });
});
