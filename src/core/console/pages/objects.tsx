/**
 * A bucket's objects, folder by folder: upload files and folders by drag and drop or the pickers
 * (each file through a presigned POST form, so it goes straight to S3 with a progress bar), search,
 * sort, page back and forth, select many and delete them, delete folders, empty the bucket. One
 * object's page is object-details.tsx; the listing's parts are object-list.tsx.
 */
import type { Context } from 'hono';
import { MAX_KEY_BYTES } from '../../s3/target.ts';
import { seg } from '../api-client.ts';
import { type ConsoleApp, type Pages, type Shown, type SignedIn, done, noticeOf, statusOf } from '../kit.ts';
import { Csrf, Layout, bytes } from '../layout.tsx';
import { AccessPill } from './buckets.tsx';
import { BucketAddresses } from './addresses.tsx';
import { refusedPage } from './refused.tsx';
import { ObjectTable, Pager, Toolbar, folder, hrefOf, placeOf, sorted } from './object-list.tsx';

/** Fixed texts for this page's `?done=` (never text from the URL; counts are parsed as numbers). */
const DONE: Record<string, (n: number) => string> = {
  deleted: (n) => (n === 1 ? 'One object was deleted.' : `${n} objects were deleted.`),
  emptied: (n) => `The bucket is empty: ${n} ${n === 1 ? 'object was' : 'objects were'} deleted.`,
  'emptied-partly': (n) =>
    `${n} objects were deleted; more remain (a very large bucket): press "Empty bucket" again.`,
  'folder-made': () =>
    'The folder is ready: upload files into it (an empty folder disappears when you leave).',
};

function noticeHere(c: Context): string | null {
  const d = DONE[c.req.query('done') ?? ''];
  const n = Number(c.req.query('n') ?? 0);
  return d ? d(Number.isSafeInteger(n) && n >= 0 ? n : 0) : noticeOf(c);
}

const countedDone = (c: Context, path: string, what: string, n: number) =>
  c.redirect(`${path}${path.includes('?') ? '&' : '?'}done=${what}&n=${n}`, 303);

/** A path back into the console that a form sent (bounded), or the bucket's page. */
function backOf(form: Record<string, string>, bucket: string): string {
  const b = form.back ?? '';
  return b.startsWith('/console/') && b.length <= 8 * MAX_KEY_BYTES ? b : hrefOf({ bucket });
}

/** Calls of deleteObjects one "Empty bucket" makes at most (each deletes up to 1000 objects). */
const EMPTY_ROUNDS = 200;

export function objectPages(app: ConsoleApp, pages: Pages): void {
  const render = async (c: Context, s: SignedIn, shown: Shown) => {
    const name = c.req.param('name')!;
    // bounded: the crumbs below repeat each folder's whole path, which for a 16 KB prefix of slashes
    // would be quadratic (megabytes of page, a stall)
    const asked = c.req.query('prefix') ?? shown.values?.prefix ?? '';
    const prefix = folder(asked);
    const tooLong = `No folder has a name that long (keys are at most ${MAX_KEY_BYTES} bytes).`;
    if (prefix !== asked) shown = { ...shown, error: shown.error ?? tooLong };
    const place = placeOf(name, (q) => c.req.query(q), prefix);
    const [bucket, list, info, usage] = await Promise.all([
      s.api.getBucket({ params: { name } }),
      s.api.listObjects({
        params: { name },
        query: { prefix: prefix + place.search, after: place.after, limit: '200' },
      }),
      s.api.getEndpoint(),
      s.api.getUsage(),
    ]);
    // the folder's own marker object ("photos/") is the folder, not a file in it
    const objects = sorted(
      list.objects.filter((o) => o.key !== prefix),
      place.sort,
      place.desc,
    );
    const parts = prefix.split('/').filter(Boolean);
    const isPublic = bucket.accessType === 'public-read';
    const free = Math.max(
      0,
      usage.quota.maxBytes - usage.usage.bytes - usage.usage.uploadBytes - usage.usage.reservedBytes,
    );
    return c.html(
      <Layout title={name} section="buckets" csrf={s.csrf} notice={shown.notice} error={shown.error}>
        <div class="card actions" id="bucket-summary">
          <span>{bucket.storageClass}</span> <AccessPill b={bucket} />
          <span class="muted">{`${bytes(bucket.byteCount)} in ${bucket.objectCount} objects`}</span>
          <span class="muted">{`Region ${info.region}`}</span>
          <form
            class="inline"
            method="post"
            action={`/console/buckets/${seg(name)}/access`}
            data-confirm={
              isPublic
                ? undefined
                : `Make every object in ${name} readable by anyone who has its link? ` +
                  'You can make it private again at any time.'
            }
          >
            <Csrf token={s.csrf} />
            <input type="hidden" name="accessType" value={isPublic ? 'private' : 'public-read'} />
            <input type="hidden" name="back" value={hrefOf({ bucket: name, prefix })} />
            <button class="secondary" type="submit">
              {isPublic ? 'Make private' : 'Make public'}
            </button>
          </form>
          <a class="button secondary" href={`/console/buckets/${seg(name)}/settings`}>
            Settings, domains, CORS
          </a>
          <a class="button secondary" href={`/console/buckets/${seg(name)}/log`}>
            Access log
          </a>
        </div>
        <nav aria-label="Folder">
          <ol class="crumbs">
            <li>
              <a href={hrefOf({ bucket: name })}>{name}</a>
            </li>
            {parts.map((p, i) => (
              <li>
                <a href={hrefOf({ bucket: name, prefix: parts.slice(0, i + 1).join('/') + '/' })}>{p}</a>
              </li>
            ))}
          </ol>
        </nav>
        <div
          id="dropzone"
          class="drop card"
          data-bucket={name}
          data-prefix={prefix}
          data-free={String(free)}
          data-max-object={String(usage.quota.maxObjectSize)}
        >
          <p>Drop files or folders here to upload them{prefix ? ` into ${prefix}` : ''}, or</p>
          <div class="actions pickers">
            <input id="file-input" class="visually-hidden" type="file" multiple />
            <label for="file-input" class="button">
              Choose files
            </label>
            <input id="folder-input" class="visually-hidden" type="file" multiple webkitdirectory />
            <label for="folder-input" class="button secondary">
              Choose a folder
            </label>
          </div>
          <p class="hint" id="quota-left">{`Space left in your quota: ${bytes(free)}.`}</p>
          <ul id="uploads" class="uploads" aria-label="Uploads"></ul>
        </div>
        <form class="actions newfolder" method="post" action={`/console/buckets/${seg(name)}/folder`}>
          <Csrf token={s.csrf} />
          <input type="hidden" name="prefix" value={prefix} />
          <label class="visually-hidden" for="folder-name">
            New folder name
          </label>
          <input
            id="folder-name"
            name="folder"
            type="text"
            placeholder="New folder name"
            required
            maxlength={255}
          />
          <button type="submit" class="secondary">
            Create folder
          </button>
        </form>
        <Toolbar place={place} />
        <div id="objects">
          {list.folders.length === 0 && objects.length === 0 ? (
            <p>
              {place.search
                ? `No names start with ${place.search}.`
                : prefix
                  ? 'This folder is empty.'
                  : 'This bucket is empty.'}
            </p>
          ) : (
            <ObjectTable place={place} folders={list.folders} objects={objects} csrf={s.csrf} />
          )}
          <Pager place={place} nextAfter={list.nextAfter} />
        </div>
        <BucketAddresses bucket={bucket} info={info} />
        {bucket.objectCount > 0 ? (
          <details class="card danger-zone">
            <summary>Empty bucket</summary>
            <form method="post" action={`/console/buckets/${seg(name)}/empty`}>
              <Csrf token={s.csrf} />
              <p>
                {`Deletes all ${bucket.objectCount} objects (${bytes(bucket.byteCount)}); ` +
                  'it cannot be undone.'}
              </p>
              <label for="confirm-empty">{`Type the bucket's name (${name}) to confirm`}</label>
              <input id="confirm-empty" name="confirm" type="text" autocomplete="off" spellcheck={false} />
              <p>
                <button type="submit" class="danger">
                  Empty bucket
                </button>
              </p>
            </form>
          </details>
        ) : null}
      </Layout>,
      statusOf(shown.status),
    );
  };

  app.get(
    '/buckets/:name',
    pages.page((c, s) => render(c, s, { notice: noticeHere(c) }).catch((e) => refusedPage(c, s, e))),
  );

  app.post(
    '/buckets/:name/access',
    pages.action(async (c, s, form) => {
      await s.api.updateBucket({
        params: { name: c.req.param('name')! },
        body: { accessType: form.accessType === 'public-read' ? 'public-read' : 'private' },
      });
      return done(c, backOf(form, c.req.param('name')!), 'access-changed');
    }, render),
  );

  app.post(
    '/buckets/:name/delete-object',
    pages.action(async (c, s, form) => {
      const name = c.req.param('name')!;
      await s.api.deleteObject({ params: { name }, query: { key: form.key ?? '' } });
      return done(c, hrefOf({ bucket: name, prefix: folder(form.prefix ?? '') }), 'object-deleted');
    }, render),
  );

  app.post(
    '/buckets/:name/delete-selected',
    pages.action(async (c, s, form) => {
      const name = c.req.param('name')!;
      const keys = Object.entries(form)
        .filter(([k]) => k.startsWith('key:'))
        .map(([, v]) => v);
      const folders = Object.entries(form)
        .filter(([k]) => k.startsWith('folder:'))
        .map(([, v]) => v);
      if (!keys.length && !folders.length)
        return render(c, s, { error: 'Select the objects or folders to delete first.', status: 400 });
      let deleted = 0;
      for (let i = 0; i < keys.length; i += 1000)
        deleted += (await s.api.deleteObjects({ params: { name }, body: { keys: keys.slice(i, i + 1000) } }))
          .deleted;
      for (const prefix of folders) deleted += await deleteAll(s, name, { prefix });
      // the page the user was on may be past the end now: back to the folder's first page
      const back = new URL(backOf(form, name), 'http://x');
      back.searchParams.delete('after');
      back.searchParams.delete('trail');
      return countedDone(c, back.pathname + back.search, 'deleted', deleted);
    }, render),
  );

  app.post(
    '/buckets/:name/empty',
    pages.action(async (c, s, form) => {
      const name = c.req.param('name')!;
      if ((form.confirm ?? '').trim() !== name)
        return render(c, s, {
          error: `Type the bucket's name, ${name}, to confirm emptying it.`,
          status: 400,
        });
      let deleted = 0;
      for (let round = 0; round < EMPTY_ROUNDS; round++) {
        const r = await s.api.deleteObjects({ params: { name }, body: { all: true } });
        deleted += r.deleted;
        if (!r.truncated) return countedDone(c, hrefOf({ bucket: name }), 'emptied', deleted);
      }
      return countedDone(c, hrefOf({ bucket: name }), 'emptied-partly', deleted);
    }, render),
  );

  app.post(
    '/buckets/:name/folder',
    pages.action(async (c, s, form) => {
      const name = c.req.param('name')!;
      const base = folder(form.prefix ?? '');
      const part = (form.folder ?? '').trim().replace(/^\/+|\/+$/g, '');
      if (!part || part.split('/').some((p) => p === '' || p === '.' || p === '..'))
        return render(c, s, { error: 'Name the folder (no empty parts, "." or "..").', status: 400 });
      const path = folder(`${base}${part}/`);
      if (!path) return render(c, s, { error: 'That folder name is too long.', status: 400 });
      // a folder exists once something is in it: the page's script uploads a marker ("name/"), and
      // without the script the folder is shown until the user leaves it
      return c.redirect(`${hrefOf({ bucket: name, prefix: path })}&done=folder-made`, 303);
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

  /** Before an upload: which names exist already (and how big), and the space left in the quota. */
  app.post(
    '/buckets/:name/upload-check',
    pages.json(async (c, s, body) => {
      const name = c.req.param('name')!;
      const keys = (Array.isArray(body.keys) ? body.keys : [])
        .filter((k): k is string => typeof k === 'string' && k.length > 0)
        .slice(0, 1000);
      const existing: Record<string, number> = {};
      await Promise.all(
        keys.map(async (key) => {
          try {
            existing[key] = (await s.api.getObjectDetails({ params: { name }, query: { key } })).size;
          } catch {
            // no such object (or not readable with this key): nothing to overwrite
          }
        }),
      );
      const u = await s.api.getUsage();
      const free = u.quota.maxBytes - u.usage.bytes - u.usage.uploadBytes - u.usage.reservedBytes;
      return {
        existing,
        free: Math.max(0, free),
        maxBytes: u.quota.maxBytes,
        maxObjectSize: u.quota.maxObjectSize,
      };
    }),
  );
}

/** Deletes everything under a prefix (or the whole bucket), a thousand objects per call. */
async function deleteAll(s: SignedIn, name: string, what: { prefix: string }): Promise<number> {
  let deleted = 0;
  for (let round = 0; round < EMPTY_ROUNDS; round++) {
    const r = await s.api.deleteObjects({ params: { name }, body: { prefix: what.prefix } });
    deleted += r.deleted;
    if (!r.truncated) break;
  }
  return deleted;
}
