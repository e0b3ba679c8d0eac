/**
 * Opening a data directory on Node: the server key, the libSQL database (migrated), the chunk store,
 * and on first start the first account with its root user. Shared by the server and the admin CLI,
 * which may run at the same time on the same directory.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { type Db, openDb } from '../core/db/index.ts';
import { type Journal, loadMigrations, migrate } from '../core/db/migrate.ts';
import { fromBase64, randomBytes, toBase64, toBase64Url } from '../core/digests.ts';
import { TokenService } from '../core/auth/tokens.ts';
import { DEFAULT_PRICES, PriceList } from '../core/billing/prices.ts';
import { Billing } from '../core/billing/service.ts';
import { type AccountDeps, checkPresetCredentials, ensureRootAccount } from '../core/model/accounts.ts';
import { dbLogWriter, type LogWriter } from '../core/log/request-log.ts';
import { SecretBox } from '../core/secretbox.ts';
import { ConfigError, type Config } from './config.ts';
import { FsChunkStore } from './fs-chunk-store.ts';
import { openChunkStore } from '../core/block/configured-store.ts';
import type { ChunkStore } from '../core/block/store.ts';
import { LocalClient } from './libsql-local.ts';
import { threadLogWriter } from './log-thread.ts';
import { openReplica } from './replica.ts';

const MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url);

export interface Opened {
  client: Client;
  db: Db;
  box: SecretBox;
  /** What the app reads and writes chunks through (the S3 backend behind a read cache, or files). */
  store: ChunkStore;
  /** The store of record alone: what scrub re-hashes. */
  backend: ChunkStore;
  /** Leftover temporary files of this node's own chunk files (fs store or read cache). */
  sweepTemporary: () => Promise<void>;
  tokens: TokenService;
  operatorToken: string;
  billing: Billing;
  /** Waits until reads see every commit made so far (a no-op unless the node reads a replica). */
  fresh: () => Promise<void>;
}

async function priceList(cfg: Config): Promise<PriceList> {
  if (!cfg.pricesFile) return DEFAULT_PRICES;
  const parsed = PriceList.safeParse(JSON.parse(await readFile(cfg.pricesFile, 'utf8')));
  if (!parsed.success)
    throw new ConfigError(
      `QOIMA_PRICES_FILE: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** Reads a secret file of the data directory, creating it (mode 0600) the first time. */
/** A value kept in a 0600 file, made on first use (by whichever process gets there first). */
export async function secretFile(path: string, make: () => string): Promise<string> {
  try {
    await writeFile(path, make() + '\n', { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return (await readFile(path, 'utf8')).trim();
}

async function serverKey(cfg: Config): Promise<Uint8Array> {
  if (cfg.serverKey) {
    const key = fromBase64(cfg.serverKey);
    if (!key || key.length !== 32) throw new ConfigError('QOIMA_SERVER_KEY must be base64 of 32 bytes');
    return key;
  }
  const path = join(cfg.dataDir, 'server.key');
  const key = fromBase64(await secretFile(path, () => toBase64(randomBytes(32))));
  if (!key || key.length !== 32) throw new ConfigError(`${path} does not hold a base64 32-byte key`);
  return key;
}

async function openClient(cfg: Config): Promise<{ client: Client; fresh: () => Promise<void> }> {
  if (cfg.dbReplica) {
    const replica = await openReplica(cfg.dbReplica, cfg.dbUrl, cfg.dbAuthToken);
    return { client: replica.client, fresh: replica.fresh };
  }
  const local = cfg.dbUrl.startsWith('file:');
  const client = local
    ? new LocalClient(cfg.dbUrl.slice('file:'.length), { timeout: 10_000 })
    : createClient({ url: cfg.dbUrl, authToken: cfg.dbAuthToken });
  if (local) {
    // WAL lets the admin CLI and the server use the file together; FULL makes each commit durable.
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA synchronous = FULL');
  }
  return { client, fresh: async () => {} };
}

/**
 * Where the request log writes: on a local file, a thread of its own with its own connection (see
 * log-thread.ts); on a libSQL server, the shared client, whose calls are network round trips anyway.
 */
export function requestLogWriter(cfg: Config, db: Db, nodeId: string): LogWriter {
  return cfg.dbUrl.startsWith('file:')
    ? threadLogWriter({ path: cfg.dbUrl.slice('file:'.length), nodeId })
    : dbLogWriter(db, nodeId);
}

export async function openDataDir(cfg: Config): Promise<Opened> {
  await mkdir(cfg.dataDir, { recursive: true });
  const box = await SecretBox.create(await serverKey(cfg));
  const { client, fresh } = await openClient(cfg);
  const journal = JSON.parse(
    await readFile(new URL('meta/_journal.json', MIGRATIONS_DIR), 'utf8'),
  ) as Journal;
  await migrate(
    client,
    await loadMigrations(journal, (tag) => readFile(new URL(`${tag}.sql`, MIGRATIONS_DIR), 'utf8')),
  );
  const locals: FsChunkStore[] = [];
  const local = async (dir: string, fsync: boolean) => {
    const s = new FsChunkStore(dir, fsync);
    await s.init();
    locals.push(s);
    return s;
  };
  const { store, backend } = await openChunkStore(cfg, {
    own: () => local(cfg.dataDir, cfg.fsync),
    // Cached copies are checked on every read, so the cache needs no fsync.
    cache: () => local(join(cfg.dataDir, 'chunk-cache'), false),
    warn: (m) => console.error(m),
  });
  const sweepTemporary = async () => {
    for (const s of locals) await s.sweepTemporary();
  };
  const db = openDb(client);
  const tokens = new TokenService(db, box, cfg.issuer);
  await tokens.ensureKey();
  const operatorToken =
    cfg.operatorToken ??
    (await secretFile(join(cfg.dataDir, 'operator-token'), () => toBase64Url(randomBytes(32))));
  return {
    client,
    db,
    box,
    store,
    backend,
    sweepTemporary,
    tokens,
    operatorToken,
    billing: new Billing(db, await priceList(cfg), cfg.trialDays),
    fresh,
  };
}

export interface RootCredentials {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * The first account: created on first start (from QOIMA_ROOT_* when given), or brought in line with
 * QOIMA_ROOT_* on later starts. Returns the credentials when they were created or changed (to be
 * shown once), null when nothing changed.
 */
export async function ensureFirstAccount(
  deps: AccountDeps,
  cfg: Config,
  endpoint: string,
): Promise<RootCredentials | null> {
  const preset =
    cfg.rootAccessKey && cfg.rootSecretKey
      ? { accessKeyId: cfg.rootAccessKey, secretAccessKey: cfg.rootSecretKey }
      : null;
  if (preset) {
    const problem = checkPresetCredentials(preset.accessKeyId, preset.secretAccessKey);
    if (problem) throw new ConfigError(`QOIMA_ROOT_ACCESS_KEY/QOIMA_ROOT_SECRET_KEY: ${problem}`);
  }
  const creds = await ensureRootAccount(deps, preset, cfg.quotaDefaults);
  if (!creds) return null;
  const out = { endpoint, accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey };
  const path = join(cfg.dataDir, 'root-credentials.json');
  await writeFile(path, JSON.stringify(out, null, 2) + '\n', { mode: 0o600 });
  await chmod(path, 0o600);
  return out;
}
