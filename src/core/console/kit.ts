/**
 * The console's kit, shared by the wiring (index.ts) and the pages: what the console is given, what a
 * signed-in request carries, how a page, a form's target and a script's JSON call are wrapped
 * (`pagesFor`), and reading forms within a bound. It imports no page and no wiring.
 */
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError } from '../api/contract/client.ts';
import type { Credential } from '../auth/authenticate.ts';
import type { Db } from '../db/index.ts';
import { S3Error, isS3Error } from '../errors.ts';
import { type Session, rootKeyOf } from '../model/console-auth.ts';
import { readSmallBody } from '../http/body.ts';
import type { AccountLimits } from '../model/fair-use.ts';
import type { SecretBox } from '../secretbox.ts';
import { type Api, type ApiFetch, apiFor } from './api-client.ts';
import { NOTICES } from './layout.tsx';
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
export type ConsoleEnv = { requestId?: string; clientAddress?: string };

/** The context variable naming the account a request is signed in as (for the log row). */
export const SIGNED_IN = 'signedInAccount';
export type ConsoleApp = Hono<{ Bindings: ConsoleEnv }>;
type ConsoleContext = Context<{ Bindings: ConsoleEnv }>;

/** A signed-in request: the session, and the API as the service's root user. */
export interface SignedIn {
  session: Session;
  api: Api;
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

export type Pages = {
  /** A page for signed-in users; others go to the sign-in page and come back. */
  page(handler: (c: Context, s: SignedIn) => Promise<Response>): (c: ConsoleContext) => Promise<Response>;
  /**
   * A form's target: the CSRF check, then the action; a refusal shows the page again with the
   * message and what was typed (never a stack trace).
   */
  action(
    handler: (c: Context, s: SignedIn, form: Record<string, string>) => Promise<Response>,
    render: Render,
  ): (c: ConsoleContext) => Promise<Response>;
  /** A JSON endpoint for the page's script (header CSRF token). */
  json(
    handler: (c: Context, s: SignedIn, body: Record<string, unknown>) => Promise<object>,
  ): (c: ConsoleContext) => Promise<Response>;
};

export function noticeOf(c: Context): string | null {
  return NOTICES[c.req.query('done') ?? ''] ?? null;
}

export const done = (c: Context, path: string, notice: keyof typeof NOTICES) =>
  c.redirect(`${path}${path.includes('?') ? '&' : '?'}done=${notice}`, 303);

/** A page's HTTP status: a refusal's (4xx, 5xx) or 200. */
export function statusOf(status: number | undefined): ContentfulStatusCode {
  return isContentful(status) ? status : 200;
}

function isContentful(n: number | undefined): n is ContentfulStatusCode {
  return n !== undefined && Number.isInteger(n) && n >= 200 && n <= 599 && ![204, 205, 304].includes(n);
}

/** The message a refusal shows, in words; anything else is ours and is logged, not shown. */
export function messageOf(e: unknown): { message: string; status: ContentfulStatusCode } {
  if (e instanceof ApiError) return { message: e.message, status: statusOf(e.status) };
  if (isS3Error(e)) return { message: e.message, status: statusOf(e.status) };
  throw e;
}

export function pagesFor(deps: ConsoleDeps): Pages {
  /** The signed-in request, or null (the caller redirects to the sign-in page). */
  const signedIn = async (c: ConsoleContext): Promise<SignedIn | null> => {
    const session = await sessionFrom(c, deps.db, deps.box);
    if (!session) return null;
    const rootKey = await rootKeyOf(deps.db, session.accountId);
    if (!rootKey) return null; // the service was deleted
    (c as Context).set(SIGNED_IN, session.accountId);
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
      api: apiFor(deps.api, principal, origin(c), c.env?.requestId ?? ''),
    };
  };

  return {
    page(handler) {
      return async (c) => {
        const s = await signedIn(c);
        if (!s)
          return c.redirect(`/console/sign-in?next=${encodeURIComponent(new URL(c.req.url).pathname)}`, 303);
        return handler(c, s);
      };
    },
    action(handler, render) {
      return async (c) => {
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
    json(handler) {
      return async (c) => {
        const s = await signedIn(c);
        if (!s)
          return c.json(
            { error: { code: 'AccessDenied', message: 'Your session has ended; sign in again.' } },
            403,
          );
        checkCsrf(c, s.session, undefined);
        const body = jsonOf(await boundedBody(c.req.raw, MAX_FORM));
        try {
          return c.json(await handler(c, s, body));
        } catch (e) {
          const { message, status } = messageOf(e);
          return c.json({ error: { message } }, status);
        }
      };
    },
  };
}

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
    return isRecord(v) ? v : {};
  } catch {
    return {};
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
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

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
