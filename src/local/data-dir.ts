/**
 * A data directory on a machine with a filesystem (Node, and Deno through its Node compatibility): the
 * server key and operator token kept in 0600 files made on first start, the libSQL database (a file in
 * it by default), the migrations read from migrations/, and the chunks in files. Shared by the server
 * and the admin CLI, which may run at the same time on the same directory.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Client, createClient } from '@libsql/client';
import type { PriceList } from '../core/billing/prices.ts';
import { BufferPool } from '../core/block/buffer-pool.ts';
import type { ChunkStoreRuntime } from '../core/block/configured-store.ts';
import { openChunkStore } from '../core/block/configured-store.ts';
import type { ChunkStore } from '../core/block/store.ts';
import { parsePriceList } from '../core/config.ts';
import type { ChangeStamp } from '../core/db/index.ts';
import { type Journal, loadMigrations, type Migration } from '../core/db/migrate.ts';
import { randomBytes, toBase64, toBase64Url } from '../core/digests.ts';
import {
  type Data,
  type DataParts,
  decodeServerKey,
  openData,
  type RootCredentials,
} from '../core/service.ts';
import type { Config } from './config.ts';
import { FsChunkStore } from './fs-chunk-store.ts';
import { LocalClient } from './libsql-client.ts';
import { openReplica } from './replica.ts';

const MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url);

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
  if (cfg.serverKey) return decodeServerKey(cfg.serverKey, 'QOIMA_SERVER_KEY');
  const path = join(cfg.dataDir, 'server.key');
  return decodeServerKey(await secretFile(path, () => toBase64(randomBytes(32))), path);
}

async function prices(cfg: Config): Promise<PriceList | undefined> {
  if (cfg.prices || !cfg.pricesFile) return cfg.prices;
  return parsePriceList(await readFile(cfg.pricesFile, 'utf8'), `QOIMA_PRICES_FILE (${cfg.pricesFile})`);
}

async function openClient(
  cfg: Config,
): Promise<{ client: Client; fresh?: () => Promise<void>; changeStamp?: ChangeStamp }> {
  if (cfg.dbReplica) {
    // one replica file per serving process: libSQL's embedded replica is not shared between processes
    const file = cfg.workers > 1 ? `${cfg.dbReplica}.${cfg.workerSlot}` : cfg.dbReplica;
    return openReplica(file, cfg.dbUrl, cfg.dbAuthToken);
  }
  const local = cfg.dbUrl.startsWith('file:');
  const client = local
    ? new LocalClient(cfg.dbUrl.slice('file:'.length), { timeout: 10_000 })
    : createClient({ url: cfg.dbUrl, authToken: cfg.dbAuthToken });
  if (client instanceof LocalClient) {
    // WAL lets the admin CLI and the server use the file together; FULL makes each commit durable.
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA synchronous = FULL');
    return { client, changeStamp: () => client.changeStamp() };
  }
  return { client };
}

async function migrations(): Promise<Migration[]> {
  const journal = JSON.parse(
    await readFile(new URL('meta/_journal.json', MIGRATIONS_DIR), 'utf8'),
  ) as Journal;
  return loadMigrations(journal, (tag) => readFile(new URL(`${tag}.sql`, MIGRATIONS_DIR), 'utf8'));
}

/**
 * The chunk stores of a data directory: `chunks/` for QOIMA_CHUNK_STORE=fs, `chunk-cache/` (without
 * fsync: cached copies are checked on every read) in front of an s3 one. `tidy` sweeps both. Both read
 * into buffers lent by `buffers`.
 */
function chunkStores(cfg: Config, buffers: BufferPool): ChunkStoreRuntime {
  const opened: FsChunkStore[] = [];
  const open = async (dir: string, fsync: boolean) => {
    const store = new FsChunkStore(dir, fsync, buffers);
    await store.init();
    opened.push(store);
    return store;
  };
  return {
    own: () => open(cfg.dataDir, cfg.fsync),
    // each serving process keeps its own part of the read cache (QOIMA_CHUNK_CACHE_BYTES / workers)
    cache: () =>
      open(join(cfg.dataDir, 'chunk-cache', ...(cfg.workers > 1 ? [String(cfg.workerSlot)] : [])), false),
    tidy: async () => {
      for (const s of opened) await s.sweepTemporary();
    },
  };
}

/** Everything the core's openService needs that a data directory holds. */
export async function dataDirParts(
  cfg: Config,
): Promise<DataParts & { store: ChunkStoreRuntime; operatorToken: string; chunkBuffers: BufferPool }> {
  await mkdir(cfg.dataDir, { recursive: true });
  const key = await serverKey(cfg);
  const operatorToken =
    cfg.operatorToken ??
    (await secretFile(join(cfg.dataDir, 'operator-token'), () => toBase64Url(randomBytes(32))));
  // (a buffer read into needs no zero-filling first; allocUnsafeSlow's is its own, never a shared slab)
  const chunkBuffers = new BufferPool(cfg.chunkSize, (size) => Buffer.allocUnsafeSlow(size).buffer);
  return {
    ...(await openClient(cfg)),
    migrations,
    key,
    prices: await prices(cfg),
    store: chunkStores(cfg, chunkBuffers),
    chunkBuffers,
    operatorToken,
  };
}

export interface Opened extends Data {
  /** The store of record (what the admin CLI's scrub and gc work on). */
  store: ChunkStore;
  operatorToken: string;
}

/** The data directory opened for the admin CLI: the metadata migrated, the store of record. */
export async function openDataDir(cfg: Config): Promise<Opened> {
  const parts = await dataDirParts(cfg);
  const data = await openData(cfg, parts);
  const { backend } = await openChunkStore(cfg, { ...parts.store, cache: undefined });
  return { ...data, store: backend, operatorToken: parts.operatorToken };
}

/** Writes the first account's root credentials to `root-credentials.json` (mode 0600), with the endpoint. */
export async function saveRootCredentials(
  cfg: Config,
  creds: RootCredentials,
  endpoint: string,
): Promise<string> {
  const path = join(cfg.dataDir, 'root-credentials.json');
  const out = { endpoint, accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey };
  await writeFile(path, JSON.stringify(out, null, 2) + '\n', { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}
