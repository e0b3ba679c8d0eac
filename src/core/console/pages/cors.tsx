/**
 * The CORS card of a bucket's settings: the rules, each editable and removable, and the form that adds
 * or replaces one. What the form sends is checked here first and refused in plain words (an origin is
 * `*` or a URL's origin such as https://app.example.com, with at most one `*`), so the API's own
 * validation text never reaches the page.
 */
import type { FC } from 'hono/jsx';
import type { CorsRule } from '../../api/contract/objects.ts';
import { S3Error } from '../../errors.ts';
import { Csrf } from '../layout.tsx';

type CorsMethod = CorsRule['allowedMethods'][number];
const METHODS: CorsMethod[] = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];
const isMethod = (m: string): m is CorsMethod => METHODS.some((x) => x === m);
const lines = (text: string | undefined) =>
  (text ?? '')
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter(Boolean);

const refuse = (message: string) => new S3Error('InvalidArgument', message);

/** Why an origin is not one (null: it is). */
function originProblem(o: string): string | null {
  if (o === '*') return null;
  if ((o.match(/\*/g) ?? []).length > 1) return `"${o}" has more than one *; one at most.`;
  let url: URL;
  try {
    url = new URL(o.replace('*', 'wildcard'));
  } catch {
    return `"${o}" is not an origin: write it as https://www.example.com (or * for any site).`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `"${o}" is not a web origin: it starts with http:// or https://.`;
  if (url.origin.replace('wildcard', '*') !== o.replace(/\/$/, ''))
    return `"${o}" has more than an origin: leave out the path, e.g. ${url.origin.replace('wildcard', '*')}.`;
  return null;
}

/** The rules after the form's change: a rule added, replaced (`editRule`) or removed (`removeRule`). */
export function corsRulesAfter(rules: CorsRule[], form: Record<string, string>): CorsRule[] {
  const at = (field: string) => {
    const v = form[field] ?? '';
    const i = /^\d+$/.test(v) ? Number(v) : -1;
    if (!(i >= 0 && i < rules.length))
      throw refuse('That CORS rule is no longer there; reload the page and try again.');
    return i;
  };
  const out = [...rules];
  if (form.removeRule !== undefined) {
    out.splice(at('removeRule'), 1);
    return out;
  }
  const origins = lines(form.origins).map((o) => o.replace(/\/$/, ''));
  if (!origins.length)
    throw refuse('Name at least one origin, such as https://www.example.com (or * for any site).');
  for (const o of origins) {
    const why = originProblem(o);
    if (why) throw refuse(why);
  }
  const methods = lines(form.methods);
  if (!methods.length) throw refuse('Tick at least one method the other site may use (GET, PUT, …).');
  const allowedMethods = methods.filter(isMethod);
  if (allowedMethods.length < methods.length)
    throw refuse(`CORS rules allow only these methods: ${METHODS.join(', ')}.`);
  const maxAgeText = form.maxAge?.trim() ?? '';
  if (maxAgeText && !/^\d{1,9}$/.test(maxAgeText))
    throw refuse('The cache time is a whole number of seconds, such as 3600.');
  const rule: CorsRule = {
    allowedOrigins: origins,
    allowedMethods,
    allowedHeaders: lines(form.headers),
    exposeHeaders: ['ETag'],
    maxAgeSeconds: maxAgeText ? Number(maxAgeText) : undefined,
  };
  if (form.editRule !== undefined) out[at('editRule')] = rule;
  else out.push(rule);
  return out;
}

export const CorsCard: FC<{
  action: string;
  csrf: string;
  rules: CorsRule[];
  /** The rule being edited (`?edit=`), if any. */
  edit: number | null;
  values: Record<string, string>;
}> = ({ action, csrf, rules, edit, values }) => {
  const editing = edit !== null ? rules[edit] : undefined;
  // a form sent back after a refusal shows what was sent: no box ticked is none ticked, not the default
  const sent = values.origins !== undefined;
  const v = {
    origins: values.origins ?? editing?.allowedOrigins.join('\n') ?? '',
    methods: sent ? (values.methods ?? '') : (editing?.allowedMethods.join(',') ?? 'GET,HEAD'),
    headers: values.headers ?? editing?.allowedHeaders.join('\n') ?? '',
    maxAge: values.maxAge ?? (editing ? String(editing.maxAgeSeconds ?? '') : '3600'),
  };
  const editAt = values.editRule ?? (editing ? String(edit) : undefined);
  return (
    <div class="card" id="cors">
      <h2>CORS rules</h2>
      <p class="hint">
        Which other sites' scripts may use this bucket from a browser (uploads from your web app, fonts,
        fetch). Without rules, they may not.
      </p>
      {rules.length === 0 ? (
        <p>No rules.</p>
      ) : (
        <ul>
          {rules.map((r, i) => (
            <li>
              <span class="mono">{`${r.allowedMethods.join(', ')} from ${r.allowedOrigins.join(', ')}`}</span>
              {r.allowedHeaders.length ? (
                <span class="muted small">{` · headers ${r.allowedHeaders.join(', ')}`}</span>
              ) : null}
              {r.maxAgeSeconds !== undefined ? (
                <span class="muted small">{` · cached ${r.maxAgeSeconds}s`}</span>
              ) : null}{' '}
              <a href={`?edit=${i}#cors`} aria-label={`Edit the rule for ${r.allowedOrigins.join(', ')}`}>
                Edit
              </a>
              <form class="inline" method="post" action={action}>
                <Csrf token={csrf} />
                <input type="hidden" name="removeRule" value={String(i)} />
                <button type="submit" class="link">
                  Remove
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
      <form method="post" action={action}>
        <h3>{editAt !== undefined ? 'Edit the rule' : 'Add a rule'}</h3>
        <Csrf token={csrf} />
        {editAt !== undefined ? <input type="hidden" name="editRule" value={editAt} /> : null}
        <label for="origins">Allowed origins (one per line; * for any)</label>
        <textarea id="origins" name="origins" required placeholder="https://www.example.com">
          {v.origins}
        </textarea>
        <fieldset>
          <legend>Allowed methods</legend>
          {METHODS.map((m) => (
            <label>
              <input type="checkbox" name="methods" value={m} checked={v.methods.split(',').includes(m)} />{' '}
              {m}
            </label>
          ))}
        </fieldset>
        <label for="headers">Allowed request headers (one per line; * for any)</label>
        <textarea id="headers" name="headers">
          {v.headers}
        </textarea>
        <label for="maxAge">Browsers may cache the answer for (seconds)</label>
        <input id="maxAge" name="maxAge" type="number" min={0} value={v.maxAge} />
        <p class="actions">
          <button type="submit">{editAt !== undefined ? 'Save the rule' : 'Add the rule'}</button>
          {editAt !== undefined ? <a href="?#cors">Cancel</a> : null}
        </p>
      </form>
    </div>
  );
};
