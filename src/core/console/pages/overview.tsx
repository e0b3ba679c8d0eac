/** The service at a glance: its trial, quotas, this month's estimate; the console login; deleting it. */
import type { Context } from 'hono';
import { loginOf, loginPasswordMatches, rootKeyOf, setLogin } from '../../model/console-auth.ts';
import { timingSafeEqual } from '../../digests.ts';
import { S3Error } from '../../errors.ts';
import { monthOf } from '../../billing/prices.ts';
import type { UsageView } from '../../api/contract/keys.ts';
import {
  type ConsoleApp,
  type ConsoleDeps,
  type Pages,
  type Shown,
  type SignedIn,
  noticeOf,
  statusOf,
} from '../kit.ts';
import { Csrf, Layout, Meter, bytes, count, money, when } from '../layout.tsx';
import { clearSessionCookie, origin } from '../session.ts';
import { GettingStarted, gettingStartedOf } from './getting-started.tsx';

export const Quotas = ({ u }: { u: UsageView }) => (
  <div class="card">
    <h2>Quotas</h2>
    <Meter label="Stored" used={u.usage.bytes} limit={u.quota.maxBytes} format={bytes} />
    <Meter label="Buckets" used={u.usage.buckets} limit={u.quota.maxBuckets} format={count} />
    <Meter label="Objects" used={u.usage.objects} limit={u.quota.maxObjects} format={count} />
    <p class="hint">
      {`Largest object: ${bytes(u.quota.maxObjectSize)} · fair use: ${count(u.quota.requestsPerSecond)} requests and ${bytes(u.quota.bytesPerSecond)} per second. `}
      <a href="/console/terms#quota">Ask us to raise a quota.</a>
    </p>
  </div>
);

export function overviewPages(app: ConsoleApp, deps: ConsoleDeps, pages: Pages): void {
  const render = async (c: Context, s: SignedIn, shown: Shown) => {
    const [usage, trial, invoice, login, start] = await Promise.all([
      s.api.getUsage(),
      s.api.getTrial(),
      s.api.getInvoice({ params: { month: monthOf(Date.now()) } }),
      loginOf(deps.db, s.accountId),
      gettingStartedOf(s.api),
    ]);
    return c.html(
      <Layout title="Overview" section="overview" csrf={s.csrf} notice={shown.notice} error={shown.error}>
        <div class="grid">
          <div class="card">
            <h2>Your service</h2>
            <p>
              Service id <code>{s.accountId}</code>
            </p>
            <p>
              S3 endpoint <code>{origin(c)}</code>
            </p>
            <p class="hint">
              Point aws-cli, rclone or an SDK at the endpoint with the root user's keys or an access key.
            </p>
          </div>
          <div class="card">
            <h2>Free trial</h2>
            {trial.status === 'active' ? (
              <p>
                <span class="pill ok">Active</span> until <strong>{when(trial.endsAt)}</strong>.
              </p>
            ) : null}
            {trial.status === 'ended' ? (
              <p>
                <span class="pill">Ended</span> on {when(trial.endsAt)}.
              </p>
            ) : null}
            {trial.status === 'refused' || trial.status === 'none' ? (
              <p>
                <span class="pill">No trial</span>
              </p>
            ) : null}
            {trial.status === 'requested' ? (
              <p>
                <span class="pill">Requested</span>
              </p>
            ) : null}
            <p>{trial.afterTrial}</p>
            {trial.status === 'none' ? <a href="/console/terms#trial">Ask for the free trial</a> : null}
          </div>
          <div class="card">
            <h2>This month so far</h2>
            <p>
              <strong>{money(invoice.total, invoice.currency)}</strong>{' '}
              <span class="muted">estimate for {invoice.month}</span>
            </p>
            {invoice.trialDiscount > 0 ? (
              <p class="hint">{`Includes the trial's discount of ${money(invoice.trialDiscount, invoice.currency)}.`}</p>
            ) : null}
            <p>
              <a href="/console/usage">Usage and invoices</a>
            </p>
          </div>
        </div>
        <GettingStarted {...start} />
        <Quotas u={usage} />
        <form class="card" method="post" action="/console/login">
          <h2>Console login</h2>
          <p>
            {login ? (
              <>
                You sign in as <strong>{login}</strong>. Change the e-mail or password here.
              </>
            ) : (
              'Sign in with an e-mail and password instead of the root keys.'
            )}
          </p>
          <Csrf token={s.csrf} />
          <label for="email">E-mail</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="username"
            required
            value={shown.values?.email ?? login ?? ''}
          />
          {login ? (
            <>
              <label for="current">Current password (or the root user's secret access key)</label>
              <input id="current" name="current" type="password" autocomplete="current-password" required />
            </>
          ) : null}
          <label for="password">New password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            minlength={10}
          />
          <p>
            <button type="submit">Save the login</button>
          </p>
        </form>
        <form
          class="card"
          method="post"
          action="/console/service/delete"
          data-confirm="Delete the service with every bucket and object in it? This cannot be undone."
        >
          <h2>Delete the service</h2>
          <p>
            Deletes every bucket and object, the root user and every access key. Usage up to now is still
            billed; nothing after.
          </p>
          <Csrf token={s.csrf} />
          <label for="confirm">{`Type the service id (${s.accountId}) to confirm`}</label>
          <input id="confirm" name="confirm" type="text" autocomplete="off" spellcheck={false} required />
          <p>
            <button class="danger" type="submit">
              Delete the service
            </button>
          </p>
        </form>
      </Layout>,
      statusOf(shown.status),
    );
  };

  app.get(
    '/',
    pages.page((c, s) => render(c, s, { notice: noticeOf(c) })),
  );

  /** Whether `given` is the account's console password or its root user's secret. */
  const provesOwnership = async (accountId: string, given: string): Promise<boolean> => {
    if (!given) return false;
    if (await loginPasswordMatches(deps.db, accountId, given)) return true;
    const rootKey = await rootKeyOf(deps.db, accountId);
    const root = rootKey ? await deps.lookupCredential(rootKey) : null;
    return !!root && root.kind === 'root' && timingSafeEqual(root.secret, given);
  };

  app.post(
    '/login',
    pages.action(async (c, s, form) => {
      // a session alone may not change the login (a borrowed browser or a stolen cookie would keep it)
      if (
        (await loginOf(deps.db, s.accountId)) &&
        !(await provesOwnership(s.accountId, form.current ?? ''))
      ) {
        throw new S3Error(
          'AccessDenied',
          'The current password (or root secret access key) you typed is not right; the login is unchanged.',
        );
      }
      await setLogin(deps.db, s.accountId, form.email ?? '', form.password ?? '', s.session.id);
      return c.redirect('/console?done=login-saved', 303);
    }, render),
  );

  app.post(
    '/service/delete',
    pages.action(async (c, s, form) => {
      if ((form.confirm ?? '').trim() !== s.accountId)
        throw new S3Error('InvalidArgument', 'The service id you typed does not match; nothing was deleted.');
      await s.api.deleteService({ body: { confirm: s.accountId } });
      clearSessionCookie(c);
      return c.redirect('/console/sign-in?done=service-deleted', 303);
    }, render),
  );
}
