/**
 * The personal cabinet at /console: server-rendered pages (hono/jsx) over the JSON API, a session
 * cookie, CSRF tokens on every form. Sign-in and sign-up are here; each section lives in pages/.
 */
import { type Context, Hono } from 'hono';
import type { Credential } from '../auth/authenticate.ts';
import type { Db } from '../db/index.ts';
import { readSmallBody } from '../s3/body.ts';
import { S3Error, isS3Error } from '../errors.ts';
import { type Session, rootKeyOf } from '../model/console-auth.ts';
import type { AccountLimits } from '../s3/fairuse.ts';
import type { SecretBox } from '../secretbox.ts';
import type { RequestRecord } from '../log/request-log.ts';
import { ApiClient, ApiError, type ApiFetch } from './api-client.ts';
import { CSS, JS } from './assets.ts';
import { NOTICES } from './layout.tsx';
import { authPages } from './pages/auth.tsx';
import { bucketPages } from './pages/buckets.tsx';
import { objectPages } from './pages/objects.tsx';
import { settingsPages } from './pages/settings.tsx';
import { keyPages } from './pages/keys.tsx';
import { overviewPages } from './pages/overview.tsx';
import { usagePages } from './pages/usage.tsx';
import { termsPages } from './pages/terms.tsx';
import { checkCsrf, origin, sessionFrom } from './session.ts';

export interface ConsoleDeps {
  db: Db;
  box: SecretBox;
  lookupCredential: (accessKeyId: string) => Promise<Credential | null>;
  /** The JSON API, called directly (no network) as the signed-in user. */
  api: ApiFetch;
  accountLimits: AccountLimits;
  trialDays: number;
  /** Whether anyone may create a service from the sign-in page. */
  signup: boolean;
  /** Failed sign-ins and sign-ups one client address may have in a quarter hour. */
  failuresPerAddress: number;
}

/** What the app hands the console with each request (`clientAddress`: as the runtime knows it). */
export type ConsoleEnv = { requestId?: string; record?: RequestRecord; clientAddress?: string };
export type ConsoleApp = Hono<{ Bindings: ConsoleEnv }>;

/** A signed-in request: the session, and the API as the service's root user. */
export interface SignedIn {
  session: Session;
  api: ApiClient;
  accountId: string;
  csrf: string;
}

/** What a page shows besides its data: a message and the values of a form sent back. */
export interface Shown {
  notice?: string | null;
  error?: string | null;
  status?: number;
  values?: Record<string, string>;
}

export type Render = (c: Context, s: SignedIn, shown: Shown) => Promise<Response>;

export function noticeOf(c: Context): string | null {
  return NOTICES[c.req.query('done') ?? ''] ?? null;
}

export const done = (c: Context, path: string, notice: keyof typeof NOTICES) =>
  c.redirect(`${path}${path.includes('?') ? '&' : '?'}done=${notice}`, 303);

/** The message a refusal shows, in words; anything else is ours and is logged, not shown. */
export function messageOf(e: unknown): { message: string; status: number } {
  if (e instanceof ApiError) return { message: e.message, status: e.status };
  if (isS3Error(e)) return { message: e.message, status: e.status };
  throw e;
}

export function consoleApp(deps: ConsoleDeps): ConsoleApp {
  const app: ConsoleApp = new Hono<{ Bindings: ConsoleEnv }>({ strict: false }).basePath('/console');

  app.use('*', async (c, next) => {
    await next();
    c.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    );
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'same-origin');
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
    const record = c.env?.record;
    if (record && !record.operation?.startsWith('Console')) record.operation = `Console ${c.req.method}`;
  });

  app.get('/assets/app.css', (c) =>
    c.body(CSS, 200, {
      'content-type': 'text/css; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
    }),
  );
  app.get('/assets/app.js', (c) =>
    c.body(JS, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
    }),
  );

  /** The signed-in request, or null (the caller redirects to the sign-in page). */
  const signedIn = async (c: Context<{ Bindings: ConsoleEnv }>): Promise<SignedIn | null> => {
    const session = await sessionFrom(c, deps.db, deps.box);
    if (!session) return null;
    const rootKey = await rootKeyOf(deps.db, session.accountId);
    if (!rootKey) return null; // the service was deleted
    if (c.env?.record) Object.assign(c.env.record, { accountId: session.accountId, auth: 'console' });
    const principal = {
      kind: 'root' as const,
      accountId: session.accountId,
      accessKeyId: rootKey,
      via: 'header' as const,
      scopes: null,
    };
    return {
      session,
      accountId: session.accountId,
      csrf: session.csrf,
      api: new ApiClient(deps.api, principal, origin(c), c.env?.requestId ?? ''),
    };
  };

  const pages = {
    /** A page for signed-in users; others go to the sign-in page and come back. */
    page(handler: (c: Context, s: SignedIn) => Promise<Response>) {
      return async (c: Context<{ Bindings: ConsoleEnv }>) => {
        const s = await signedIn(c);
        if (!s)
          return c.redirect(`/console/sign-in?next=${encodeURIComponent(new URL(c.req.url).pathname)}`, 303);
        return handler(c, s);
      };
    },
    /**
     * A form's target: the CSRF check, then the action; a refusal shows the page again with the
     * message and what was typed (never a stack trace).
     */
    action(
      handler: (c: Context, s: SignedIn, form: Record<string, string>) => Promise<Response>,
      render: Render,
    ) {
      return async (c: Context<{ Bindings: ConsoleEnv }>) => {
        const s = await signedIn(c);
        if (!s) return c.redirect('/console/sign-in', 303);
        const form = await formOf(c);
        checkCsrf(c, s.session, form._csrf);
        try {
          return await handler(c, s, form);
        } catch (e) {
          const { message, status } = messageOf(e);
          return render(c, s, { error: message, status, values: form });
        }
      };
    },
    /** A JSON endpoint for the page's script (header CSRF token). */
    json(handler: (c: Context, s: SignedIn, body: Record<string, unknown>) => Promise<unknown>) {
      return async (c: Context<{ Bindings: ConsoleEnv }>) => {
        const s = await signedIn(c);
        if (!s)
          return c.json(
            { error: { code: 'AccessDenied', message: 'Your session has ended; sign in again.' } },
            403,
          );
        checkCsrf(c, s.session, undefined);
        const body = jsonOf(await boundedBody(c.req.raw, MAX_FORM));
        try {
          return c.json((await handler(c, s, body)) as object);
        } catch (e) {
          const { message, status } = messageOf(e);
          return c.json({ error: { message } }, status as 400);
        }
      };
    },
  };

  app.onError((err, c) => {
    const known = err instanceof ApiError || isS3Error(err);
    if (!known) console.error(`qoima: console error on ${c.req.method} ${c.req.path}`, err);
    const e = known
      ? messageOf(err)
      : { message: 'Something went wrong on our side; please try again.', status: 500 };
    return c.html(
      `<!doctype html><meta charset="utf-8"><title>Qoima</title><p>${escapeHtml(e.message)}</p><p><a href="/console">Back to the console</a></p>`,
      e.status as 400,
    );
  });

  authPages(app, deps, pages);
  overviewPages(app, deps, pages);
  bucketPages(app, pages);
  objectPages(app, pages);
  settingsPages(app, pages);
  keyPages(app, pages, deps.box);
  usagePages(app, pages);
  termsPages(app, pages);
  app.notFound((c) =>
    c.html(
      '<!doctype html><meta charset="utf-8"><title>Not found · Qoima</title><p>No such page.</p><p><a href="/console">Back to the console</a></p>',
      404,
    ),
  );
  return app;
}

export type Pages = {
  page(
    handler: (c: Context, s: SignedIn) => Promise<Response>,
  ): (c: Context<{ Bindings: ConsoleEnv }>) => Promise<Response>;
  action(
    handler: (c: Context, s: SignedIn, form: Record<string, string>) => Promise<Response>,
    render: Render,
  ): (c: Context<{ Bindings: ConsoleEnv }>) => Promise<Response>;
  json(
    handler: (c: Context, s: SignedIn, body: Record<string, unknown>) => Promise<unknown>,
  ): (c: Context<{ Bindings: ConsoleEnv }>) => Promise<Response>;
};

const MAX_FORM = 1024 * 1024;

/**
 * The request's body, refused as soon as it passes `limit` bytes, whatever Content-Length says (a
 * chunked body has none): nobody can make the console buffer more than that.
 */
function boundedBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers.get('content-length');
  if (!req.body) return Promise.resolve(new Uint8Array());
  return readSmallBody(
    { chunks: req.body, length: declared === null ? null : Number(declared) },
    limit,
    () => new S3Error('EntityTooLarge', 'This form is larger than the console accepts (1 MiB).'),
  );
}

function jsonOf(bytes: Uint8Array): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A form's fields (urlencoded or multipart; files are dropped), read within MAX_FORM. */
export async function formOf(c: Context): Promise<Record<string, string>> {
  const type = c.req.header('content-type') ?? '';
  const bytes = await boundedBody(c.req.raw, MAX_FORM);
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return {};
  let form: FormData;
  try {
    form = await new Response(bytes as BodyInit, { headers: { 'content-type': type } }).formData();
  } catch {
    throw new S3Error('MalformedPOSTRequest', 'The form could not be read; reload the page and try again.');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of form) {
    if (typeof v === 'string') out[k] = k in out ? `${out[k]},${v}` : v;
  }
  return out;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
