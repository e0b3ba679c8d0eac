/** What each admin CLI command does; admin.ts parses the command line and prints. */
import type { AccountPrincipal } from '../core/auth/authenticate.ts';
import { parseScopeText } from '../core/auth/scopes.ts';
import { createAccount, deleteAccount, listAccounts } from '../core/model/accounts.ts';
import { createKey, listKeys, revokeKey } from '../core/model/keys.ts';
import { runMaintenance } from '../core/model/maintenance.ts';
import { type QuotaLimits, quotaOf, setQuota, usageOf } from '../core/model/quotas.ts';
import { scrub } from '../core/model/scrub.ts';
import { recordIncidents } from '../core/model/terms-incidents.ts';
import { type Config, maintenanceOptions } from '../local/config.ts';
import type { Opened } from '../local/data-dir.ts';

export class UsageError extends Error {}

export interface Args {
  words: string[];
  /** Each option's values in order (flags without a value: ['true']). */
  options: Map<string, string[]>;
}

export const one = (a: Args, name: string): string | undefined => a.options.get(name)?.[0];
export const need = (a: Args, name: string): string => {
  const v = one(a, name);
  if (v === undefined || v === 'true') throw new UsageError(`${a.words.join(' ')} needs ${name} VALUE`);
  return v;
};

/** `30d`, `12h`, `90m`, `3600s` or an ISO date → epoch ms. */
export function parseExpiry(text: string, now = Date.now()): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (m) return now + Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's']!;
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw new UsageError(`--expires takes a duration (30d, 12h) or an ISO date, not "${text}"`);
  return t;
}

/** The CLI acts for an account as its root user would (the operator is trusted with that). */
function asRoot(accountId: string): AccountPrincipal {
  return { kind: 'root', accountId, accessKeyId: 'admin-cli', via: 'header', scopes: null };
}

export const QUOTA_FLAGS: Record<string, keyof QuotaLimits> = {
  '--max-bytes': 'maxBytes',
  '--max-buckets': 'maxBuckets',
  '--max-objects': 'maxObjects',
  '--max-object-size': 'maxObjectSize',
  '--requests-per-second': 'requestsPerSecond',
  '--bytes-per-second': 'bytesPerSecond',
};

export interface Command {
  help: string;
  /** Only reads: on a data directory with no store yet it is refused, rather than creating one. */
  readOnly?: boolean;
  /** Returns what to print (a string is printed as it is, e.g. CSV). */
  run: (o: Opened, cfg: Config, a: Args) => Promise<unknown>;
}

export const COMMANDS: Record<string, Command> = {
  'accounts create': {
    help: '--name NAME [--customer BIN|IIN|EMAIL]   create an account with its root user, the default quotas and, for a new customer, the trial',
    run: async (o, cfg, a) => {
      const acc = await createAccount(o, {
        name: need(a, '--name').trim(),
        customerId: one(a, '--customer'),
        quota: cfg.quotaDefaults,
        trialDays: cfg.trialDays,
      });
      return { accountId: acc.accountId, accessKeyId: acc.accessKeyId, secretAccessKey: acc.secretAccessKey };
    },
  },
  'accounts delete': {
    help: '--account ID                     delete a service: its buckets, objects, root user and keys (billing stays)',
    run: async (o, _cfg, a) => {
      await deleteAccount(o.db, need(a, '--account'));
      return { deleted: need(a, '--account') };
    },
  },
  'accounts list': {
    readOnly: true,
    help: '                                  list accounts',
    run: async (o) => listAccounts(o.db),
  },
  'keys create': {
    help: '--account ID --name N --scope B[/P]:ACTIONS [--scope ...] [--expires 30d|ISO]   issue an access key',
    run: async (o, _cfg, a) => {
      const scopes = (a.options.get('--scope') ?? []).map((s) => {
        try {
          return parseScopeText(s);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      });
      if (!scopes.length)
        throw new UsageError(
          'keys create needs at least one --scope BUCKET[/PREFIX]:read,write,list,delete,admin',
        );
      return createKey(o, asRoot(need(a, '--account')), {
        name: need(a, '--name'),
        scopes,
        expiresAt: parseExpiry(one(a, '--expires') ?? '30d'),
      });
    },
  },
  'keys list': {
    readOnly: true,
    help: "--account ID                        list an account's keys",
    run: async (o, _c, a) => listKeys(o.db, need(a, '--account')),
  },
  'keys revoke': {
    help: '--account ID --key KEYID          revoke a key',
    run: async (o, _c, a) => revokeKey(o.db, need(a, '--account'), need(a, '--key')),
  },
  'signing-key rotate': {
    help: '                               sign new keys with a new key pair',
    run: async (o) => o.tokens.rotate(),
  },
  'quotas show': {
    readOnly: true,
    help: "--account ID                      an account's quotas and usage",
    run: async (o, cfg, a) => ({
      quota: await quotaOf(o.db, need(a, '--account'), cfg.quotaDefaults),
      usage: await usageOf(o.db, need(a, '--account')),
    }),
  },
  'quotas set': {
    help: `--account ID [${Object.keys(QUOTA_FLAGS).join(' N] [')} N]   change quotas`,
    run: async (o, cfg, a) => {
      const accountId = need(a, '--account');
      const limits = await quotaOf(o.db, accountId, cfg.quotaDefaults);
      for (const [flag, field] of Object.entries(QUOTA_FLAGS)) {
        const v = one(a, flag);
        if (v === undefined) continue;
        if (!/^\d+$/.test(v)) throw new UsageError(`${flag} takes a whole number`);
        limits[field] = Number(v);
      }
      await setQuota(o.db, accountId, limits);
      return limits;
    },
  },
  gc: {
    help: '                                  abort abandoned uploads, drop unreferenced chunks',
    run: async (o, cfg) => runMaintenance(o.db, o.store, maintenanceOptions(cfg)),
  },
  scrub: {
    readOnly: true,
    help: '[--repair]                        re-hash every chunk, check reference counts; exit 1 if damage remains',
    run: async (o, _cfg, a) => {
      const r = await scrub(o.db, o.store, { repair: a.options.has('--repair') });
      if (r.remaining.length) process.exitCode = 1;
      // each object hit becomes an incident of its account, which may claim compensation (issue 16)
      return { ...r, incidentsRecorded: await recordIncidents(o.db, r) };
    },
  },
};
