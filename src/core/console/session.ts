/**
 * Console sessions on the wire: the cookie (the session id sealed with AES-GCM under the server key,
 * so it is both signed and opaque; HttpOnly, SameSite=Strict, Secure over HTTPS, scoped to /console),
 * and the CSRF rule: every state-changing request carries the session's token (a form field or the
 * x-csrf-token header) and, when the browser says where it comes from, comes from this origin.
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Db } from '../db/index.ts';
import { timingSafeEqual } from '../digests.ts';
import { S3Error } from '../errors.ts';
import { type Session, SESSION_MS, findSession } from '../model/console-auth.ts';
import type { SecretBox } from '../secretbox.ts';

const COOKIE = 'qoima_console';
const BOUND_TO = 'qoima-console-session';

export async function setSessionCookie(c: Context, box: SecretBox, s: Session): Promise<void> {
  setCookie(c, COOKIE, await box.seal(s.id, BOUND_TO), {
    path: '/console', httpOnly: true, sameSite: 'Strict', secure: new URL(c.req.url).protocol === 'https:', maxAge: SESSION_MS / 1000,
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, COOKIE, { path: '/console' });
}

/** The session the request's cookie names, if it is genuine and current. */
export async function sessionFrom(c: Context, db: Db, box: SecretBox): Promise<Session | null> {
  const sealed = getCookie(c, COOKIE);
  if (!sealed) return null;
  let id: string;
  try {
    id = await box.open(sealed, BOUND_TO);
  } catch {
    return null; // forged, or sealed under another server key
  }
  return findSession(db, id);
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null; // "null" (sandboxed pages, privacy modes): the CSRF token decides
  }
}

/** Refuses a request the browser says another site sent (sign-in too: no signing victims into our account). */
export function checkSameOrigin(c: Context): void {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') throw new S3Error('AccessDenied', 'This form was sent from another site; open the console and try again.');
  const origin = c.req.header('origin');
  if (origin && origin !== new URL(c.req.url).origin && hostOf(origin) !== null && hostOf(origin) !== c.req.header('host')) {
    throw new S3Error('AccessDenied', 'This form was sent from another site; open the console and try again.');
  }
}

/** Refuses a state-changing request that does not prove it comes from our own pages. */
export function checkCsrf(c: Context, session: Session, formToken: string | undefined): void {
  checkSameOrigin(c);
  const given = formToken ?? c.req.header('x-csrf-token') ?? '';
  if (!timingSafeEqual(given, session.csrf)) throw new S3Error('AccessDenied', 'The page was open too long or came from elsewhere; reload it and try again.');
}

/**
 * Secrets shown once, after a redirect (so reloading the page neither shows them again nor repeats the
 * form): sealed into a cookie that lives a minute, read once, then deleted.
 */
export async function passOnce(c: Context, box: SecretBox, name: string, value: object): Promise<void> {
  setCookie(c, `qoima_once_${name}`, await box.seal(JSON.stringify(value), `qoima-once-${name}`), {
    path: '/console', httpOnly: true, sameSite: 'Strict', secure: new URL(c.req.url).protocol === 'https:', maxAge: 60,
  });
}

export async function takeOnce<T>(c: Context, box: SecretBox, name: string): Promise<T | null> {
  const sealed = getCookie(c, `qoima_once_${name}`);
  if (!sealed) return null;
  deleteCookie(c, `qoima_once_${name}`, { path: '/console' });
  try {
    return JSON.parse(await box.open(sealed, `qoima-once-${name}`)) as T;
  } catch {
    return null;
  }
}
