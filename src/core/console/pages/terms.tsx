/**
 * Support & terms: support requests (an outage report is one kind) with their response and resolution
 * times, quota requests and their outcome, data-loss incidents and compensation claims, the free trial
 * request, and a suspension if there is one. Everything goes through the JSON API as the root user.
 */
import type { Context } from 'hono';
import type { QuotaView } from '../../api/contract/keys.ts';
import { seg } from '../api-client.ts';
import { type ConsoleApp, type Pages, type Shown, type SignedIn, statusOf } from '../kit.ts';
import { Csrf, Layout, when } from '../layout.tsx';

/** Fixed texts for `?done=` on this page: never text taken from the URL. */
const TERMS_NOTICES: Record<string, string> = {
  'request-opened': 'Your request was sent; the times we promised are shown next to it.',
  'quota-asked': 'Your quota request was sent; the outcome will show here.',
  'claim-filed': 'Your claim was filed; once approved, the credit appears on your next invoice.',
  'trial-asked': 'Your trial request was recorded.',
};

const LIMITS: [keyof typeof QuotaView.shape, string][] = [
  ['maxBytes', 'Storage (bytes)'],
  ['maxBuckets', 'Buckets'],
  ['maxObjects', 'Objects'],
  ['maxObjectSize', 'Largest object (bytes)'],
  ['requestsPerSecond', 'Requests per second'],
  ['bytesPerSecond', 'Bytes per second'],
];

const duration = (minutes: number | null) =>
  minutes === null ? '—' : minutes < 120 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`;
const kept = (onTime: boolean | null) => (onTime === null ? '' : onTime ? ' (on time)' : ' (late)');

export function termsPages(app: ConsoleApp, pages: Pages): void {
  const render = async (c: Context, s: SignedIn, shown: Shown) => {
    const [support, quota, incidents, trial, suspension] = await Promise.all([
      s.api.listSupportRequests(),
      s.api.listQuotaRequests(),
      s.api.listIncidents(),
      s.api.getTrial(),
      s.api.getSuspension(),
    ]);
    const v = shown.values ?? {};
    const notice = shown.notice ?? TERMS_NOTICES[c.req.query('done') ?? ''] ?? null;
    const sus = suspension.suspension;
    return c.html(
      <Layout title="Support & terms" section="terms" csrf={s.csrf} notice={notice} error={shown.error}>
        {sus ? (
          <div class="flash" role="alert" id="suspension">
            <p>
              <strong>{`Your service is suspended for breaking the terms of service: ${sus.reason}.`}</strong>{' '}
              {sus.keepReads
                ? 'Reading still works; writing is refused until the suspension is lifted.'
                : 'Reading and writing are refused until the suspension is lifted.'}
            </p>
          </div>
        ) : null}

        <section class="card" id="support">
          <h2>Support requests</h2>
          <p class="hint">
            We answer chat within 10 minutes in working hours (Monday to Friday, 09:00–18:00 Almaty time) and
            e-mail and requests sent here within 24 hours, and resolve every request within 24 hours, any day.
          </p>
          {support.requests.length === 0 ? (
            <p>No requests yet.</p>
          ) : (
            <table class="stack">
              <thead>
                <tr>
                  <th>Request</th>
                  <th>Received</th>
                  <th>Status</th>
                  <th>First response</th>
                  <th>Resolution</th>
                </tr>
              </thead>
              <tbody>
                {support.requests.map((r) => (
                  <tr data-request={r.id}>
                    <td data-label="Request">{`${r.subject} (${r.kind}, ${r.channel})`}</td>
                    <td data-label="Received">{when(r.receivedAt)}</td>
                    <td data-label="Status">{r.status}</td>
                    <td data-label="First response">
                      {r.firstResponseAt
                        ? `${duration(r.responseMinutes)}${kept(r.responseOnTime)}: ${r.firstResponse ?? ''}`
                        : `due by ${when(r.responseDueAt)}${kept(r.responseOnTime)}`}
                    </td>
                    <td data-label="Resolution">
                      {r.resolvedAt
                        ? `${duration(r.resolutionMinutes)}${kept(r.resolutionOnTime)}: ${r.resolution ?? ''}`
                        : `due by ${when(r.resolutionDueAt)}${kept(r.resolutionOnTime)}`}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <form method="post" action="/console/terms/support">
            <h3>Open a request</h3>
            <Csrf token={s.csrf} />
            <label for="req-kind">About</label>
            <select id="req-kind" name="kind">
              {[
                ['question', 'A question'],
                ['outage', 'An outage (the service does not work)'],
                ['billing', 'Billing'],
                ['other', 'Something else'],
              ].map(([k, label]) => (
                <option value={k} selected={(v.kind ?? 'question') === k}>
                  {label}
                </option>
              ))}
            </select>
            <label for="req-subject">Subject</label>
            <input
              id="req-subject"
              name="subject"
              type="text"
              required
              maxlength={200}
              value={v.subject ?? ''}
            />
            <label for="req-body">What happened</label>
            <textarea id="req-body" name="body" required maxlength={10000}>
              {v.body ?? ''}
            </textarea>
            <p>
              <button type="submit">Send the request</button>
            </p>
          </form>
        </section>

        <section class="card" id="quota">
          <h2>Quotas</h2>
          {quota.requests.length ? (
            <ul>
              {quota.requests.map((q) => (
                <li data-quota-request={q.id}>
                  {`${when(q.createdAt)}: asked ${JSON.stringify(q.requested)} — ${q.status}`}
                  {q.granted ? `, granted ${JSON.stringify(q.granted)}` : ''}
                  {q.note ? ` (${q.note})` : ''}
                </li>
              ))}
            </ul>
          ) : null}
          <form method="post" action="/console/terms/quota">
            <h3>Ask us to raise a quota</h3>
            <Csrf token={s.csrf} />
            {LIMITS.map(([field, label]) => (
              <>
                <label for={`q-${field}`}>{`${label} (leave empty to keep)`}</label>
                <input id={`q-${field}`} name={field} type="number" min={1} value={v[field] ?? ''} />
              </>
            ))}
            <label for="q-reason">Why</label>
            <input id="q-reason" name="reason" type="text" required maxlength={2000} value={v.reason ?? ''} />
            <p>
              <button type="submit">Ask</button>
            </p>
          </form>
        </section>

        <section class="card" id="incidents">
          <h2>Lost or damaged data</h2>
          <p class="hint">
            If data of yours is lost or damaged through our fault, 50% of that month's charges are credited on
            your next invoice once you claim it and we confirm.
          </p>
          {incidents.incidents.length === 0 ? (
            <p>None found.</p>
          ) : (
            <ul>
              {incidents.incidents.map((i) => (
                <li data-incident={i.id}>
                  {`${i.bucket}/${i.key}: ${i.damage === 'missing' ? 'data lost' : 'data damaged'}, found ${when(i.detectedAt)} — claim: ${i.claim}`}
                  {i.creditOn ? ` (credited on the ${i.creditOn} invoice)` : ''}
                  {i.claim === 'none' ? (
                    <form class="inline" method="post" action={`/console/terms/incidents/${seg(i.id)}/claim`}>
                      <Csrf token={s.csrf} />
                      <button type="submit" class="secondary">
                        Claim compensation
                      </button>
                    </form>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </section>

        <section class="card" id="trial">
          <h2>Free trial</h2>
          <p id="trial-status">{`Status: ${trial.status}. ${trial.afterTrial}`}</p>
          {trial.status === 'none' ? (
            <form method="post" action="/console/terms/trial">
              <Csrf token={s.csrf} />
              <button type="submit">Ask for the free trial</button>
            </form>
          ) : null}
        </section>
      </Layout>,
      statusOf(shown.status),
    );
  };
  const back = (c: Context, notice: keyof typeof TERMS_NOTICES) =>
    c.redirect(`/console/terms?done=${notice}`, 303);

  app.get(
    '/terms',
    pages.page((c, s) => render(c, s, {})),
  );
  app.post(
    '/terms/support',
    pages.action(async (c, s, form) => {
      const kinds = ['question', 'outage', 'billing', 'other'] as const;
      const kind = kinds.find((k) => k === form.kind) ?? 'question';
      await s.api.openSupportRequest({
        body: { kind, subject: (form.subject ?? '').trim(), body: form.body ?? '', channel: 'console' },
      });
      return back(c, 'request-opened');
    }, render),
  );
  app.post(
    '/terms/quota',
    pages.action(async (c, s, form) => {
      const requested: Partial<Record<(typeof LIMITS)[number][0], number>> = {};
      for (const [field] of LIMITS) if (form[field]?.trim()) requested[field] = Number(form[field]);
      await s.api.askQuota({ body: { requested, reason: (form.reason ?? '').trim() } });
      return back(c, 'quota-asked');
    }, render),
  );
  app.post(
    '/terms/incidents/:id/claim',
    pages.action(async (c, s) => {
      await s.api.claimIncident({
        params: { id: c.req.param('id')! },
        body: { text: 'claimed in the console' },
      });
      return back(c, 'claim-filed');
    }, render),
  );
  app.post(
    '/terms/trial',
    pages.action(async (c, s) => {
      await s.api.requestTrial();
      return back(c, 'trial-asked');
    }, render),
  );
}
