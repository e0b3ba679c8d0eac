/**
 * The free trial: once per customer (a stable identity such as a BIN/IIN or an e-mail), from the moment
 * the service is created, for the configured number of days. Deleting the service and creating it
 * again does not bring a second trial. When the trial ends the service simply continues as paid.
 */
import { eq } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from '../db/index.ts';
import { accounts, trials } from '../db/schema.ts';
import { S3Error } from '../errors.ts';
import { normalizeCustomerId } from '../model/customer-id.ts';

export type Trial = typeof trials.$inferSelect;

export interface TrialView {
  customerId: string | null;
  status: 'active' | 'ended' | 'refused' | 'none';
  startsAt: string | null;
  endsAt: string | null;
  /** In words, what happens when it ends. */
  afterTrial: string;
}

/** The statement that starts a customer's trial with a new service, unless the customer had one. */
export function trialForNewService(
  db: Db,
  customerId: string,
  accountId: string,
  now: number,
  days: number,
): BatchItem<'sqlite'> {
  return db
    .insert(trials)
    .values({ customerId, accountId, startsAt: now, endsAt: now + days * 86_400_000, status: 'granted' })
    .onConflictDoNothing();
}

/** The trial that applies to this account's usage (the one it was created with), if any. */
export async function trialOf(db: Db, accountId: string): Promise<Trial | null> {
  const [acc] = await db
    .select({ customerId: accounts.customerId })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  if (!acc?.customerId) return null;
  const [t] = await db.select().from(trials).where(eq(trials.customerId, acc.customerId));
  return t && t.accountId === accountId ? t : null;
}

export async function trialView(db: Db, accountId: string, now = Date.now()): Promise<TrialView> {
  const [acc] = await db
    .select({ customerId: accounts.customerId })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  const t = await trialOf(db, accountId);
  const iso = (x: number) => new Date(x).toISOString();
  const paid =
    'When the trial ends the service continues as paid, billed monthly for what it uses, unless you delete it before.';
  if (!t)
    return {
      customerId: acc?.customerId ?? null,
      status: 'none',
      startsAt: null,
      endsAt: null,
      afterTrial:
        'This service has no free trial (a customer has one trial, with their first service): it is billed for what it uses.',
    };
  if (t.status === 'refused')
    return {
      customerId: t.customerId,
      status: 'refused',
      startsAt: null,
      endsAt: null,
      afterTrial: 'The free trial was not granted: the service is billed for what it uses.',
    };
  return {
    customerId: t.customerId,
    status: now < t.endsAt ? 'active' : 'ended',
    startsAt: iso(t.startsAt),
    endsAt: iso(t.endsAt),
    afterTrial: paid,
  };
}

/**
 * The customer an account belongs to, for a trial decision: the one it has, or `given` (BIN/IIN or
 * e-mail), which is recorded on an account that has none. An account that has one keeps it: naming
 * another is refused (a new identity would be a second trial).
 */
async function customerOf(db: Db, accountId: string, given: string | undefined): Promise<string> {
  const [acc] = await db
    .select({ customerId: accounts.customerId })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  if (!acc) throw new S3Error('InvalidArgument', `No account ${accountId}.`);
  const wanted = normalizeCustomerId(given);
  if (acc.customerId) {
    if (wanted && wanted !== acc.customerId)
      throw new S3Error(
        'InvalidArgument',
        `The account belongs to customer ${acc.customerId} already; its identity does not change.`,
      );
    return acc.customerId;
  }
  if (!wanted)
    throw new S3Error(
      'InvalidArgument',
      'The account has no customer identity yet: name the customer (BIN/IIN or e-mail) with ' +
        '--customer (API: "customerId"); it is recorded on the account.',
    );
  await db.update(accounts).set({ customerId: wanted }).where(eq(accounts.id, accountId));
  return wanted;
}

/** Operator: (re)grant a customer's trial on one of their accounts, from now. */
export async function grantTrial(
  db: Db,
  accountId: string,
  days: number,
  now = Date.now(),
  customer?: string,
): Promise<void> {
  const customerId = await customerOf(db, accountId, customer);
  const row = {
    customerId,
    accountId,
    startsAt: now,
    endsAt: now + days * 86_400_000,
    status: 'granted' as const,
  };
  await db.insert(trials).values(row).onConflictDoUpdate({ target: trials.customerId, set: row });
}

/** Operator: refuse a customer's trial (what was free is billed). */
export async function refuseTrial(db: Db, accountId: string, customer?: string): Promise<void> {
  const customerId = await customerOf(db, accountId, customer);
  const row = { customerId, accountId, startsAt: 0, endsAt: 0, status: 'refused' as const };
  await db
    .insert(trials)
    .values(row)
    .onConflictDoUpdate({ target: trials.customerId, set: { status: 'refused' } });
}
