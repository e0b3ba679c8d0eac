/** Access keys: issue one with scopes and an expiry (its secret shown once), list them, revoke. */
import type { Context } from 'hono';
import { S3Error } from '../../errors.ts';
import type { SecretBox } from '../../secretbox.ts';
import { origin, passOnce, takeOnce } from '../session.ts';
import { IssuedKey } from '../../api/contract/keys.ts';
import { ACTIONS, type Action, type Scope } from '../../auth/scopes.ts';
import { seg } from '../api-client.ts';
import { type ConsoleApp, type Pages, type Shown, type SignedIn, done, noticeOf, statusOf } from '../kit.ts';
import { Csrf, Layout, Secret, when } from '../layout.tsx';

const ACTION_LABELS: [Action, string][] = [
  ['read', 'read (download)'],
  ['list', 'list'],
  ['write', 'write (upload)'],
  ['delete', 'delete'],
  ['admin', 'admin (settings, keys)'],
];
const LIFETIMES: [string, string][] = [
  ['86400', '1 day'],
  ['604800', '7 days'],
  ['2592000', '30 days'],
  ['7776000', '90 days'],
  ['31536000', '1 year'],
];

const isAction = (a: string): a is Action => ACTIONS.some((x) => x === a);

const scopeText = (s: Scope) =>
  `${s.bucket === '*' ? 'all buckets' : s.bucket}${s.prefix ? `/${s.prefix}*` : ''}: ${s.actions.join(', ')}`;

export function keyPages(app: ConsoleApp, pages: Pages, box: SecretBox): void {
  const render = async (c: Context, s: SignedIn, shown: Shown & { issued?: IssuedKey }) => {
    const [{ keys }, { buckets }] = await Promise.all([s.api.listKeys(), s.api.listBuckets()]);
    const v = shown.values ?? {};
    // a form sent back after a refusal keeps what was ticked: no box ticked is none, not the default
    const sent = shown.values !== undefined && 'name' in v;
    const checked = (a: string) => (sent ? (v.actions ?? '') : 'read,list').split(',').includes(a);
    return c.html(
      <Layout title="Access keys" section="keys" csrf={s.csrf} notice={shown.notice} error={shown.error}>
        {shown.issued ? (
          <div class="flash secret" role="alert">
            <p>
              <strong>{`The key "${shown.issued.name}" is ready. Its secret is shown only now`}</strong> —
              copy it to where it will be used.
            </p>
            <Secret label="Endpoint" value={origin(c)} />
            <Secret label="Access key id" value={shown.issued.accessKeyId} />
            <Secret label="Secret access key" value={shown.issued.secretAccessKey} />
            <details>
              <summary>As a bearer token (JWT) for the API and edge verification</summary>
              <Secret label="Token" value={shown.issued.token} />
            </details>
          </div>
        ) : null}
        <p class="hint">
          Keys work with S3 clients (access key id + secret) and the API; each may do only what its scopes
          say, until it expires or is revoked.
        </p>
        {keys.length === 0 ? (
          <p>No access keys yet.</p>
        ) : (
          <table class="stack">
            <caption class="visually-hidden">Your access keys</caption>
            <thead>
              <tr>
                <th>Name</th>
                <th>Key id</th>
                <th>May</th>
                <th>Expires</th>
                <th>Status</th>
                <th>
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr>
                  <td data-label="Name">{k.name}</td>
                  <td data-label="Key id" class="mono">
                    {k.keyId}
                  </td>
                  <td data-label="May">{k.scopes.map(scopeText).join('; ')}</td>
                  <td data-label="Expires">{when(k.expiresAt)}</td>
                  <td data-label="Status">
                    <span class={k.status === 'active' ? 'pill ok' : 'pill bad'}>{k.status}</span>
                  </td>
                  <td data-label="">
                    {k.status === 'revoked' || k.status === 'expired' ? null : (
                      <form
                        class="inline"
                        method="post"
                        action={`/console/keys/${seg(k.keyId)}/revoke`}
                        data-confirm={`Revoke the key "${k.name}"? Whatever uses it stops working.`}
                      >
                        <Csrf token={s.csrf} />
                        <button type="submit" class="secondary" aria-label={`Revoke ${k.name}`}>
                          Revoke
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form class="card" method="post" action="/console/keys">
          <h2>Issue a key</h2>
          <Csrf token={s.csrf} />
          <label for="key-name">Name</label>
          <input
            id="key-name"
            name="name"
            type="text"
            required
            maxlength={100}
            placeholder="website uploads"
            value={v.name ?? ''}
          />
          <label for="key-bucket">Bucket</label>
          <select id="key-bucket" name="bucket">
            <option value="*" selected={(v.bucket ?? '*') === '*'}>
              All buckets
            </option>
            {buckets.map((b) => (
              <option value={b.name} selected={v.bucket === b.name}>
                {b.name}
              </option>
            ))}
          </select>
          <label for="key-prefix">Only keys starting with (optional)</label>
          <input id="key-prefix" name="prefix" type="text" placeholder="uploads/" value={v.prefix ?? ''} />
          <fieldset>
            <legend>May</legend>
            {ACTION_LABELS.map(([a, label]) => (
              <label>
                <input type="checkbox" name="actions" value={a} checked={checked(a)} /> {label}
              </label>
            ))}
          </fieldset>
          <label for="key-lifetime">Expires after</label>
          <select id="key-lifetime" name="lifetime">
            {LIFETIMES.map(([secs, label]) => (
              <option value={secs} selected={(v.lifetime ?? '2592000') === secs}>
                {label}
              </option>
            ))}
          </select>
          <p>
            <button type="submit">Issue the key</button>
          </p>
        </form>
      </Layout>,
      statusOf(shown.status),
    );
  };

  app.get(
    '/keys',
    pages.page(async (c, s) => {
      const once = IssuedKey.safeParse(await takeOnce<unknown>(c, box, s.session, 'key'));
      const issued = once.success ? once.data : undefined;
      return render(c, s, { notice: noticeOf(c), issued });
    }),
  );

  app.post(
    '/keys',
    pages.action(async (c, s, form) => {
      const ticked = (form.actions ?? '').split(',').filter(Boolean);
      if (!ticked.length) throw new S3Error('InvalidArgument', 'Tick at least one thing the key may do.');
      const actions = ticked.filter(isAction);
      if (actions.length < ticked.length)
        throw new S3Error('InvalidArgument', `A key may do only these: ${ACTIONS.join(', ')}.`);
      const scope: Scope = { bucket: form.bucket || '*', actions };
      if (form.prefix?.trim()) scope.prefix = form.prefix.trim();
      const issued = await s.api.createKey({
        body: {
          name: (form.name ?? '').trim(),
          scopes: [scope],
          expiresInSeconds: Number(form.lifetime ?? 2592000),
        },
      });
      await passOnce(c, box, s.session, 'key', issued);
      return c.redirect('/console/keys', 303);
    }, render),
  );

  app.post(
    '/keys/:id/revoke',
    pages.action(async (c, s) => {
      await s.api.revokeKey({ params: { id: c.req.param('id')! } });
      return done(c, '/console/keys', 'key-revoked');
    }, render),
  );
}
