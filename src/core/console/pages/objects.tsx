/**
 * A bucket's objects, folder by folder: upload by drag and drop (each file through a presigned POST
 * form, so it goes straight to S3 with a progress bar), download, delete, public and presigned links.
 */
import type { Context } from 'hono';
import { MAX_KEY_BYTES } from '../../s3/target.ts';
import { seg } from '../api-client.ts';
import { type ConsoleApp, type Pages, type Shown, type SignedIn, done, noticeOf, statusOf } from '../kit.ts';
import { Csrf, Layout, Secret, bytes, when } from '../layout.tsx';
import { origin } from '../session.ts';
import { AccessPill } from './buckets.tsx';

const EXPIRIES: [string, string][] = [
  ['900', '15 minutes'],
  ['3600', '1 hour'],
  ['86400', '1 day'],
  ['604800', '7 days'],
];

/** A key in a URL path: each segment encoded, the slashes kept. */
export const keyPath = (key: string) => key.split('/').map(encodeURIComponent).join('/');

/** A folder is a key's start, so no longer than a key: a longer prefix a form sent names no folder. */
const folder = (prefix: string) => (new TextEncoder().encode(prefix).length > MAX_KEY_BYTES ? '' : prefix);

/** The page of a folder (a bounded URL, whatever prefix a form sent). */
const here = (bucket: string, prefix: string) => {
  const f = folder(prefix);
  return `/console/buckets/${seg(bucket)}${f ? `?prefix=${encodeURIComponent(f)}` : ''}`;
};

export function objectPages(app: ConsoleApp, pages: Pages): void {
  const render = async (
    c: Context,
    s: SignedIn,
    shown: Shown & { link?: { key: string; url: string; expiresAt: string } },
  ) => {
    const name = c.req.param('name')!;
    // bounded: the crumbs below repeat each folder's whole path, which for a 16 KB prefix of slashes
    // would be quadratic (megabytes of page, a stall)
    const asked = c.req.query('prefix') ?? shown.values?.prefix ?? '';
    const prefix = folder(asked);
    const tooLong = `No folder has a name that long (keys are at most ${MAX_KEY_BYTES} bytes).`;
    if (prefix !== asked) shown = { ...shown, error: shown.error ?? tooLong };
    const after = c.req.query('after') ?? '';
    const bucket = await s.api.getBucket({ params: { name } });
    const list = await s.api.listObjects({ params: { name }, query: { prefix, after, limit: '200' } });
    const parts = prefix.split('/').filter(Boolean);
    const isPublic = bucket.accessType === 'public-read';
    return c.html(
      <Layout title={name} section="buckets" csrf={s.csrf} notice={shown.notice} error={shown.error}>
        <div class="card actions" id="bucket-summary">
          <span>{bucket.storageClass}</span> <AccessPill b={bucket} />
          <span class="muted">{`${bytes(bucket.byteCount)} in ${bucket.objectCount} objects`}</span>
          <form class="inline" method="post" action={`/console/buckets/${seg(name)}/access`}>
            <Csrf token={s.csrf} />
            <input type="hidden" name="accessType" value={isPublic ? 'private' : 'public-read'} />
            <input type="hidden" name="back" value={here(name, prefix)} />
            <button class="secondary" type="submit">
              {isPublic ? 'Make private' : 'Make public'}
            </button>
          </form>
          <a class="button secondary" href={`/console/buckets/${seg(name)}/settings`}>
            Settings, domains, CORS
          </a>
        </div>
        {shown.link ? (
          <div class="flash ok" role="status">
            <p>{`A link to ${shown.link.key} that works until ${when(shown.link.expiresAt)}:`}</p>
            <Secret label="Link" value={shown.link.url} />
          </div>
        ) : null}
        <nav aria-label="Folder">
          <ol class="crumbs">
            <li>
              <a href={here(name, '')}>{name}</a>
            </li>
            {parts.map((p, i) => (
              <li>
                <a href={here(name, parts.slice(0, i + 1).join('/') + '/')}>{p}</a>
              </li>
            ))}
          </ol>
        </nav>
        <div id="dropzone" class="drop card" data-bucket={name} data-prefix={prefix}>
          <p>Drop files here to upload them{prefix ? ` into ${prefix}` : ''}, or</p>
          <label for="file-input" class="button">
            Choose files
          </label>
          <input id="file-input" class="visually-hidden" type="file" multiple />
          <ul id="uploads" class="uploads" aria-label="Uploads"></ul>
        </div>
        <div id="objects">
          {list.folders.length === 0 && list.objects.length === 0 ? (
            <p>{prefix ? 'This folder is empty.' : 'This bucket is empty.'}</p>
          ) : (
            <table class="stack">
              <caption class="visually-hidden">{`Objects in ${name}/${prefix}`}</caption>
              <thead>
                <tr>
                  <th>Name</th>
                  <th class="num">Size</th>
                  <th>Modified</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.folders.map((f) => (
                  <tr>
                    <td data-label="Folder" colspan={4}>
                      <a href={here(name, f)}>{`📁 ${f.slice(prefix.length)}`}</a>
                    </td>
                  </tr>
                ))}
                {list.objects.map((o) => {
                  const label = o.key.slice(prefix.length);
                  const publicUrl = `${origin(c)}/${seg(name)}/${keyPath(o.key)}`;
                  return (
                    <tr>
                      <td data-label="Name" class="mono">
                        {label}
                      </td>
                      <td data-label="Size" class="num">
                        {bytes(o.size)}
                      </td>
                      <td data-label="Modified">{when(o.lastModified)}</td>
                      <td data-label="Actions">
                        <div class="actions">
                          <a
                            href={`/console/buckets/${seg(name)}/download?key=${encodeURIComponent(o.key)}`}
                            aria-label={`Download ${label}`}
                          >
                            Download
                          </a>
                          {isPublic ? (
                            <button
                              type="button"
                              class="link"
                              data-copy={publicUrl}
                              aria-label={`Copy the public link of ${label}`}
                            >
                              Copy public link
                            </button>
                          ) : null}
                          <form
                            class="inline actions"
                            method="post"
                            action={`/console/buckets/${seg(name)}/share`}
                          >
                            <Csrf token={s.csrf} />
                            <input type="hidden" name="key" value={o.key} />
                            <input type="hidden" name="prefix" value={prefix} />
                            <select name="expires" aria-label={`How long the link to ${label} works`}>
                              {EXPIRIES.map(([v, t]) => (
                                <option value={v} selected={v === '86400'}>
                                  {t}
                                </option>
                              ))}
                            </select>
                            <button type="submit" class="link">
                              Create link
                            </button>
                          </form>
                          <form
                            class="inline"
                            method="post"
                            action={`/console/buckets/${seg(name)}/delete-object`}
                            data-confirm={`Delete ${o.key}?`}
                          >
                            <Csrf token={s.csrf} />
                            <input type="hidden" name="key" value={o.key} />
                            <input type="hidden" name="prefix" value={prefix} />
                            <button type="submit" class="link" aria-label={`Delete ${label}`}>
                              Delete
                            </button>
                          </form>
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          {list.nextAfter ? (
            <p>
              <a
                href={`${here(name, prefix)}${prefix ? '&' : '?'}after=${encodeURIComponent(list.nextAfter)}`}
              >
                Next page
              </a>
            </p>
          ) : null}
        </div>
      </Layout>,
      statusOf(shown.status),
    );
  };

  app.get(
    '/buckets/:name',
    pages.page((c, s) => render(c, s, { notice: noticeOf(c) })),
  );

  app.post(
    '/buckets/:name/access',
    pages.action(async (c, s, form) => {
      await s.api.updateBucket({
        params: { name: c.req.param('name')! },
        body: { accessType: form.accessType === 'public-read' ? 'public-read' : 'private' },
      });
      const ours = form.back?.startsWith('/console/') && form.back.length <= 2 * MAX_KEY_BYTES;
      const back = ours ? form.back! : `/console/buckets/${seg(c.req.param('name')!)}`;
      return done(c, back, 'access-changed');
    }, render),
  );

  app.post(
    '/buckets/:name/share',
    pages.action(async (c, s, form) => {
      const expires = Number(form.expires ?? 86400);
      const link = await s.api.presignedUrl({
        params: { name: c.req.param('name')! },
        body: { key: form.key ?? '', method: 'GET', expiresInSeconds: expires },
      });
      return render(c, s, { link: { key: form.key ?? '', ...link }, values: form });
    }, render),
  );

  app.post(
    '/buckets/:name/delete-object',
    pages.action(async (c, s, form) => {
      const name = c.req.param('name')!;
      await s.api.deleteObject({ params: { name }, query: { key: form.key ?? '' } });
      return done(c, here(name, form.prefix ?? ''), 'object-deleted');
    }, render),
  );

  app.get(
    '/buckets/:name/download',
    pages.page(async (c, s) => {
      const key = c.req.query('key') ?? '';
      const file = key.split('/').pop() || 'download';
      const link = await s.api.presignedUrl({
        params: { name: c.req.param('name')! },
        body: {
          key,
          method: 'GET',
          expiresInSeconds: 300,
          responseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(file)}`,
        },
      });
      return c.redirect(link.url, 303);
    }),
  );

  app.post(
    '/buckets/:name/upload-form',
    pages.json(async (c, s, body) => {
      const key = typeof body.key === 'string' ? body.key : '';
      const size = typeof body.size === 'number' && body.size >= 0 ? body.size : undefined;
      return s.api.presignedPost({
        params: { name: c.req.param('name')! },
        body: { key, maxSize: size, expiresInSeconds: 3600 },
      });
    }),
  );
}
