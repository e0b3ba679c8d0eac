/** The admin CLI's billing commands: usage, invoices, SLA, maintenance, trials, outage reports, rollups. */
import { invoiceCsv } from '../core/billing/invoice.ts';
import { monthRange } from '../core/billing/prices.ts';
import { decideReport, listReports, reportView } from '../core/billing/reports.ts';
import { sampleStorage } from '../core/billing/rollup.ts';
import { addExclusion, exclusionView, slaCsv } from '../core/billing/sla.ts';
import { addExclusions } from '../core/model/terms-exclusions.ts';
import { grantTrial, refuseTrial, trialView } from '../core/billing/trials.ts';
import { type Args, type Command, UsageError, need, one } from './admin-commands.ts';
import { rollupOptions } from '../local/config.ts';

function time(text: string, flag: string): number {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`${flag} takes an ISO 8601 time, not "${text}"`);
  return t;
}

function month(a: Args): string {
  const m = need(a, '--month');
  try {
    monthRange(m);
  } catch {
    throw new UsageError(`--month takes YYYY-MM, not "${m}"`);
  }
  return m;
}

const exclusion = (kind: 'maintenance' | 'force-majeure'): Command => ({
  help:
    '--from ISO --to ISO --reason TEXT [--account ID]...  ' +
    (kind === 'maintenance' ? 'record planned maintenance (in advance)' : 'record force majeure') +
    ' (for every account, or the named ones)',
  run: async (o, _c, a) => {
    const accounts = a.options.get('--account');
    if (accounts) {
      const startsAt = time(need(a, '--from'), '--from');
      const endsAt = time(need(a, '--to'), '--to');
      const rows = await addExclusions(o.db, {
        kind,
        startsAt,
        endsAt,
        reason: need(a, '--reason'),
        accounts,
      });
      return { exclusions: rows.map(exclusionView) };
    }
    try {
      return exclusionView(
        await addExclusion(o.db, {
          kind,
          startsAt: time(need(a, '--from'), '--from'),
          endsAt: time(need(a, '--to'), '--to'),
          reason: need(a, '--reason'),
        }),
      );
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  },
});

export const BILLING_COMMANDS: Record<string, Command> = {
  usage: {
    readOnly: true,
    help: '--account ID [--from ISO --to ISO]   requests by operation and status, bytes in/out, stored bytes by class',
    run: async (o, _c, a) => {
      const to = one(a, '--to') ? time(need(a, '--to'), '--to') : Date.now();
      const from = one(a, '--from') ? time(need(a, '--from'), '--from') : to - 30 * 86_400_000;
      return o.billing.usage(need(a, '--account'), from, to);
    },
  },
  invoice: {
    readOnly: true,
    help: "--account ID --month YYYY-MM [--csv]  the month's invoice (amounts in tiyn)",
    run: async (o, _c, a) => {
      const inv = await o.billing.invoice(need(a, '--account'), month(a));
      return a.options.has('--csv') ? invoiceCsv(inv) : inv;
    },
  },
  sla: {
    readOnly: true,
    help: '--account ID --month YYYY-MM [--csv]  availability, downtime, exclusions, tier, credit',
    run: async (o, _c, a) => {
      const r = await o.billing.sla(need(a, '--account'), month(a));
      return a.options.has('--csv') ? slaCsv(r) : r;
    },
  },
  'maintenance add': exclusion('maintenance'),
  'force-majeure add': exclusion('force-majeure'),
  trial: {
    readOnly: true,
    help: '--account ID                       the trial: status, end, what happens after',
    run: async (o, _c, a) => trialView(o.db, need(a, '--account')),
  },
  'trial grant': {
    help: "--account ID [--customer BIN|IIN|EMAIL]   grant the customer's trial, from now",
    run: async (o, _c, a) => {
      await grantTrial(o.db, need(a, '--account'), o.billing.trialDays, Date.now(), one(a, '--customer'));
      return trialView(o.db, need(a, '--account'));
    },
  },
  'trial refuse': {
    help: "--account ID [--customer BIN|IIN|EMAIL]  refuse the customer's trial",
    run: async (o, _c, a) => {
      await refuseTrial(o.db, need(a, '--account'), one(a, '--customer'));
      return trialView(o.db, need(a, '--account'));
    },
  },
  'outages list': {
    readOnly: true,
    help: '                              every outage report',
    run: async (o) => (await listReports(o.db)).map(reportView),
  },
  'outages confirm': {
    help: '--id ID --restored-at ISO [--note T]   confirm a report (downtime until the restoration)',
    run: async (o, _c, a) =>
      reportView(
        await decideReport(o.db, need(a, '--id'), {
          status: 'confirmed',
          restoredAt: time(need(a, '--restored-at'), '--restored-at'),
          note: one(a, '--note'),
        }),
      ),
  },
  'outages reject': {
    help: '--id ID [--note T]           reject a report',
    run: async (o, _c, a) =>
      reportView(await decideReport(o.db, need(a, '--id'), { status: 'rejected', note: one(a, '--note') })),
  },
  rollup: {
    help: '[--now ISO]                        sample storage, roll up finished hours, issue closed months',
    run: async (o, cfg, a) => {
      const now = one(a, '--now') ? time(need(a, '--now'), '--now') : Date.now();
      await sampleStorage(o.db, now, cfg.storageSampleMs);
      return o.billing.rollup(rollupOptions(cfg, now));
    },
  },
};
