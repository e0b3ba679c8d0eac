/**
 * Accounts ("the service" a customer creates) and their root users' S3 credentials. Secrets are sealed
 * with the server key before they reach the database.
 */
import { and, asc, count, eq, isNull, sql } from 'drizzle-orm';
import type { Credential } from '../auth/authenticate.ts';
import type { Scope } from '../auth/scopes.ts';
import { findKey } from './keys.ts';
import { newAccessKeyId, newSecretAccessKey } from './key-material.ts';
import type { QuotaLimits } from './quotas.ts';
import type { Db } from '../db/index.ts';
import {
  accessKeys,
  accounts,
  buckets,
  chunkRefs,
  consoleLogins,
  consoleSessions,
  credentials,
  multipartParts,
  multipartUploads,
  objects,
  quotas,
} from '../db/schema.ts';
import { bucketRowAndDomains, releasedBy } from './buckets.ts';
import { trialForNewService } from '../billing/trials.ts';
import { normalizeCustomerId } from './customer-id.ts';
import { trialPolicy } from './terms-settings.ts';

export { normalizeCustomerId };
import { randomBase32 } from '../digests.ts';
import type { SecretBox } from '../secretbox.ts';
import { TtlCache } from '../cache.ts';
import type { Generation } from '../freshness.ts';
import type { Clock } from '../clock.ts';

export interface AccountDeps {
  db: Db;
  box: SecretBox;
}

export interface NewAccount {
  accountId: string;
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** MinIO's rules for operator-chosen root keys, so the same values work here. */
export function checkPresetCredentials(accessKeyId: string, secret: string): string | null {
  if (!/^[A-Za-z0-9._-]{3,128}$/.test(accessKeyId))
    return 'the access key must be 3 to 128 letters, digits, ".", "_" or "-"';
  if (secret.length < 8 || secret.length > 256) return 'the secret key must be 8 to 256 characters';
  return null;
}

export async function createAccount(
  deps: AccountDeps,
  opts: {
    name: string;
    quota: QuotaLimits;
    customerId?: string;
    trialDays?: number;
    accessKeyId?: string;
    secretAccessKey?: string;
  },
): Promise<NewAccount> {
  const accountId = `acc${randomBase32(13)}`;
  const customerId = normalizeCustomerId(opts.customerId);
  const accessKeyId = opts.accessKeyId ?? newAccessKeyId();
  const secretAccessKey = opts.secretAccessKey ?? newSecretAccessKey();
  const now = Date.now();
  const sealed = await deps.box.seal(secretAccessKey, accessKeyId);
  const policy = customerId && opts.trialDays ? await trialPolicy(deps.db) : undefined;
  await deps.db.batch([
    deps.db.insert(accounts).values({ id: accountId, name: opts.name, createdAt: now, customerId }),
    deps.db
      .insert(credentials)
      .values({ accessKeyId, accountId, secretSealed: sealed, kind: 'root', createdAt: now }),
    deps.db.insert(quotas).values({ accountId, ...opts.quota }),
    // a customer's first service asks for their trial (granted at once under the `auto` policy);
    // later ones find it taken (once per customer)
    ...(customerId && opts.trialDays
      ? [trialForNewService(deps.db, customerId, accountId, now, opts.trialDays, policy)]
      : []),
  ]);
  return { accountId, name: opts.name, accessKeyId, secretAccessKey };
}

export interface AccountSummary {
  accountId: string;
  name: string;
  customerId: string | null;
  createdAt: string;
  deletedAt: string | null;
  buckets: number;
}

export async function listAccounts(db: Db): Promise<AccountSummary[]> {
  const rows = await db
    .select({
      id: accounts.id,
      name: accounts.name,
      customerId: accounts.customerId,
      createdAt: accounts.createdAt,
      deletedAt: accounts.deletedAt,
      buckets: count(buckets.id),
    })
    .from(accounts)
    .leftJoin(buckets, eq(buckets.accountId, accounts.id))
    .groupBy(accounts.id)
    .orderBy(asc(accounts.createdAt));
  return rows.map((r) => ({
    accountId: r.id,
    name: r.name,
    customerId: r.customerId,
    createdAt: new Date(r.createdAt).toISOString(),
    deletedAt: r.deletedAt ? new Date(r.deletedAt).toISOString() : null,
    buckets: r.buckets,
  }));
}

/**
 * Deletes the service: its objects, uploads and buckets go (their chunks are collected after the GC
 * delay), its domains are released with their certificates (returned: the hostnames), its root user
 * and keys stop working. The account row stays, so its usage up to now is still
 * billed and its customer cannot have a second trial.
 */
export async function deleteAccount(db: Db, accountId: string): Promise<string[]> {
  const owned = await db.select({ id: buckets.id }).from(buckets).where(eq(buckets.accountId, accountId));
  const released: string[] = [];
  for (const { id } of owned) {
    const done = await db.batch([
      db
        .delete(chunkRefs)
        .where(
          sql`${chunkRefs.owner} IN (SELECT ${objects.id} FROM ${objects} WHERE ${objects.bucketId} = ${id})`,
        ),
      db.delete(objects).where(eq(objects.bucketId, id)),
      db
        .delete(chunkRefs)
        .where(
          sql`${chunkRefs.owner} IN (SELECT ${multipartParts.owner} FROM ${multipartParts} JOIN ${multipartUploads} ON ${multipartUploads.id} = ${multipartParts.uploadId} WHERE ${multipartUploads.bucketId} = ${id})`,
        ),
      db
        .delete(multipartParts)
        .where(
          sql`${multipartParts.uploadId} IN (SELECT ${multipartUploads.id} FROM ${multipartUploads} WHERE ${multipartUploads.bucketId} = ${id})`,
        ),
      db.delete(multipartUploads).where(eq(multipartUploads.bucketId, id)),
      ...bucketRowAndDomains(db, id),
    ]);
    released.push(...releasedBy(done));
  }
  await db.batch([
    db.delete(consoleSessions).where(eq(consoleSessions.accountId, accountId)),
    db.delete(consoleLogins).where(eq(consoleLogins.accountId, accountId)),
    db.delete(credentials).where(eq(credentials.accountId, accountId)),
    db
      .update(accessKeys)
      .set({ revokedAt: Date.now() })
      .where(and(eq(accessKeys.accountId, accountId), isNull(accessKeys.revokedAt))),
    db.update(accounts).set({ deletedAt: Date.now() }).where(eq(accounts.id, accountId)),
  ]);
  return released;
}

export async function firstAccount(db: Db): Promise<{ id: string } | null> {
  const [row] = await db
    .select({ id: accounts.id })
    .from(accounts)
    .orderBy(asc(accounts.createdAt), asc(accounts.id))
    .limit(1);
  return row ?? null;
}

export async function rootCredential(
  deps: AccountDeps,
  accountId: string,
): Promise<{ accessKeyId: string; secretAccessKey: string } | null> {
  const [row] = await deps.db.select().from(credentials).where(eq(credentials.accountId, accountId)).limit(1);
  if (!row) return null;
  return {
    accessKeyId: row.accessKeyId,
    secretAccessKey: await deps.box.open(row.secretSealed, row.accessKeyId),
  };
}

/** Makes `accessKeyId`/`secret` the account's only root credential (operator-preset keys). */
export async function replaceRootCredential(
  deps: AccountDeps,
  accountId: string,
  accessKeyId: string,
  secret: string,
): Promise<void> {
  const sealed = await deps.box.seal(secret, accessKeyId);
  await deps.db.batch([
    deps.db.delete(credentials).where(eq(credentials.accountId, accountId)),
    deps.db
      .insert(credentials)
      .values({ accessKeyId, accountId, secretSealed: sealed, kind: 'root', createdAt: Date.now() }),
  ]);
}

/**
 * The first account ("the service"): created when there is none (with the preset root credentials when
 * given), or its root user brought in line with the preset on later starts. Returns the credentials
 * when they were created or changed (to be shown once), null when nothing changed.
 */
export async function ensureRootAccount(
  deps: AccountDeps,
  preset: { accessKeyId: string; secretAccessKey: string } | null,
  quota: QuotaLimits,
): Promise<{ accessKeyId: string; secretAccessKey: string } | null> {
  if (preset) {
    const problem = checkPresetCredentials(preset.accessKeyId, preset.secretAccessKey);
    if (problem) throw new Error(`preset root credentials: ${problem}`);
  }
  const first = await firstAccount(deps.db);
  if (!first) {
    // nodes starting together may all get here; the earliest account wins, the others withdraw theirs
    let created: NewAccount;
    try {
      // the operator's own service: no trial
      created = await createAccount(deps, { name: 'root', quota, ...preset });
    } catch (e) {
      if (preset && (await firstAccount(deps.db))) return null; // another node created it with the same keys
      throw e;
    }
    const winner = await firstAccount(deps.db);
    if (winner && winner.id !== created.accountId) {
      await deleteAccount(deps.db, created.accountId);
      return null;
    }
    return created;
  }
  if (!preset) return null;
  const current = await rootCredential(deps, first.id);
  if (
    current &&
    current.accessKeyId === preset.accessKeyId &&
    current.secretAccessKey === preset.secretAccessKey
  )
    return null;
  await replaceRootCredential(deps, first.id, preset.accessKeyId, preset.secretAccessKey);
  return preset;
}

/**
 * Credential lookups for every signed request: root users' credentials and access keys' S3 secrets,
 * cached. A key created by the admin CLI or the API (maybe another process) is found at once (misses
 * always go to the database); a revoked one stops working at the next request when the settings
 * generation is checked (freshness.ts), else within `ttlMs`.
 */
export class CredentialCache {
  private readonly cache: TtlCache<string, Credential | null>;

  constructor(
    private readonly deps: AccountDeps,
    opts: { ttlMs?: number; clock?: Clock; generation?: Generation } = {},
  ) {
    this.cache = new TtlCache({ ttlMs: opts.ttlMs ?? 2_000, clock: opts.clock, generation: opts.generation });
  }

  readonly lookup = (accessKeyId: string): Promise<Credential | null> =>
    this.cache.getOrLoad(
      accessKeyId,
      (id) => this.load(id),
      (found) => found !== null,
    );

  private async load(accessKeyId: string): Promise<Credential | null> {
    const [root] = await this.deps.db
      .select()
      .from(credentials)
      .where(eq(credentials.accessKeyId, accessKeyId))
      .limit(1);
    if (root)
      return {
        accountId: root.accountId,
        kind: 'root',
        scopes: null,
        secret: await this.deps.box.open(root.secretSealed, root.accessKeyId),
      };
    const key = await findKey(this.deps.db, accessKeyId);
    if (!key) return null;
    return {
      accountId: key.accountId,
      kind: 'key',
      scopes: JSON.parse(key.scopes) as Scope[],
      secret: await this.deps.box.open(key.secretSealed, key.id),
      notBefore: key.notBefore,
      expiresAt: key.expiresAt,
      revoked: key.revokedAt !== null,
    };
  }
}
