/**
 * One object's page: a preview (image, video, audio, PDF, the start of a text), its metadata, and its
 * addresses with copy buttons: public URL, website URL, and a presigned link. Creating a link is a
 * POST that redirects to this page with the expiry in the URL (POST-redirect-GET): a reload signs a
 * fresh link instead of sending the form again.
 */
import type { Context } from 'hono';
import type { FC } from 'hono/jsx';
import type { ObjectDetails } from '../../api/contract/object-tools.ts';
import { seg } from '../api-client.ts';
import type { ConsoleApp, Pages, Shown, SignedIn } from '../kit.ts';
import { noticeOf, statusOf } from '../kit.ts';
import { Csrf, Layout, Secret, bytes, money, when } from '../layout.tsx';
import { websiteUrl } from './addresses.tsx';
import { hrefOf, keyPath } from './object-list.tsx';
import { refusedPage } from './refused.tsx';

const EXPIRIES: [string, string][] = [
  ['900', '15 minutes'],
  ['3600', '1 hour'],
  ['86400', '1 day'],
  ['604800', '7 days'],
];

type Kind = 'image' | 'video' | 'audio' | 'pdf' | 'text' | null;

function kindOf(contentType: string | null): Kind {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (t.startsWith('image/')) return 'image';
  if (t.startsWith('video/')) return 'video';
  if (t.startsWith('audio/')) return 'audio';
  if (t === 'application/pdf') return 'pdf';
  if (t.startsWith('text/') || /^application\/(json|xml|javascript|x-ndjson|yaml)$/.test(t)) return 'text';
  return null;
}

const Preview: FC<{ kind: Kind; url: string; name: string }> = ({ kind, url, name }) => {
  switch (kind) {
    case 'image':
      return <img class="preview" src={url} alt={`Preview of ${name}`} />;
    case 'video':
      return (
        <video class="preview" src={url} controls preload="metadata" aria-label={`Preview of ${name}`} />
      );
    case 'audio':
      return <audio src={url} controls preload="metadata" aria-label={`Preview of ${name}`} />;
    case 'pdf':
      return <iframe class="preview pdf" src={url} title={`Preview of ${name}`} />;
    case 'text':
      return (
        <pre class="preview text" data-preview-text={url} aria-label={`The start of ${name}`}>
          <a href={url}>Open the text</a>
        </pre>
      );
    default:
      return <p class="muted">No preview for this type of file; download it to open it.</p>;
  }
};

const Row: FC<{ label: string; value: string | null; copy?: boolean }> = ({ label, value, copy }) => (
  <tr>
    <th scope="row">{label}</th>
    <td class="mono">
      {value ?? <span class="muted">—</span>}
      {copy && value ? (
        <>
          {' '}
          <button type="button" class="link" data-copy={value} aria-label={`Copy the ${label}`}>
            Copy
          </button>
        </>
      ) : null}
    </td>
  </tr>
);

export function objectDetailPages(app: ConsoleApp, pages: Pages): void {
  const render = async (c: Context, s: SignedIn, shown: Shown) => {
    const name = c.req.param('name')!;
    const key = c.req.query('key') ?? shown.values?.key ?? '';
    const [bucket, info] = await Promise.all([s.api.getBucket({ params: { name } }), s.api.getEndpoint()]);
    const o: ObjectDetails = await s.api.getObjectDetails({ params: { name }, query: { key } });
    const asked = c.req.query('link') ?? '';
    const linkSeconds = EXPIRIES.some(([v]) => v === asked) ? Number(asked) : null;
    const [view, link] = await Promise.all([
      s.api.presignedUrl({ params: { name }, body: { key, method: 'GET', expiresInSeconds: 3600 } }),
      linkSeconds
        ? s.api.presignedUrl({
            params: { name },
            body: { key, method: 'GET', expiresInSeconds: linkSeconds },
          })
        : null,
    ]);
    const folderOf = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
    const file = key.slice(folderOf.length);
    const isPublic = bucket.accessType === 'public-read';
    const web = bucket.website ? websiteUrl(name, info) : null;
    const cold = bucket.storageClass === 'COLD';
    const perGiB = info.prices.retrievalPerGiB[bucket.storageClass];
    const thisFile = Math.ceil((o.size / 2 ** 30) * perGiB);
    return c.html(
      <Layout title={file} section="buckets" csrf={s.csrf} notice={shown.notice} error={shown.error}>
        <p>
          <a href={hrefOf({ bucket: name, prefix: folderOf })}>{`← ${name}/${folderOf}`}</a>
        </p>
        {link ? (
          <div class="flash ok" role="status">
            <p>{`A link to ${file} that works until ${when(link.expiresAt)}:`}</p>
            <Secret label="Link" value={link.url} />
          </div>
        ) : null}
        <div class="details">
          <section class="card" aria-labelledby="preview-title">
            <h2 id="preview-title">Preview</h2>
            <Preview kind={kindOf(o.contentType)} url={view.url} name={file} />
          </section>
          <section class="card" aria-labelledby="meta-title">
            <h2 id="meta-title">Details</h2>
            <table class="meta">
              <tbody>
                <Row label="Key" value={o.key} copy />
                <Row label="Size" value={`${bytes(o.size)} (${o.size.toLocaleString('en-US')} bytes)`} />
                <Row label="Content-Type" value={o.contentType} />
                <Row label="ETag" value={o.etag} copy />
                <Row label="Cache-Control" value={o.cacheControl} />
                <Row label="Content-Disposition" value={o.contentDisposition} />
                <Row label="Storage class" value={o.storageClass} />
                <Row label="Last modified" value={when(o.lastModified)} />
                {Object.entries(o.metadata).map(([k, v]) => (
                  <Row label={`x-amz-meta-${k}`} value={v} />
                ))}
                {isPublic ? (
                  <Row label="Public URL" value={`${info.endpoint}/${seg(name)}/${keyPath(key)}`} copy />
                ) : null}
                {web ? <Row label="Website URL" value={`${web}${keyPath(key)}`} copy /> : null}
              </tbody>
            </table>
            <div class="actions">
              <a
                class="button"
                href={`/console/buckets/${seg(name)}/download?key=${encodeURIComponent(key)}`}
              >
                Download
              </a>
              <form
                class="inline"
                method="post"
                action={`/console/buckets/${seg(name)}/delete-object`}
                data-confirm={`Delete ${key}?`}
              >
                <Csrf token={s.csrf} />
                <input type="hidden" name="key" value={key} />
                <input type="hidden" name="prefix" value={folderOf} />
                <button type="submit" class="danger">
                  Delete
                </button>
              </form>
            </div>
            {cold ? (
              <p class="hint" id="retrieval-note">
                {'This bucket is COLD: reading its objects out is charged ' +
                  `${money(perGiB, info.prices.currency)} ` +
                  `per GiB retrieved (this file: about ${money(thisFile, info.prices.currency)}), ` +
                  'besides the request.'}
              </p>
            ) : null}
            <form class="actions" method="post" action={`/console/buckets/${seg(name)}/share`}>
              <Csrf token={s.csrf} />
              <input type="hidden" name="key" value={key} />
              <label for="expires">Presigned link valid for</label>
              <select id="expires" name="expires">
                {EXPIRIES.map(([v, t]) => (
                  <option value={v} selected={v === (linkSeconds ? String(linkSeconds) : '86400')}>
                    {t}
                  </option>
                ))}
              </select>
              <button type="submit" class="secondary">
                Create link
              </button>
            </form>
          </section>
        </div>
      </Layout>,
      statusOf(shown.status),
    );
  };

  app.get(
    '/buckets/:name/object',
    pages.page((c, s) => render(c, s, { notice: noticeOf(c) }).catch((e) => refusedPage(c, s, e))),
  );

  app.post(
    '/buckets/:name/share',
    pages.action(async (c, s, form) => {
      const name = c.req.param('name')!;
      const expires = EXPIRIES.some(([v]) => v === form.expires) ? form.expires! : '86400';
      const key = form.key ?? '';
      // checked now, so a refusal is shown on this form rather than on the page it leads to
      await s.api.presignedUrl({
        params: { name },
        body: { key, method: 'GET', expiresInSeconds: Number(expires) },
      });
      const q = new URLSearchParams({ key, link: expires });
      return c.redirect(`/console/buckets/${seg(name)}/object?${q}`, 303);
    }, render),
  );

  // a bookmarked or reloaded form target: the bucket, not "No such page."
  app.get(
    '/buckets/:name/share',
    pages.page(async (c) => c.redirect(hrefOf({ bucket: c.req.param('name')! }), 303)),
  );
}
