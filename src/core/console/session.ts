/**
 * Console cookies on the wire: the session (its id sealed with AES-GCM under the server key, so it is
 * signed and opaque) and the one-minute cookies that carry secrets shown once; HttpOnly,
 * SameSite=Strict. And the CSRF rule: every state-changing request carries the session's token (a
 * form field or the x-csrf-token header) and, when the browser says where it comes from, comes from
 * this origin.
 *
 * Cookie tossing: a page on another host under a parent domain of the console's (a customer's bucket
 * at <bucket>.<domain>, the console at <domain>) can set cookies for that parent domain, and the
 * browser sends a cookie with a longer Path first. So:
 *  - over HTTPS the names carry the __Host- prefix (Secure, Path=/, no Domain): a browser takes such a
 *    cookie only from this very host, so no other host can set or shadow ours;
 *  - a Cookie header that carries one of our names twice is someone else's doing: the request counts as
 *    signed out and every copy it could carry is deleted (a tossed cookie can end a session, not swap it);
 *  - values are sealed for the origin they were issued on, the one-minute ones for the session too, so
 *    a value issued elsewhere or to someone else opens to nothing.
 * Over plain HTTP a neighbour can still sign a browser that has no session into the neighbour's own
 * service; the README says so, and recommends HTTPS or a site of its own for the console.
 */
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import type { Db } from '../db/index.ts';
import { timingSafeEqual } from '../digests.ts';
import { S3Error } from '../errors.ts';
import { type Session, SESSION_MS, findSession } from '../model/console-auth.ts';
import type { SecretBox } from '../secretbox.ts';

const SESSION = 'qoima_console';
const ONCE = 'qoima_once_';

/** Where the browser reached us (the Host it sent), or the URL's own origin when that Host is not a host. */
export function origin(c: Context): string {
  const url = new URL(c.req.url);
  const host = c.req.header('host');
  if (host) {
    try {
      const asSent = new URL(`${url.protocol}//${host}`);
      if (asSent.host === host.toLowerCase()) return asSent.origin;
    } catch {
      // not a host name: fall through
    }
  }
  return url.origin;
}

/** A cookie's name and attributes on this request's scheme. */
function placement(c: Context, name: string): { name: string; options: CookieOptions } {
  const base = { httpOnly: true, sameSite: 'Strict' } as const;
  return new URL(c.req.url).protocol === 'https:'
    ? { name: `__Host-${name}`, options: { ...base, path: '/', secure: true } }
    : { name, options: { ...base, path: '/console' } };
}

/** Every value the Cookie header gives `name` (one per stored cookie the browser found matching). */
function valuesOf(header: string, name: string): string[] {
  const out: string[] = [];
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq >= 0 && pair.slice(0, eq).trim() === name) out.push(pair.slice(eq + 1).trim());
  }
  return out;
}

/** Our cookie `name`, or null; sent twice, it is nobody's and every copy is deleted. */
function readCookie(c: Context, name: string): string | null {
  const { name: wire, options } = placement(c, name);
  const values = valuesOf(c.req.header('cookie') ?? '', wire);
  if (values.length <= 1) return values[0] ?? null;
  if (options.secure) {
    deleteCookie(c, wire, options); // a __Host- cookie has one place only
    return null;
  }
  // the header does not say where each copy came from: delete it wherever one could be stored
  const paths = pathsTo(new URL(c.req.url).pathname);
  for (const domain of [undefined, ...domainsOf(new URL(origin(c)).hostname)]) {
    for (const path of paths) deleteCookie(c, wire, { ...options, path, domain });
  }
  return null;
}

/** The host and, for a name (not an address), each parent domain: where a cookie it receives may be set. */
function domainsOf(host: string): string[] {
  if (/^[\d.]+$/.test(host) || host.startsWith('[')) return [host];
  const labels = host.split('.');
  return labels.map((_, i) => labels.slice(i).join('.'));
}

/** The cookie paths that match `path` (RFC 6265 5.1.4), shortest first, up to a few segments deep. */
function pathsTo(path: string): string[] {
  const out = new Set(['/']);
  for (let i = path.indexOf('/', 1), depth = 0; depth < 6; i = path.indexOf('/', i + 1), depth++) {
    out.add(i < 0 ? path : path.slice(0, i));
    if (i < 0) break;
    out.add(path.slice(0, i + 1));
  }
  return [...out];
}

const sessionSeal = (c: Context) => `qoima-console-session ${origin(c)}`;

export async function setSessionCookie(c: Context, box: SecretBox, s: Session): Promise<void> {
  const { name, options } = placement(c, SESSION);
  setCookie(c, name, await box.seal(s.id, sessionSeal(c)), { ...options, maxAge: SESSION_MS / 1000 });
}

export function clearSessionCookie(c: Context): void {
  const { name, options } = placement(c, SESSION);
  deleteCookie(c, name, options);
}

/** The session the request's cookie names, if it is genuine, issued here and current. */
export async function sessionFrom(c: Context, db: Db, box: SecretBox): Promise<Session | null> {
  const sealed = readCookie(c, SESSION);
  if (!sealed) return null;
  let id: string;
  try {
    id = await box.open(sealed, sessionSeal(c));
  } catch {
    return null; // forged, sealed under another server key, or issued on another host
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

/**
 * Refuses a request the browser says another site sent (sign-in too: no signing victims into our account).
 */
export function checkSameOrigin(c: Context): void {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none')
    throw new S3Error(
      'AccessDenied',
      'This form was sent from another site; open the console and try again.',
    );
  const origin = c.req.header('origin');
  if (
    origin &&
    origin !== new URL(c.req.url).origin &&
    hostOf(origin) !== null &&
    hostOf(origin) !== c.req.header('host')
  ) {
    throw new S3Error(
      'AccessDenied',
      'This form was sent from another site; open the console and try again.',
    );
  }
}

/** Refuses a state-changing request that does not prove it comes from our own pages. */
export function checkCsrf(c: Context, session: Session, formToken: string | undefined): void {
  checkSameOrigin(c);
  const given = formToken ?? c.req.header('x-csrf-token') ?? '';
  if (!timingSafeEqual(given, session.csrf))
    throw new S3Error(
      'AccessDenied',
      'The page was open too long or came from elsewhere; reload it and try again.',
    );
}

const onceSeal = (c: Context, s: Session, name: string) => `qoima-once-${name} ${origin(c)} ${s.id}`;

/**
 * Secrets shown once, after a redirect (so reloading the page neither shows them again nor repeats the
 * form): sealed for the session `s` into a cookie that lives a minute, read once, then deleted.
 */
export async function passOnce(c: Context, box: SecretBox, s: Session, name: string, value: object) {
  const { name: wire, options } = placement(c, ONCE + name);
  const sealed = await box.seal(JSON.stringify(value), onceSeal(c, s, name));
  setCookie(c, wire, sealed, { ...options, maxAge: 60 });
}

export async function takeOnce<T>(c: Context, box: SecretBox, s: Session, name: string): Promise<T | null> {
  const sealed = readCookie(c, ONCE + name);
  if (!sealed) return null;
  const { name: wire, options } = placement(c, ONCE + name);
  deleteCookie(c, wire, options);
  try {
    return JSON.parse(await box.open(sealed, onceSeal(c, s, name))) as T;
  } catch {
    return null; // passed to another session (or forged)
  }
}
