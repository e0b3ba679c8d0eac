/** Usage and billing: the month day by day (charts), its invoice or estimate, the SLA report, quotas. */
import type { Context } from 'hono';
import { monthOf, previousMonth } from '../../billing/prices.ts';
import { contract } from '../../api/contract/index.ts';
import { S3Error } from '../../errors.ts';
import { MonthCharts } from '../charts.tsx';
import type { ConsoleApp, Pages, SignedIn } from '../kit.ts';
import { Layout, bytes, count, money, when } from '../layout.tsx';
import { Quotas } from './overview.tsx';
import { PriceTable } from './prices.tsx';

const recentMonths = (now: number, n: number) => {
  const out = [monthOf(now)];
  while (out.length < n) out.push(previousMonth(out[out.length - 1]!));
  return out;
};

export function usagePages(app: ConsoleApp, pages: Pages): void {
  const render = async (c: Context, s: SignedIn) => {
    const current = monthOf(Date.now());
    const month = c.req.query('month') ?? current;
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month))
      throw new S3Error('InvalidArgument', `A month is YYYY-MM, not "${month}".`);
    const info = await s.api.getEndpoint();
    // no invoice for a month before the service existed
    const since = monthOf(Date.parse(info.accountCreatedAt));
    const months = recentMonths(Date.now(), 12).filter((m) => m >= since);
    const [series, invoice, sla, usage, history] = await Promise.all([
      s.api.getDailyUsage({ params: { month } }),
      s.api.getInvoice({ params: { month } }),
      s.api.getSla({ params: { month } }),
      s.api.getUsage(),
      Promise.all(months.slice(1, 7).map((m) => s.api.getInvoice({ params: { month: m } }))),
    ]);
    const total = (f: (d: (typeof series.days)[number]) => number) =>
      series.days.reduce((n, d) => n + f(d), 0);
    const inProgress = month === current;
    return c.html(
      <Layout title="Usage & billing" section="usage" csrf={s.csrf}>
        <form class="actions" method="get" action="/console/usage">
          <label for="month">Month</label>
          <select id="month" name="month">
            {months.map((m) => (
              <option value={m} selected={m === month}>
                {m}
              </option>
            ))}
          </select>
          <button type="submit" class="secondary">
            Show
          </button>
        </form>
        <div class="grid">
          <div class="card">
            <h2>Requests</h2>
            <p id="requests-total">
              <strong>{count(total((d) => d.requests))}</strong>{' '}
              {series.source === 'log' ? 'requests' : 'billable requests'}
            </p>
          </div>
          <div class="card">
            <h2>Traffic</h2>
            <p>{`${bytes(total((d) => d.bytesOut))} out · ${bytes(total((d) => d.bytesIn))} in`}</p>
          </div>
          <div class="card">
            <h2>Stored now</h2>
            <p>{bytes(usage.usage.bytes)}</p>
          </div>
        </div>
        <MonthCharts series={series} bytes={bytes} count={count} />

        <div class="card">
          <h2>
            {inProgress
              ? `Estimate for ${month} (so far)`
              : invoice.status === 'final'
                ? `Invoice for ${month}`
                : `Estimate for ${month} (not closed yet)`}
          </h2>
          {invoice.status === 'final' && invoice.issuedAt ? (
            <p class="hint">{`Issued ${when(invoice.issuedAt)}; it does not change any more.`}</p>
          ) : null}
          <table class="stack">
            <thead>
              <tr>
                <th>Item</th>
                <th>Class</th>
                <th class="num">Quantity</th>
                <th class="num">Amount</th>
              </tr>
            </thead>
            <tbody>
              {invoice.lines
                .filter((l) => l.amount > 0 || Number(l.quantity) > 0)
                .map((l) => (
                  <tr>
                    <td data-label="Item">{l.item}</td>
                    <td data-label="Class">{l.storageClass ?? '—'}</td>
                    <td data-label="Quantity" class="num">{`${l.quantity} ${l.unit}`}</td>
                    <td data-label="Amount" class="num">
                      {money(l.amount, invoice.currency)}
                    </td>
                  </tr>
                ))}
              <tr>
                <td data-label="" colspan={3}>
                  Subtotal
                </td>
                <td data-label="Subtotal" class="num">
                  {money(invoice.subtotal, invoice.currency)}
                </td>
              </tr>
              {invoice.trialDiscount > 0 ? (
                <tr>
                  <td data-label="" colspan={3}>
                    Free trial
                  </td>
                  <td
                    data-label="Free trial"
                    class="num"
                  >{`− ${money(invoice.trialDiscount, invoice.currency)}`}</td>
                </tr>
              ) : null}
              {invoice.slaCredit.amount > 0 ? (
                <tr>
                  <td
                    data-label=""
                    colspan={3}
                  >{`SLA credit for ${invoice.slaCredit.fromMonth} (${invoice.slaCredit.percent}%)`}</td>
                  <td
                    data-label="SLA credit"
                    class="num"
                  >{`− ${money(invoice.slaCredit.amount, invoice.currency)}`}</td>
                </tr>
              ) : null}
              {invoice.compensation ? (
                <tr>
                  <td
                    data-label=""
                    colspan={3}
                  >{`Compensation for lost or damaged data (${invoice.compensation.periods.map((p) => p.month).join(', ')})`}</td>
                  <td
                    data-label="Compensation"
                    class="num"
                  >{`− ${money(invoice.compensation.amount, invoice.currency)}`}</td>
                </tr>
              ) : null}
              <tr>
                <td data-label="" colspan={3}>
                  <strong>Total</strong>
                </td>
                <td data-label="Total" class="num">
                  <strong>{money(invoice.total, invoice.currency)}</strong>
                </td>
              </tr>
            </tbody>
          </table>
          {inProgress ? (
            <p class="hint">
              Requests and traffic are billed once their hour is over, so the estimate runs up to an hour
              behind; storage is sampled every few minutes.
            </p>
          ) : null}
          <p>
            <a href={`/console/usage/invoice.csv?month=${month}`}>Download as CSV</a>
          </p>
        </div>

        <div class="card">
          <h2>{`Availability in ${month}`}</h2>
          <p>
            <strong>{`${sla.availability.toFixed(9).slice(0, -6)}%`}</strong>{' '}
            <span class="muted">{`promised 99.9%${inProgress ? ', month in progress' : ''}`}</span>
          </p>
          <p>
            {sla.tier.creditPercent > 0
              ? `Below the promise: a ${sla.tier.creditPercent}% credit (${money(sla.credit, invoice.currency)}) goes to the next invoice.`
              : 'Within the promise: no credit due.'}
          </p>
          {sla.downtime.length ? (
            <ul>
              {sla.downtime.map((d) => (
                <li>{`${when(d.from)} – ${when(d.to)}: ${d.causes.join(', ')}`}</li>
              ))}
            </ul>
          ) : (
            <p class="hint">No downtime counted.</p>
          )}
          {sla.exclusions.length ? (
            <>
              <h3>Not counted</h3>
              <ul id="sla-exclusions">
                {sla.exclusions.map((x) => (
                  <li>{`${when(x.from)} – ${when(x.to)}: ${x.kind}, ${x.reason}`}</li>
                ))}
              </ul>
            </>
          ) : null}
        </div>

        <div class="card">
          <h2>Past invoices</h2>
          {history.length === 0 ? <p class="hint">None yet: your service started this month.</p> : null}
          <table class="stack">
            <thead>
              <tr>
                <th>Month</th>
                <th class="num">Total</th>
                <th>
                  <span class="visually-hidden">Download</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {history.map((inv) => (
                <tr>
                  <td data-label="Month">
                    <a href={`/console/usage?month=${inv.month}`}>{inv.month}</a>
                  </td>
                  <td data-label="Total" class="num">
                    {money(inv.total, inv.currency)}
                  </td>
                  <td data-label="">
                    <a href={`/console/usage/invoice.csv?month=${inv.month}`}>CSV</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <PriceTable info={info} />
        <Quotas u={usage} />
      </Layout>,
    );
  };

  app.get('/usage', pages.page(render));

  app.get(
    '/usage/invoice.csv',
    pages.page(async (c, s) => {
      const month = c.req.query('month') ?? '';
      const res = await s.api.raw(contract.getInvoice, { params: { month }, query: { format: 'csv' } });
      if (!res.ok) throw new S3Error('InvalidArgument', `There is no invoice for "${month}".`);
      return new Response(res.body, {
        headers: {
          'content-type': res.headers.get('content-type') ?? 'text/csv',
          'content-disposition': res.headers.get('content-disposition') ?? 'attachment',
        },
      });
    }),
  );
}
