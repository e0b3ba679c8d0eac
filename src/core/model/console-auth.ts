/**
 * Signing in to the console: console logins (an e-mail and a password, PBKDF2-SHA256 through Web
 * Crypto) and sessions (a row per signed-in browser; the cookie holds its id sealed under the server
 * key, and a per-session CSRF token goes into every form). Every session acts as the service's root
 * user. Signing out deletes the row, so a copied cookie stops working too.
 */
import { and, eq, gt, lt, ne } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { consoleLogins, consoleSessions, credentials } from '../db/schema.ts';
import { fromBase64Url, randomBytes, timingSafeEqual, toBase64Url } from '../digests.ts';
import { S3Error } from '../errors.ts';

/**
 * PBKDF2 rounds for new hashes. Cloudflare Workers refuse more than 100 000 (workerd #1346), and every
 * runtime must verify every hash (they share one database); the count is stored with each hash, so it
 * can rise later without locking anyone out.
 */
const ITERATIONS = 100_000;
export const SESSION_MS = 12 * 3_600_000;
export const MIN_PASSWORD = 10;

/**
 * At most two hashes at once, and a bounded line behind them: a flood of sign-in attempts waits (or is
 * told to slow down) here instead of filling the thread pool that file I/O also runs on.
 */
const MAX_HASHING = 2;
const MAX_WAITING = 64;
let hashing = 0;
const waiting: (() => void)[] = [];

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  if (hashing < MAX_HASHING) hashing++;
  else if (waiting.length >= MAX_WAITING)
    throw new S3Error('SlowDown', 'Too many sign-ins at once; try again in a moment.');
  else await new Promise<void>((r) => waiting.push(r)); // the slot is handed over, not retaken
  try {
    return await derive(password, salt, iterations);
  } finally {
    const next = waiting.shift();
    if (next) next();
    else hashing--;
  }
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(password) as BufferSource,
    'PBKDF2',
    false,
    ['deriveBits'],
  );
  return new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations },
      key,
      256,
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `pbkdf2-sha256$${ITERATIONS}$${toBase64Url(salt)}$${toBase64Url(await pbkdf2(password, salt, ITERATIONS))}`;
}

export async function passwordMatches(stored: string, password: string): Promise<boolean> {
  const [scheme, iter, salt, hash] = stored.split('$');
  const saltBytes = salt ? fromBase64Url(salt) : null;
  if (scheme !== 'pbkdf2-sha256' || !saltBytes || !hash) return false;
  return timingSafeEqual(toBase64Url(await pbkdf2(password, saltBytes, Number(iter))), hash);
}

/** The longest address SMTP carries (RFC 5321's path limit less the angle brackets). */
export const MAX_EMAIL = 254;

/**
 * The e-mail as it is stored: trimmed, lower-cased; something@domain.tld without spaces. The length is
 * checked before the pattern, and the pattern cannot backtrack: `[^\s@.]*` stops at the domain's first
 * dot after its first character, so each character is looked at once.
 */
export function normalizeEmail(email: string): string {
  const e = email.trim().toLowerCase();
  const shaped = /^[^\s@]+@[^\s@][^\s@.]*\.[^\s@]+$/;
  if (e.length > MAX_EMAIL || /[\x00-\x1f\x7f]/.test(e) || !shaped.test(e)) {
    const shown = email.length > 100 ? `${email.slice(0, 100)}…` : email;
    const why = `"${shown}" is not an e-mail address (of at most ${MAX_EMAIL} characters).`;
    throw new S3Error('InvalidArgument', why);
  }
  return e;
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD)
    throw new S3Error('InvalidArgument', `Choose a password of at least ${MIN_PASSWORD} characters.`);
}

/**
 * Sets the account's console login (one per account; a new e-mail replaces the old one) and ends every
 * other session of the account: whoever signed in with the old password is signed out.
 */
export async function setLogin(
  db: Db,
  accountId: string,
  email: string,
  password: string,
  keepSession?: string,
): Promise<void> {
  const address = normalizeEmail(email);
  checkPassword(password);
  const taken = await db
    .select({ accountId: consoleLogins.accountId })
    .from(consoleLogins)
    .where(eq(consoleLogins.email, address))
    .limit(1);
  if (taken[0] && taken[0].accountId !== accountId) throw new S3Error('LoginAlreadyExists');
  const passwordHash = await hashPassword(password);
  try {
    await db.batch([
      db.delete(consoleLogins).where(eq(consoleLogins.accountId, accountId)),
      db.insert(consoleLogins).values({ email: address, accountId, passwordHash, createdAt: Date.now() }),
      db
        .delete(consoleSessions)
        .where(and(eq(consoleSessions.accountId, accountId), ne(consoleSessions.id, keepSession ?? ''))),
    ]);
  } catch (e) {
    // another account took the address between the check and the write
    if (/UNIQUE|PRIMARY KEY|constraint/i.test(String((e as Error)?.message ?? e)))
      throw new S3Error('LoginAlreadyExists');
    throw e;
  }
}

/** Whether `password` is the account's current console password (false when it has no login). */
export async function loginPasswordMatches(db: Db, accountId: string, password: string): Promise<boolean> {
  const [row] = await db
    .select({ hash: consoleLogins.passwordHash })
    .from(consoleLogins)
    .where(eq(consoleLogins.accountId, accountId))
    .limit(1);
  return row ? passwordMatches(row.hash, password) : false;
}

export async function loginOf(db: Db, accountId: string): Promise<string | null> {
  const [row] = await db
    .select({ email: consoleLogins.email })
    .from(consoleLogins)
    .where(eq(consoleLogins.accountId, accountId))
    .limit(1);
  return row?.email ?? null;
}

/** Whether some service already signs in with this (normalized) e-mail. */
export async function loginTaken(db: Db, email: string): Promise<boolean> {
  const taken = await db
    .select({ email: consoleLogins.email })
    .from(consoleLogins)
    .where(eq(consoleLogins.email, email))
    .limit(1);
  return taken.length > 0;
}

/**
 * The account an e-mail and password sign in to, or null (the same answer for unknown e-mail and wrong
 * password).
 */
export async function checkLogin(db: Db, email: string, password: string): Promise<string | null> {
  const [row] = await db
    .select()
    .from(consoleLogins)
    .where(eq(consoleLogins.email, email.trim().toLowerCase()))
    .limit(1);
  const matches = await passwordMatches(
    row?.passwordHash ?? `pbkdf2-sha256$${ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA$x`,
    password,
  );
  return row && matches ? row.accountId : null;
}

/** The root user's access key id (sessions sign links and forms with the root user's secret). */
export async function rootKeyOf(db: Db, accountId: string): Promise<string | null> {
  const [row] = await db
    .select({ id: credentials.accessKeyId })
    .from(credentials)
    .where(eq(credentials.accountId, accountId))
    .limit(1);
  return row?.id ?? null;
}

export interface Session {
  id: string;
  accountId: string;
  csrf: string;
  expiresAt: number;
}

export async function startSession(db: Db, accountId: string, now = Date.now()): Promise<Session> {
  const s = {
    id: toBase64Url(randomBytes(24)),
    accountId,
    csrf: toBase64Url(randomBytes(24)),
    createdAt: now,
    expiresAt: now + SESSION_MS,
  };
  await db.batch([
    db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, now)),
    db.insert(consoleSessions).values(s),
  ]);
  return s;
}

export async function findSession(db: Db, id: string, now = Date.now()): Promise<Session | null> {
  const [row] = await db
    .select()
    .from(consoleSessions)
    .where(and(eq(consoleSessions.id, id), gt(consoleSessions.expiresAt, now)))
    .limit(1);
  return row ?? null;
}

export async function endSession(db: Db, id: string): Promise<void> {
  await db.delete(consoleSessions).where(eq(consoleSessions.id, id));
}
