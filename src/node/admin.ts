/**
 * The operator's command line. Works on the same data directory (QOIMA_DATA_DIR) as a running server.
 *
 *   npm run --silent admin -- accounts create --name NAME [--json]
 *   npm run --silent admin -- accounts list [--json]
 *   npm run --silent admin -- gc [--json]
 *   npm run --silent admin -- scrub [--repair] [--json]
 */
import { createAccount, listAccounts } from '../core/model/accounts.ts';
import { runMaintenance } from '../core/model/maintenance.ts';
import { type DamagedChunk, scrub, scrubIsClean } from '../core/model/scrub.ts';
import { ConfigError, loadConfig, maintenanceOptions } from './config.ts';
import { openDataDir } from './bootstrap.ts';

const USAGE = `usage: admin <command> [options]
  accounts create --name NAME [--json]   create an account with its root user
  accounts list [--json]                 list accounts
  gc [--json]                            abort abandoned multipart uploads, drop unreferenced chunks
  scrub [--repair] [--json]              re-hash every chunk, check reference counts; exit 1 on damaged data
options for every command: --data-dir DIR, --db-url URL (else QOIMA_DATA_DIR, QOIMA_DB_URL)`;

class UsageError extends Error {}

interface Parsed {
  words: string[];
  options: Map<string, string | true>;
  configArgs: string[];
}

const CONFIG_FLAGS = new Set(['--data-dir', '--db-url']);
const VALUE_FLAGS = new Set(['--name']);

function parseArgs(argv: string[]): Parsed {
  const words: string[] = [];
  const options = new Map<string, string | true>();
  const configArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) words.push(a);
    else if (CONFIG_FLAGS.has(a)) configArgs.push(a, argv[++i] ?? '');
    else if (VALUE_FLAGS.has(a)) {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      options.set(a, v);
    } else options.set(a, true);
  }
  return { words, options, configArgs };
}

function print(json: boolean, value: unknown, human: () => string): void {
  console.log(json ? JSON.stringify(value) : human());
}

async function run(argv: string[]): Promise<void> {
  const { words, options, configArgs } = parseArgs(argv);
  const json = options.has('--json');
  const cmd = words.join(' ');
  const known = ['accounts create', 'accounts list', 'gc', 'scrub'];
  if (!known.includes(cmd)) throw new UsageError(cmd ? `unknown command "${cmd}"` : 'no command given');
  const cfg = loadConfig(process.env, configArgs);
  const { db, box, store, client } = await openDataDir(cfg);
  try {
    switch (cmd) {
      case 'accounts create': {
        const name = options.get('--name');
        if (typeof name !== 'string' || !name.trim()) throw new UsageError('accounts create needs --name NAME');
        const a = await createAccount({ db, box }, { name: name.trim() });
        print(json, { accountId: a.accountId, accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey }, () =>
          `account ${a.accountId} (${a.name})\naccess key id:     ${a.accessKeyId}\nsecret access key: ${a.secretAccessKey}`);
        break;
      }
      case 'accounts list': {
        const rows = await listAccounts(db);
        print(json, rows, () => rows.map((r) => `${r.accountId}  ${r.name}  created ${r.createdAt}  ${r.buckets} bucket(s)`).join('\n') || 'no accounts');
        break;
      }
      case 'gc': {
        const report = await runMaintenance(db, store, maintenanceOptions(cfg));
        print(json, report, () =>
          `abandoned multipart uploads aborted: ${report.abandonedUploads}\ninterrupted uploads dropped: ${report.abandonedStagings}\nchunks deleted: ${report.chunksDeleted} (${report.bytesFreed} bytes)`);
        break;
      }
      case 'scrub': {
        const r = await scrub(db, store, { repair: options.has('--repair') });
        const damaged = (d: DamagedChunk[], what: string) => d.map((c) => `${what} chunk ${c.hash}, used by: ${c.objects.join(', ') || 'nothing'}`);
        print(json, r, () => [
          `chunks checked: ${r.chunksChecked} (${r.bytesChecked} bytes)`,
          ...damaged(r.corrupt, r.repaired ? 'corrupt (bytes removed; a re-upload of the same content heals it):' : 'corrupt:'),
          ...damaged(r.missing, 'missing:'),
          ...r.refcountsFixed.map((f) => `reference count of ${f.hash}: recorded ${f.recorded ?? 'no row'}, actual ${f.actual}${r.repaired ? ' (fixed)' : ''}`),
          ...r.orphanFiles.map((h) => `file without a row: ${h}${r.repaired ? ' (deleted)' : ''}`),
          scrubIsClean(r) ? 'all good' : r.repaired ? 'repaired what could be repaired' : 'run with --repair to fix counts and clear damaged chunks',
        ].join('\n'));
        if (r.corrupt.length || r.missing.length) process.exitCode = 1;
        break;
      }
    }
  } finally {
    client.close();
  }
}

run(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) console.error(`admin: ${e.message}\n${USAGE}`);
  else if (e instanceof ConfigError) console.error(`admin: configuration: ${e.message}`);
  else console.error('admin:', e);
  process.exit(2);
});
