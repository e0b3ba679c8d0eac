/**
 * A folder's listing on the bucket page: search by name start, sort, bulk selection (a checkbox per
 * row, tied to the bulk form by its `form` attribute so the row forms stay separate), and paging back
 * and forth. Paging is keyset: Next carries the cursor, and a trail of the cursors before it (bounded;
 * past the bound Previous falls back to the first page).
 */
import type { FC } from 'hono/jsx';
import { MAX_KEY_BYTES } from '../../s3/target.ts';
import { seg } from '../api-client.ts';
import { Csrf, bytes, when } from '../layout.tsx';

/** One listed object, as the API's listObjects gives it. */
interface ObjectView {
  key: string;
  size: number;
  lastModified: string;
}

export type Sort = 'name' | 'size' | 'date';
export const SORTS: [Sort, string][] = [
  ['name', 'Name'],
  ['size', 'Size'],
  ['date', 'Last modified'],
];

/** A key in a URL path: each segment encoded, the slashes kept. */
export const keyPath = (key: string) => key.split('/').map(encodeURIComponent).join('/');

/** A folder is a key's start, so no longer than a key: a longer prefix a form sent names no folder. */
export const folder = (prefix: string) =>
  new TextEncoder().encode(prefix).length > MAX_KEY_BYTES ? '' : prefix;

/** Where the listing is: folder, search (a name start within it), sort, cursor and the trail back. */
export interface Place {
  bucket: string;
  prefix: string;
  search: string;
  sort: Sort;
  desc: boolean;
  after: string;
  trail: string[];
}

/** The longest trail of cursors kept in a URL (characters); older steps back are dropped. */
const TRAIL_CHARS = 4000;

export function placeOf(bucket: string, q: (name: string) => string | undefined, prefix: string): Place {
  const sort = SORTS.some(([s]) => s === q('sort')) ? (q('sort') as Sort) : 'name';
  let trail: string[] = [];
  try {
    const t: unknown = JSON.parse(q('trail') ?? '[]');
    if (Array.isArray(t) && t.every((x) => typeof x === 'string')) trail = t;
  } catch {
    // a mangled trail: Previous leads to the first page
  }
  return {
    bucket,
    prefix,
    search: folder(q('search') ?? ''),
    sort,
    desc: q('order') === 'desc',
    after: q('after') ?? '',
    trail,
  };
}

/** The URL of a place (what is at its defaults left out). */
export function hrefOf(p: Partial<Place> & { bucket: string }): string {
  const q = new URLSearchParams();
  if (p.prefix) q.set('prefix', folder(p.prefix));
  if (p.search) q.set('search', p.search);
  if (p.sort && p.sort !== 'name') q.set('sort', p.sort);
  if (p.desc) q.set('order', 'desc');
  if (p.after) q.set('after', p.after);
  if (p.trail?.length) {
    const trail = [...p.trail];
    while (JSON.stringify(trail).length > TRAIL_CHARS) trail.shift();
    q.set('trail', JSON.stringify(trail));
  }
  return `/console/buckets/${seg(p.bucket)}${q.size ? `?${q}` : ''}`;
}

/** A page's objects in the chosen order (names are listed in order already). */
export function sorted<O extends ObjectView>(objects: O[], sort: Sort, desc: boolean): O[] {
  const by = {
    name: (a: ObjectView, b: ObjectView) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    size: (a: ObjectView, b: ObjectView) => a.size - b.size,
    date: (a: ObjectView, b: ObjectView) => a.lastModified.localeCompare(b.lastModified),
  }[sort];
  const out = [...objects].sort(by);
  return desc ? out.reverse() : out;
}

export const Toolbar: FC<{ place: Place }> = ({ place }) => (
  <form class="card actions toolbar" method="get" action={hrefOf({ bucket: place.bucket })} role="search">
    {place.prefix ? <input type="hidden" name="prefix" value={place.prefix} /> : null}
    <label class="visually-hidden" for="search">
      Names starting with
    </label>
    <input
      id="search"
      name="search"
      type="search"
      placeholder={`Names starting with…`}
      value={place.search}
      spellcheck={false}
    />
    <label class="visually-hidden" for="sort">
      Sort by
    </label>
    <select id="sort" name="sort">
      {SORTS.map(([v, t]) => (
        <option value={v} selected={v === place.sort}>{`Sort by ${t.toLowerCase()}`}</option>
      ))}
    </select>
    <label class="visually-hidden" for="order">
      Order
    </label>
    <select id="order" name="order">
      <option value="asc" selected={!place.desc}>
        Ascending
      </option>
      <option value="desc" selected={place.desc}>
        Descending
      </option>
    </select>
    <button type="submit" class="secondary">
      Search
    </button>
    {place.search ? <a href={hrefOf({ bucket: place.bucket, prefix: place.prefix })}>Clear</a> : null}
  </form>
);

export const Pager: FC<{ place: Place; nextAfter: string | null }> = ({ place, nextAfter }) => {
  const keep = { bucket: place.bucket, prefix: place.prefix, search: place.search, sort: place.sort };
  const first = !place.after;
  const prev = place.trail.length
    ? hrefOf({
        ...keep,
        desc: place.desc,
        after: place.trail[place.trail.length - 1],
        trail: place.trail.slice(0, -1),
      })
    : hrefOf({ ...keep, desc: place.desc });
  return first && !nextAfter ? null : (
    <nav class="actions pager" aria-label="Pages">
      {first ? null : (
        <a class="button secondary" href={prev} rel="prev">
          ← Previous page
        </a>
      )}
      {nextAfter ? (
        <a
          class="button secondary"
          rel="next"
          href={hrefOf({
            ...keep,
            desc: place.desc,
            after: nextAfter,
            trail: first ? [] : [...place.trail, place.after],
          })}
        >
          Next page →
        </a>
      ) : null}
      {place.sort !== 'name' ? <span class="hint">Sorted within this page.</span> : null}
    </nav>
  );
};

/** The table: a checkbox per folder and object (for the bulk form), each name leading to its page. */
export const ObjectTable: FC<{
  place: Place;
  folders: string[];
  objects: ObjectView[];
  csrf: string;
}> = ({ place, folders, objects, csrf }) => {
  const { bucket, prefix } = place;
  const base = `/console/buckets/${seg(bucket)}`;
  return (
    <>
      <form
        id="bulk"
        class="actions bulkbar"
        method="post"
        action={`${base}/delete-selected`}
        data-confirm="Delete the selected objects and folders (with everything in them)?"
      >
        <Csrf token={csrf} />
        <input type="hidden" name="back" value={hrefOf(place)} />
        <label class="inline-check">
          <input type="checkbox" id="select-all" aria-label="Select every row on this page" /> Select all
        </label>
        <button type="submit" class="danger" id="delete-selected">
          Delete selected
        </button>
        <span class="hint" id="selected-count" aria-live="polite"></span>
      </form>
      <table class="stack objects">
        <caption class="visually-hidden">{`Objects in ${bucket}/${prefix}`}</caption>
        <thead>
          <tr>
            <th class="check">
              <span class="visually-hidden">Selected</span>
            </th>
            <th>Name</th>
            <th class="num">Size</th>
            <th>Modified</th>
            <th>
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {folders.map((f, i) => (
            <tr class="folder">
              <td class="check">
                <input
                  type="checkbox"
                  form="bulk"
                  name={`folder:${i}`}
                  value={f}
                  aria-label={`Select folder ${f.slice(prefix.length)}`}
                />
              </td>
              <td data-label="Folder" colspan={4}>
                <a href={hrefOf({ bucket, prefix: f })}>{`📁 ${f.slice(prefix.length)}`}</a>
              </td>
            </tr>
          ))}
          {objects.map((o, i) => {
            const label = o.key.slice(prefix.length);
            return (
              <tr>
                <td class="check">
                  <input
                    type="checkbox"
                    form="bulk"
                    name={`key:${i}`}
                    value={o.key}
                    aria-label={`Select ${label}`}
                  />
                </td>
                <td data-label="Name" class="mono name">
                  <a href={`${base}/object?key=${encodeURIComponent(o.key)}`}>{label}</a>
                </td>
                <td data-label="Size" class="num">
                  {bytes(o.size)}
                </td>
                <td data-label="Modified">{when(o.lastModified)}</td>
                <td class="row-actions">
                  <a
                    href={`${base}/download?key=${encodeURIComponent(o.key)}`}
                    aria-label={`Download ${label}`}
                  >
                    Download
                  </a>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
};
