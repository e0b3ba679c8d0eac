/**
 * The internal prober: every few seconds each server checks that it can still do its work (the event
 * loop turns, the database answers) and writes a heart-beat. Minutes without any beat are minutes the
 * service did not answer: they count as downtime in the SLA (rollup.ts turns gaps into downtime).
 */
import type { Db } from '../db/index.ts';
import { probeBeats } from '../db/schema.ts';

export async function probe(db: Db, nodeId: string, now = Date.now()): Promise<void> {
  await db.insert(probeBeats).values({ nodeId, time: now });
}
