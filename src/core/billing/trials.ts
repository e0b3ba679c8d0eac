/**
 * The free trial: once per customer (a stable identity such as a BIN/IIN or an e-mail), on the
 * customer's request (the sign-up is one, or later in the console), granted by the operator's policy
 * (`auto`: at once) or by the operator, counted from its activation for the configured number of days,
 * free within the volume set when granted. Deleting the service and creating it again does not bring a
 * second trial, and nobody, the operator included, can grant a customer a second one. When the trial
 * ends the service simply continues as paid.
 */
import { eq } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from '../db/index.ts';
import { accounts, trials } from '../db/schema.ts';
import { S3Error } from '../errors.ts';
import { normalizeCustomerId } from '../model/customer-id.ts';
import { type TrialPolicy, trialPolicy } from '../model/terms-settings.ts';

export type Trial = typeof trials.$inferSelect;

export interface TrialView {
  customerId: string | null;
  status: 'active' | 'ended' | 'refused' | 'requested' | 'none';
  startsAt: string | null;
  endsAt: string | null;
  /** The most the trial makes free, in minor units (beyond it, paid); null: no limit. */
  freeUpTo: number | null;
  /** In words, what happens when it ends. */
  afterTrial: string;
}

/**
 * The statement that records a new service's sign-up as the customer's trial request, unless the
 * customer had one: granted from now under the `auto` policy, left for the operator under `manual`.
 */
export function trialForNewService(
  db: Db,
  customerId: string,
  accountId: string,
  now: number,
  days: number,
  policy: TrialPolicy = { policy: 'auto', freeUpTo: null },
): BatchItem<'sqlite'> {
  const granted = policy.policy === 'auto';
  return db
    .insert(trials)
    .values({
      customerId,
      accountId,
      startsAt: granted ? now : 0,
      endsAt: granted ? now + days * 86_400_000 : 0,
      status: granted ? 'granted' : 'requested',
      freeUpTo: policy.freeUpTo,
    })
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
      freeUpTo: null,
      afterTrial:
        'This service has no free trial (a customer has one trial, with their first service): it is billed for what it uses.',
    };
  if (t.status === 'refused' || t.status === 'requested')
    return {
      customerId: t.customerId,
      status: t.status,
      startsAt: null,
      endsAt: null,
      freeUpTo: t.freeUpTo,
      afterTrial:
        t.status === 'refused'
          ? 'The free trial was not granted: the service is billed for what it uses.'
          : 'The free trial was requested and waits for a decision; until then the service is billed for what it uses.',
    };
  return {
    customerId: t.customerId,
    status: now < t.endsAt ? 'active' : 'ended',
    startsAt: iso(t.startsAt),
    endsAt: iso(t.endsAt),
    freeUpTo: t.freeUpTo,
    afterTrial:
      t.freeUpTo === null
        ? paid
        : `Free up to ${t.freeUpTo} tiyn of use; beyond that, and when the trial ends, the service is billed monthly for what it uses.`,
  };
}

/** Whether the customer has had a trial (granted once, even if refused afterwards). */
const hadTrial = (t: Trial | undefined) => t !== undefined && (t.status === 'granted' || t.startsAt > 0);

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

/**
 * Grant a customer's trial on one of their accounts, from now, with the volume the policy sets. Refused
 * when the customer has had one: a trial is once per customer, whoever asks. `customer` names the
 * customer of an account that has no identity yet (customerOf).
 */
export async function grantTrial(
  db: Db,
  accountId: string,
  days: number,
  now = Date.now(),
  customer?: string,
): Promise<void> {
  const customerId = await customerOf(db, accountId, customer);
  const [had] = await db.select().from(trials).where(eq(trials.customerId, customerId));
  if (hadTrial(had))
    throw new S3Error(
      'InvalidArgument',
      `Customer ${customerId} has had their free trial (from ${new Date(had!.startsAt).toISOString()}); a trial is once per customer.`,
    );
  const row = {
    customerId,
    accountId,
    startsAt: now,
    endsAt: now + days * 86_400_000,
    status: 'granted' as const,
    freeUpTo: (await trialPolicy(db)).freeUpTo,
  };
  await db.insert(trials).values(row).onConflictDoUpdate({ target: trials.customerId, set: row });
}

/**
 * The customer asks for the trial (the console, or the API): granted at once under the `auto` policy,
 * else recorded for the operator. Refused when the customer has had one or has asked already.
 */
export async function requestTrial(db: Db, accountId: string, days: number, now = Date.now()): Promise<void> {
  const customerId = await customerOf(db, accountId, undefined);
  const [had] = await db.select().from(trials).where(eq(trials.customerId, customerId));
  if (hadTrial(had))
    throw new S3Error('InvalidArgument', 'You have had your free trial; it is once per customer.');
  if (had?.status === 'requested')
    throw new S3Error('InvalidArgument', 'You have asked already; the answer is on its way.');
  if (had?.status === 'refused') throw new S3Error('InvalidArgument', 'The free trial was not granted.');
  if ((await trialPolicy(db)).policy === 'auto') return grantTrial(db, accountId, days, now);
  await db.insert(trials).values({ customerId, accountId, startsAt: 0, endsAt: 0, status: 'requested' });
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
