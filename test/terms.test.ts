/**
 * The terms of service through the running server (issue 16): support requests and their promised
 * times, quota requests, data-loss incidents and claims, and the trial policy, as the customer (JSON API)
 * and the operator (operator API and the admin CLI) see them. Per-account exclusions and suspensions:
 * terms-exclusions.test.ts.
 */
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { monthOf, nextMonth } from '../src/core/billing/prices.ts';
import { addWorkingMinutes, responseDue } from '../src/core/model/terms-support.ts';
import { s3 } from './helpers/s3.ts';
import { type RunningServer, admin } from './helpers/server.ts';
import { termsServerPerFile } from './helpers/terms.ts';

let srv: RunningServer;
const month = monthOf(Date.now());
const { operator, cli, as, customer } = termsServerPerFile((s) => (srv = s));

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
