/**
 * Access keys of an account: each is a JWT for `Authorization: Bearer` and an S3 key id + secret for
 * SigV4 clients, with the same scopes and lifetime. A key can only be created by the account's root
 * user or a key with the admin scope, and never with more than its creator has.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { AccountPrincipal } from '../auth/authenticate.ts';
import { type Scope, isWithin } from '../auth/scopes.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { Db } from '../db/index.ts';
import { accessKeys } from '../db/schema.ts';
import { randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';
import type { SecretBox } from '../secretbox.ts';
import { newSecretAccessKey } from './key-material.ts';

export type AccessKey = typeof accessKeys.$inferSelect;

export interface KeyView {
  keyId: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  notBefore: string;
  expiresAt: string;
  revokedAt: string | null;
  status: 'active' | 'not-yet-valid' | 'expired' | 'revoked';
}

export function keyView(k: AccessKey, now = Date.now()): KeyView {
  const iso = (t: number) => new Date(t).toISOString();
  return {
    keyId: k.id,
    name: k.name,
    scopes: JSON.parse(k.scopes) as Scope[],
    createdAt: iso(k.createdAt),
    notBefore: iso(k.notBefore),
    expiresAt: iso(k.expiresAt),
    revokedAt: k.revokedAt ? iso(k.revokedAt) : null,
    status: k.revokedAt
      ? 'revoked'
      : k.expiresAt <= now
        ? 'expired'
        : k.notBefore > now
          ? 'not-yet-valid'
          : 'active',
  };
}

export const MAX_KEY_LIFETIME_MS = 5 * 365 * 86_400_000;

/** Who may manage the keys of `accountId`: its root user, or one of its keys with the admin scope. */
export function checkKeyManager(principal: AccountPrincipal, accountId: string): void {
  const admin =
    principal.scopes === null ||
    principal.scopes.some((s) => s.bucket === '*' && !s.prefix && s.actions.includes('admin'));
  if (principal.accountId !== accountId || !admin)
    throw new S3Error(
      'AccessDenied',
      'Managing access keys needs the root user or a key with the admin scope on every bucket (*:admin).',
    );
}

export interface CreatedKey extends KeyView {
  accessKeyId: string;
  secretAccessKey: string;
  token: string;
}

export async function createKey(
  deps: { db: Db; box: SecretBox; tokens: TokenService },
  creator: AccountPrincipal,
  opts: { name: string; scopes: Scope[]; expiresAt: number; notBefore?: number },
): Promise<CreatedKey> {
  checkKeyManager(creator, creator.accountId);
  const now = Date.now();
  const notBefore = opts.notBefore ?? now;
  if (opts.expiresAt <= now || opts.expiresAt <= notBefore)
    throw new S3Error('InvalidArgument', 'A key must expire in the future, after it becomes valid.');
  if (opts.expiresAt - now > MAX_KEY_LIFETIME_MS)
    throw new S3Error('InvalidArgument', 'A key lives at most five years.');
  if (opts.scopes.some((s) => s.prefix && s.actions.includes('admin'))) {
    throw new S3Error(
      'InvalidArgument',
      'The admin action is about whole buckets (settings, access, deleting them); give it without a key prefix.',
    );
  }
  if (!isWithin(opts.scopes, creator.scopes))
    throw new S3Error('AccessDenied', 'A key cannot be given more than the key that creates it has.');
  if (creator.expiresAt !== undefined && opts.expiresAt > creator.expiresAt) {
    throw new S3Error('AccessDenied', 'A key cannot outlive the key that creates it.');
  }
  const id = `QA${randomBase32(18).toUpperCase()}`;
  const secret = newSecretAccessKey();
  const { token, kid } = await deps.tokens.sign({
    accountId: creator.accountId,
    keyId: id,
    scopes: opts.scopes,
    notBefore,
    expiresAt: opts.expiresAt,
  });
  const row: AccessKey = {
    id,
    accountId: creator.accountId,
    name: opts.name,
    scopes: JSON.stringify(opts.scopes),
    secretSealed: await deps.box.seal(secret, id),
    createdAt: now,
    notBefore,
    expiresAt: opts.expiresAt,
    revokedAt: null,
    createdBy: creator.accessKeyId,
    signingKid: kid,
  };
  await deps.db.insert(accessKeys).values(row);
  return { ...keyView(row, now), accessKeyId: id, secretAccessKey: secret, token };
}

export async function listKeys(db: Db, accountId: string): Promise<KeyView[]> {
  const rows = await db
    .select()
    .from(accessKeys)
    .where(eq(accessKeys.accountId, accountId))
    .orderBy(desc(accessKeys.createdAt));
  return rows.map((r) => keyView(r));
}

/**
 * Revokes a key and every key issued through it (and through those, on down): a leaked admin key's
 * offspring go with it. Keys already revoked keep their time.
 */
export async function revokeKey(db: Db, accountId: string, keyId: string): Promise<KeyView> {
  const now = Date.now();
  // one batch: the key and its offspring are revoked together or not at all
  const [[row]] = await db.batch([
    db
      .update(accessKeys)
      .set({ revokedAt: sql`coalesce(${accessKeys.revokedAt}, ${now})` })
      .where(and(eq(accessKeys.id, keyId), eq(accessKeys.accountId, accountId)))
      .returning(),
    db.run(sql`
      WITH RECURSIVE issued(id) AS (
        SELECT id FROM access_keys WHERE created_by = ${keyId} AND account_id = ${accountId}
        UNION SELECT k.id FROM access_keys k JOIN issued ON k.created_by = issued.id
      )
      UPDATE access_keys SET revoked_at = ${now} WHERE revoked_at IS NULL AND id IN (SELECT id FROM issued)`),
  ]);
  if (!row) throw new S3Error('InvalidAccessKeyId', `No key ${keyId} in this account.`);
  return keyView(row);
}

export async function findKey(db: Db, keyId: string): Promise<AccessKey | null> {
  const [row] = await db.select().from(accessKeys).where(eq(accessKeys.id, keyId)).limit(1);
  return row ?? null;
}
