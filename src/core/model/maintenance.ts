/** Periodic housekeeping: abandoned multipart uploads first (their parts free chunks), then chunk GC. */
import { type GcOptions, type GcReport, collectGarbage } from '../block/gc.ts';
import type { ChunkStore } from '../block/store.ts';
import type { Db } from '../db/index.ts';
import { abortAbandonedUploads } from './multipart.ts';
import { sweepAbandonedReservations } from './quotas.ts';

export interface MaintenanceOptions extends GcOptions {
  /** Multipart uploads older than this are aborted (their clients are gone). */
  multipartMaxAgeMs: number;
}

export interface MaintenanceReport extends GcReport {
  abandonedUploads: number;
  abandonedReservations: number;
}

export async function runMaintenance(
  db: Db,
  store: ChunkStore,
  opts: MaintenanceOptions,
): Promise<MaintenanceReport> {
  let abandonedUploads = 0;
  for (let n; (n = await abortAbandonedUploads(db, Date.now() - opts.multipartMaxAgeMs)) > 0; )
    abandonedUploads += n;
  const abandonedReservations = await sweepAbandonedReservations(db, opts.nodeTimeoutMs);
  return { abandonedUploads, abandonedReservations, ...(await collectGarbage(db, store, opts)) };
}
