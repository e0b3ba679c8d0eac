/**
 * Qoima as a process with a data directory (Node, and Deno through its Node compatibility): the parts
 * a data directory holds handed to the core's one start-up path (core/service.ts). Each entry brings
 * its HTTP server, its DNS and how it learns a client's address; the first account's root credentials
 * are written next to the data and printed once.
 */
import type { BufferPool } from '../core/block/buffer-pool.ts';
import { openService as openCoreService, type Service, type ServiceParts } from '../core/service.ts';
import { inspectCertificate } from './certificates.ts';
import type { Config } from './config.ts';
import { dataDirParts, saveRootCredentials } from './data-dir.ts';
import { nodeDigests } from './digests.ts';

/** What an entry knows that a data directory cannot say. */
export type EntryParts = Pick<
  ServiceParts,
  'txtLookup' | 'getRawTarget' | 'getClientAddress' | 'getHeaderNames' | 'getBody' | 'logWriter'
>;

export interface LocalService extends Service {
  /** Creates the first account on a fresh data directory (or applies QOIMA_ROOT_*) and prints it, once. */
  ensureFirstAccount(endpoint: string): Promise<void>;
  /** Where the chunk stores' read buffers come from; a writer that sends one gives it back here. */
  chunkBuffers: BufferPool;
}

export async function openService(cfg: Config, parts: EntryParts): Promise<LocalService> {
  const data = await dataDirParts(cfg);
  const service = await openCoreService(cfg, {
    ...data,
    ...parts,
    digests: nodeDigests,
    inspectCertificate,
  });
  const ensureFirstAccount = async (endpoint: string) => {
    const created = await service.ensureRootAccount();
    if (!created) return;
    const path = await saveRootCredentials(cfg, created, endpoint);
    console.log(`qoima: root user of the first account (also in ${path}, mode 0600):`);
    console.log(`qoima:   access key id:     ${created.accessKeyId}`);
    console.log(`qoima:   secret access key: ${created.secretAccessKey}`);
  };
  return { ...service, ensureFirstAccount, chunkBuffers: data.chunkBuffers };
}
