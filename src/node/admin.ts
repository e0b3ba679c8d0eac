/**
 * The operator's command line. Works on the same data directory (QOIMA_DATA_DIR) as a running server.
 * `--json` prints machine-readable output; `npm run --silent admin -- help` lists the commands.
 */
import { openDataDir } from '../local/data-dir.ts';
import { ConfigError, loadConfig } from '../local/config.ts';
import { NoStore, isNewStore, noStoreMessage } from './admin-store.ts';
import { BILLING_COMMANDS } from './admin-billing.ts';
import { type Args, COMMANDS, UsageError } from './admin-commands.ts';
import { TERMS_COMMANDS } from './admin-terms.ts';

const CONFIG_FLAGS = new Set(['--data-dir', '--db-url']);
const BOOLEAN_FLAGS = new Set(['--json', '--repair', '--csv', '--block-reads']);
const ALL = { ...COMMANDS, ...BILLING_COMMANDS, ...TERMS_COMMANDS };

function usage(): string {
  const lines = Object.entries(ALL).map(([name, c]) => `  ${name} ${c.help}`);
  return `usage: npm run --silent admin -- <command> [options] [--json]\n${lines.join('\n')}\noptions for every command: --data-dir DIR, --db-url URL (else QOIMA_DATA_DIR, QOIMA_DB_URL)`;
}

/** One line under an error: the command's own usage, or where the list of commands is. */
function hint(argv: string[]): string {
  const words = argv.filter((a) => !a.startsWith('--'));
  for (let n = words.length; n > 0; n--) {
    const name = words.slice(0, n).join(' ');
    const c = ALL[name];
    if (c) return `usage: npm run --silent admin -- ${name} ${c.help.replace(/\s{2,}/, '   # ')}`;
  }
  const near = Object.keys(ALL).filter((n) => words[0] !== undefined && n.split(' ')[0] === words[0]);
  if (near.length > 1)
    return `did you mean: ${near.join(', ')}? (every command: npm run --silent admin -- help)`;
  return 'every command: npm run --silent admin -- help';
}

function parseArgs(argv: string[]): Args & { configArgs: string[] } {
  const words: string[] = [];
  const options = new Map<string, string[]>();
  const configArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) words.push(a);
    else if (CONFIG_FLAGS.has(a)) configArgs.push(a, argv[++i] ?? '');
    else if (BOOLEAN_FLAGS.has(a)) options.set(a, ['true']);
    else {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      options.set(a, [...(options.get(a) ?? []), v]);
    }
  }
  return { words, options, configArgs };
}

/** Plain text for people: one `key: value` per line, lists one item per line. */
function human(value: unknown, indent = ''): string {
  if (Array.isArray(value))
    return value.length
      ? value
          .map((v) =>
            typeof v === 'object' && v ? `${indent}-\n${human(v, indent + '  ')}` : `${indent}- ${String(v)}`,
          )
          .join('\n')
      : `${indent}(none)`;
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) =>
        v && typeof v === 'object'
          ? `${indent}${k}:\n${human(v, indent + '  ')}`
          : `${indent}${k}: ${String(v)}`,
      )
      .join('\n');
  }
  return `${indent}${String(value)}`;
}

async function run(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  const name = args.words.join(' ');
  if (name === 'help' || name === '') {
    console.log(usage());
    if (name === '') process.exitCode = 2;
    return;
  }
  const command = ALL[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  const cfg = loadConfig(process.env, args.configArgs);
  const fresh = await isNewStore(cfg);
  if (fresh && command.readOnly) throw new NoStore(noStoreMessage(cfg));
  const opened = await openDataDir(cfg);
  if (fresh)
    console.error(
      `admin: WARNING: ${cfg.dataDir} held no Qoima store; a new, empty one was created there. ` +
        'If your server keeps its data elsewhere, run this with QOIMA_DATA_DIR (or --data-dir) set ' +
        'to its directory (the server names it in its ready line).',
    );
  try {
    const result = await command.run(opened, cfg, args);
    if (typeof result === 'string') process.stdout.write(result);
    else console.log(args.options.has('--json') ? JSON.stringify(result) : human(result));
  } finally {
    opened.client.close();
  }
}

run(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) console.error(`admin: ${e.message}\n${hint(process.argv.slice(2))}`);
  else if (e instanceof NoStore) console.error(`admin: ${e.message}`);
  else if (e instanceof ConfigError) console.error(`admin: configuration: ${e.message}`);
  else if (e instanceof Error && e.name === 'S3Error')
    console.error(`admin: ${(e as Error & { code: string }).code}: ${e.message}`);
  else console.error('admin:', e);
  process.exit(2);
});
