/**
 * A bucket's access log: its requests from the request log, newest first, filtered by time, status,
 * operation and key prefix, a page at a time (the API's keyset cursor: Older pages stay fast however
 * long the log is), exported as CSV with the same filters; and the bucket's month in charts, beside
 * the account's on the usage page.
 */
import type { Context } from 'hono';
import { contract } from '../../api/contract/index.ts';
import { monthOf } from '../../billing/prices.ts';
import { S3Error } from '../../errors.ts';
import { seg } from '../api-client.ts';
import { MonthCharts } from '../charts.tsx';
import { type ConsoleApp, type Pages, type SignedIn, messageOf } from '../kit.ts';
import { Layout, bytes, count, when } from '../layout.tsx';
import { refusedPage } from './refused.tsx';

const FILTERS = ['from', 'to', 'status', 'operation', 'prefix'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

/** The filters a request carries (empty ones left out); `from`/`to` as typed in a datetime field. */
function filtersOf(c: Context): Filters {
  const out: Filters = {};
  for (const f of FILTERS) {
    const v = (c.req.query(f) ?? '').trim();
    if (v) out[f] = v.slice(0, 1024);
  }
  return out;
}

/** A datetime-local value (no zone) is taken as UTC, as the page says. */
const asUtc = (v: string | undefined) => (v && /T\d\d:\d\d(:\d\d)?$/.test(v) ? `${v}Z` : v);

const apiQuery = (f: Filters) => ({ ...f, from: asUtc(f.from), to: asUtc(f.to) });

export function accessLogPages(app: ConsoleApp, pages: Pages): void {
  const render = async (c: Context, s: SignedIn) => {
    const name = c.req.param('name')!;
    const f = filtersOf(c);
    const before = c.req.query('before') || undefined;
    const month = monthOf(Date.now());
    const [{ log, error }, series] = await Promise.all([
      // a filter the API refuses is said above the form, which keeps what was typed
      s.api.getAccessLog({ params: { name }, query: { ...apiQuery(f), before, limit: '100' } }).then(
        (log) => ({ log, error: null }),
        (e: unknown) => ({ log: { entries: [], nextBefore: null }, error: messageOf(e).message }),
      ),
      s.api.getBucketDailyUsage({ params: { name, month } }),
    ]);
    const base = `/console/buckets/${seg(name)}/log`;
    const q = (extra: Record<string, string>) => `?${new URLSearchParams({ ...f, ...extra })}`;
    return c.html(
      <Layout title={`${name}: access log`} section="buckets" csrf={s.csrf} error={error}>
        <p>
          <a href={`/console/buckets/${seg(name)}`}>{`← Objects in ${name}`}</a>
        </p>
        <form class="card log-filters" method="get" action={base}>
          <div class="grid">
            <div>
              <label for="from">From (UTC)</label>
              <input id="from" name="from" type="datetime-local" value={f.from ?? ''} />
            </div>
            <div>
              <label for="to">Until (UTC)</label>
              <input id="to" name="to" type="datetime-local" value={f.to ?? ''} />
            </div>
            <div>
              <label for="status">Status</label>
              <input id="status" name="status" type="text" placeholder="404 or 4xx" value={f.status ?? ''} />
            </div>
            <div>
              <label for="operation">Operation</label>
              <input
                id="operation"
                name="operation"
                type="text"
                placeholder="GetObject"
                value={f.operation ?? ''}
              />
            </div>
            <div>
              <label for="prefix">Key starts with</label>
              <input id="prefix" name="prefix" type="text" value={f.prefix ?? ''} />
            </div>
          </div>
          <p class="actions">
            <button type="submit">Filter</button>
            <a href={base}>Clear</a>
            <a class="button secondary" href={`${base}.csv${q({})}`} download>
              Export CSV
            </a>
          </p>
        </form>
        {log.entries.length === 0 ? (
          <p>No requests match.</p>
        ) : (
          <table class="stack log">
            <caption class="visually-hidden">{`Requests to ${name}, newest first`}</caption>
            <thead>
              <tr>
                <th>Time</th>
                <th>Operation</th>
                <th>Key</th>
                <th class="num">Status</th>
                <th class="num">Bytes out</th>
                <th>Client</th>
              </tr>
            </thead>
            <tbody>
              {log.entries.map((e) => (
                <tr>
                  <td data-label="Time">{e.time.replace('T', ' ').slice(0, 19)}</td>
                  <td data-label="Operation">{e.operation}</td>
                  <td data-label="Key" class="mono">
                    {e.key ?? '—'}
                  </td>
                  <td data-label="Status" class="num">
                    {e.errorCode ? `${e.status} ${e.errorCode}` : String(e.status)}
                  </td>
                  <td data-label="Bytes out" class="num">
                    {bytes(e.bytesOut)}
                  </td>
                  <td data-label="Client" class="small">
                    {`${e.clientIp ?? '—'} · ${e.auth}`}
                    <br />
                    <span class="muted">{(e.userAgent ?? '').slice(0, 80)}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <nav class="actions pager" aria-label="Pages">
          {before ? (
            <a class="button secondary" href={`${base}${q({})}`}>
              Newest
            </a>
          ) : null}
          {log.nextBefore ? (
            <a class="button secondary" rel="next" href={`${base}${q({ before: log.nextBefore })}`}>
              Older →
            </a>
          ) : null}
        </nav>
        <h2>{`${name} in ${month}`}</h2>
        <p class="hint">
          The whole account's charts are on <a href="/console/usage">Usage &amp; billing</a>.
        </p>
        <MonthCharts series={series} bytes={bytes} count={count} />
        <p class="hint">{`Times are UTC; shown ${when(Date.now())}.`}</p>
      </Layout>,
    );
  };

  app.get(
    '/buckets/:name/log',
    pages.page((c, s) => render(c, s).catch((e) => refusedPage(c, s, e))),
  );

  app.get(
    '/buckets/:name/log.csv',
    pages.page(async (c, s) => {
      const name = c.req.param('name')!;
      const res = await s.api.raw(contract.getAccessLog, {
        params: { name },
        query: { ...apiQuery(filtersOf(c)), format: 'csv' },
      });
      if (!res.ok) throw new S3Error('InvalidArgument', 'The log could not be exported with these filters.');
      return new Response(res.body, {
        headers: {
          'content-type': res.headers.get('content-type') ?? 'text/csv',
          'content-disposition': res.headers.get('content-disposition') ?? 'attachment',
        },
      });
    }),
  );
}
