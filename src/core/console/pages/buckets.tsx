/** The bucket list, and creating a bucket (its storage class is for good, and the page says so). */
import type { Context } from 'hono';
import type { BucketView } from '../../api/contract/buckets.ts';
import { seg } from '../api-client.ts';
import { type ConsoleApp, type Pages, type Shown, type SignedIn, done, noticeOf, statusOf } from '../kit.ts';
import { Csrf, Layout, bytes, count, when } from '../layout.tsx';
import { priceLine } from './prices.tsx';

export const AccessPill = ({ b }: { b: Pick<BucketView, 'accessType'> }) =>
  b.accessType === 'public-read' ? (
    <span class="pill public">public-read</span>
  ) : (
    <span class="pill">private</span>
  );

export function bucketPages(app: ConsoleApp, pages: Pages): void {
  const render = async (c: Context, s: SignedIn, shown: Shown) => {
    const [{ buckets }, info] = await Promise.all([s.api.listBuckets(), s.api.getEndpoint()]);
    const v = shown.values ?? {};
    return c.html(
      <Layout title="Buckets" section="buckets" csrf={s.csrf} notice={shown.notice} error={shown.error}>
        {buckets.length === 0 ? (
          <p>No buckets yet. Create the first one below.</p>
        ) : (
          <table class="stack">
            <caption class="visually-hidden">Your buckets</caption>
            <thead>
              <tr>
                <th>Name</th>
                <th class="num">Size</th>
                <th class="num">Objects</th>
                <th>Class</th>
                <th>Access</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {buckets.map((b) => (
                <tr>
                  <td data-label="Name">
                    <a href={`/console/buckets/${seg(b.name)}`}>{b.name}</a>
                  </td>
                  <td data-label="Size" class="num">
                    {bytes(b.byteCount)}
                  </td>
                  <td data-label="Objects" class="num">
                    {count(b.objectCount)}
                  </td>
                  <td data-label="Class">{b.storageClass}</td>
                  <td data-label="Access">
                    <AccessPill b={b} />
                  </td>
                  <td data-label="Created">{when(b.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form class="card" method="post" action="/console/buckets">
          <h2>Create a bucket</h2>
          <Csrf token={s.csrf} />
          <label for="name">Name</label>
          <input
            id="name"
            name="name"
            type="text"
            required
            minlength={3}
            maxlength={63}
            pattern="[a-z0-9.\-]{3,63}"
            spellcheck={false}
            aria-describedby="name-hint"
            value={v.name ?? ''}
          />
          <p class="hint" id="name-hint">
            3–63 lowercase letters, digits, dots and dashes; it becomes part of your links and cannot be
            renamed.
          </p>
          <fieldset>
            <legend>Storage class</legend>
            <label>
              <input type="radio" name="storageClass" value="STANDARD" checked={v.storageClass !== 'COLD'} />{' '}
              STANDARD — for files that are read often
              <span class="hint price">{priceLine(info, 'STANDARD')}</span>
            </label>
            <label>
              <input type="radio" name="storageClass" value="COLD" checked={v.storageClass === 'COLD'} /> COLD
              — cheaper to keep, costlier to read
              <span class="hint price">{priceLine(info, 'COLD')}</span>
            </label>
            <p class="hint">
              <strong>The storage class cannot be changed later.</strong> To move files to another class,
              create a new bucket and copy them.
            </p>
          </fieldset>
          <fieldset>
            <legend>Access</legend>
            <label>
              <input
                type="radio"
                name="accessType"
                value="private"
                checked={v.accessType !== 'public-read'}
              />{' '}
              Private — only you and your keys
            </label>
            <label>
              <input
                type="radio"
                name="accessType"
                value="public-read"
                checked={v.accessType === 'public-read'}
              />{' '}
              Public-read — anyone with a link can download
            </label>
            <p class="hint">You can switch this at any time.</p>
          </fieldset>
          <p>
            <button type="submit">Create the bucket</button>
          </p>
        </form>
      </Layout>,
      statusOf(shown.status),
    );
  };

  app.get(
    '/buckets',
    pages.page((c, s) => render(c, s, { notice: noticeOf(c) })),
  );

  app.post(
    '/buckets',
    pages.action(async (c, s, form) => {
      const name = (form.name ?? '').trim();
      await s.api.createBucket({
        body: {
          name,
          storageClass: form.storageClass === 'COLD' ? 'COLD' : 'STANDARD',
          accessType: form.accessType === 'public-read' ? 'public-read' : 'private',
        },
      });
      return done(c, `/console/buckets/${seg(name)}`, 'bucket-created');
    }, render),
  );
}
