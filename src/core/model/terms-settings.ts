/**
 * The operator's terms settings, kept in the database so every node and the admin CLI see the same:
 * the trial policy (`auto`: a customer's request is granted at once, the sign-up being one; `manual`:
 * requests wait for the operator) and the trial volume (the most a trial makes free, in minor units;
 * null: no limit). A trial keeps the volume it was granted with.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { termsSettings } from '../db/schema.ts';

export interface TrialPolicy {
  policy: 'auto' | 'manual';
  freeUpTo: number | null;
}

export async function trialPolicy(db: Db): Promise<TrialPolicy> {
  const rows = await db.select().from(termsSettings);
  const get = (k: string) => rows.find((r) => r.key === k)?.value;
  const free = get('trial.freeUpTo');
  return {
    policy: get('trial.policy') === 'manual' ? 'manual' : 'auto',
    freeUpTo: free ? Number(free) : null,
  };
}

export async function setTrialPolicy(db: Db, p: Partial<TrialPolicy>): Promise<TrialPolicy> {
  const put = (key: string, value: string) =>
    db
      .insert(termsSettings)
      .values({ key, value })
      .onConflictDoUpdate({ target: termsSettings.key, set: { value } });
  if (p.policy) await put('trial.policy', p.policy);
  if (p.freeUpTo === null) await db.delete(termsSettings).where(eq(termsSettings.key, 'trial.freeUpTo'));
  else if (p.freeUpTo !== undefined) await put('trial.freeUpTo', String(p.freeUpTo));
  return trialPolicy(db);
}
