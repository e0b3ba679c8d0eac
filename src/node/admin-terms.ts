/**
 * The admin CLI's terms commands: support requests (record, answer, what is due), quota requests,
 * data-loss incidents and claims, the trial policy, per-account exclusions, suspensions.
 */
import { exclusionView } from '../core/billing/sla.ts';
import { addExclusions, excludedView, exclusionsOf } from '../core/model/terms-exclusions.ts';
import { decideClaim, listIncidents } from '../core/model/terms-incidents.ts';
import { decideQuota, listQuotaRequests } from '../core/model/terms-quota.ts';
import type { QuotaLimits } from '../core/model/quotas.ts';
import { quotaOf } from '../core/model/quotas.ts';
import { setTrialPolicy, trialPolicy } from '../core/model/terms-settings.ts';
import { answerRequest, dueRequests, listRequests, openRequest } from '../core/model/terms-support.ts';
import {
  liftSuspension,
  listSuspensions,
  suspendAccount,
  suspensionView,
} from '../core/model/terms-suspension.ts';
import { type Args, type Command, QUOTA_FLAGS, UsageError, need, one } from './admin-commands.ts';

function time(text: string, flag: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`${flag} takes an ISO 8601 time, not "${text}"`);
  return t;
}

function pick<T extends string>(a: Args, flag: string, allowed: readonly T[], fallback?: T): T {
  const v = one(a, flag) ?? fallback;
  if (v === undefined || !allowed.includes(v as T))
    throw new UsageError(`${flag} takes one of ${allowed.join(', ')}`);
  return v as T;
}

const KINDS = ['question', 'outage', 'billing', 'other'] as const;
const EXCLUSIONS = ['maintenance', 'force-majeure', 'customer-caused'] as const;

const exclusion = (kind?: (typeof EXCLUSIONS)[number]): Command => ({
  help: kind
    ? '--account ID --from ISO --to ISO --reason TEXT   mark downtime of one account as its own doing (not counted)'
    : '--kind maintenance|force-majeure|customer-caused --from ISO --to ISO --reason TEXT [--account ID]...  (none: every account)',
  run: async (o, _c, a) => {
    const rows = await addExclusions(o.db, {
      kind: kind ?? pick(a, '--kind', EXCLUSIONS),
      startsAt: time(need(a, '--from'), '--from'),
      endsAt: time(need(a, '--to'), '--to'),
      reason: need(a, '--reason'),
      accounts: a.options.get('--account'),
    });
    return { exclusions: rows.map(exclusionView) };
  },
});

const claim = (status: 'approved' | 'refused'): Command => ({
  help: `--id ID [--note T]         ${status === 'approved' ? 'approve a compensation claim (credited on the next invoice)' : 'refuse a compensation claim'}`,
  run: async (o, _c, a) => decideClaim(o.db, need(a, '--id'), status, one(a, '--note')),
});

export const TERMS_COMMANDS: Record<string, Command> = {
  'support list': {
    readOnly: true,
    help: '[--account ID]               support requests with their response and resolution times',
    run: async (o, _c, a) => ({ requests: await listRequests(o.db, one(a, '--account')) }),
  },
  'support due': {
    readOnly: true,
    help: '[--within MINUTES]            open requests late or due within MINUTES (60), most urgent first',
    run: async (o, _c, a) => {
      const within = Number(one(a, '--within') ?? 60);
      if (!Number.isFinite(within) || within < 0) throw new UsageError('--within takes a number of minutes');
      return { due: await dueRequests(o.db, within * 60_000) };
    },
  },
  'support record': {
    help: '--account ID --channel phone|chat|email --received-at ISO --subject T --body T [--kind question|outage|billing|other]',
    run: async (o, _c, a) =>
      openRequest(o.db, {
        accountId: need(a, '--account'),
        kind: pick(a, '--kind', KINDS, 'question'),
        channel: pick(a, '--channel', ['phone', 'chat', 'email'] as const),
        subject: need(a, '--subject'),
        body: need(a, '--body'),
        receivedAt: time(need(a, '--received-at'), '--received-at'),
      }),
  },
  'support answer': {
    help: '--id ID [--response T] [--resolution T]   answer a request and/or resolve it',
    run: async (o, _c, a) =>
      answerRequest(o.db, need(a, '--id'), {
        response: one(a, '--response'),
        resolution: one(a, '--resolution'),
      }),
  },
  'quota-requests list': {
    readOnly: true,
    help: '[--account ID]        quota requests and their outcome',
    run: async (o, _c, a) => ({ requests: await listQuotaRequests(o.db, one(a, '--account')) }),
  },
  'quota-requests approve': {
    help: `--id ID [${Object.keys(QUOTA_FLAGS).join(' N] [')} N] [--note T]   approve with the limits granted`,
    run: async (o, cfg, a) => {
      const granted: Partial<QuotaLimits> = {};
      for (const [flag, field] of Object.entries(QUOTA_FLAGS)) {
        const v = one(a, flag);
        if (v === undefined) continue;
        if (!/^\d+$/.test(v)) throw new UsageError(`${flag} takes a whole number`);
        granted[field] = Number(v);
      }
      return decideQuota(
        o.db,
        need(a, '--id'),
        { status: 'approved', granted, note: one(a, '--note') },
        (id) => quotaOf(o.db, id, cfg.quotaDefaults),
      );
    },
  },
  'quota-requests refuse': {
    help: '--id ID [--note T]         refuse a quota request',
    run: async (o, cfg, a) =>
      decideQuota(o.db, need(a, '--id'), { status: 'refused', note: one(a, '--note') }, (id) =>
        quotaOf(o.db, id, cfg.quotaDefaults),
      ),
  },
  'incidents list': {
    readOnly: true,
    help: '[--account ID]             objects hit by damaged or lost data (recorded by scrub), and claims',
    run: async (o, _c, a) => ({ incidents: await listIncidents(o.db, one(a, '--account')) }),
  },
  'incidents approve': claim('approved'),
  'incidents refuse': claim('refused'),
  'trial policy': {
    help: '[--policy auto|manual] [--free-up-to TIYN|none]   show or set how trials are granted and their volume',
    run: async (o, _c, a) => {
      const free = one(a, '--free-up-to');
      if (free !== undefined && free !== 'none' && !/^\d+$/.test(free))
        throw new UsageError('--free-up-to takes a whole number of tiyn, or none');
      if (one(a, '--policy') === undefined && free === undefined) return trialPolicy(o.db);
      return setTrialPolicy(o.db, {
        policy:
          one(a, '--policy') === undefined ? undefined : pick(a, '--policy', ['auto', 'manual'] as const),
        freeUpTo: free === undefined ? undefined : free === 'none' ? null : Number(free),
      });
    },
  },
  'exclusions add': exclusion(),
  'exclusions list': {
    readOnly: true,
    help: '--account ID               what does not count against the account (last 90 days and ahead)',
    run: async (o, _c, a) => {
      const from = Date.now() - 90 * 86_400_000;
      const rows = await exclusionsOf(o.db, need(a, '--account'), from, Number.MAX_SAFE_INTEGER);
      return { exclusions: rows.map(excludedView) };
    },
  },
  'downtime customer-caused': exclusion('customer-caused'),
  suspend: {
    help: "--account ID --reason TEXT [--block-reads]   refuse the account's writes (and reads) for breaking the terms",
    run: async (o, _c, a) =>
      suspensionView(
        await suspendAccount(
          o.db,
          need(a, '--account'),
          need(a, '--reason'),
          !a.options.has('--block-reads'),
        ),
      ),
  },
  'suspension lift': {
    help: '--account ID             lift the suspension',
    run: async (o, _c, a) => suspensionView(await liftSuspension(o.db, need(a, '--account'))),
  },
  'suspensions list': {
    readOnly: true,
    help: '[--account ID]           suspensions, current and past',
    run: async (o, _c, a) => ({
      suspensions: (await listSuspensions(o.db, one(a, '--account'))).map(suspensionView),
    }),
  },
};
