/**
 * Every core of a machine (QOIMA_WORKERS): this primary process starts N serving processes that share
 * the port (node:cluster hands connections to them in turn), the data directory and the database.
 *
 * - Each serving process gets QOIMA_WORKERS=N and its slot QOIMA_WORKER_SLOT; slot 0 runs the
 *   background jobs (probes, metering, GC, maintenance) for the machine, every process heart-beats
 *   for its own uploads, and each enforces 1/N of every fair-use limit (core/model/fair-use.ts).
 * - The primary prints the one `ready on` line once every process serves.
 * - A process that dies is started again in its slot (after a second if it died young, so a process
 *   that cannot start does not spin); one that dies before the machine was ever ready stops the start.
 * - SIGTERM / SIGINT: every process drains its in-flight requests (QOIMA_SHUTDOWN_GRACE_SECONDS), then
 *   the primary exits 0; a process still there well after its grace period is killed.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../local/config.ts';

/** What a serving process tells the primary once it serves. */
export interface ReadyMessage {
  qoimaReady: { endpoint: string; httpsPort: number | null };
}

const isReady = (m: unknown): m is ReadyMessage => typeof m === 'object' && m !== null && 'qoimaReady' in m;

export async function runPrimary(cfg: Config, count: number): Promise<void> {
  const slots = new Map<number, Worker>();
  let stopping = false;
  let ready = false;

  const start = (slot: number): Promise<ReadyMessage['qoimaReady']> => {
    const startedAt = Date.now();
    const worker = cluster.fork({ QOIMA_WORKERS: String(count), QOIMA_WORKER_SLOT: String(slot) });
    slots.set(slot, worker);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: unknown) => {
        if (isReady(m)) resolve(m.qoimaReady);
      });
      worker.on('exit', (code, signal) => {
        if (slots.get(slot) === worker) slots.delete(slot);
        if (stopping) return;
        if (!ready) {
          reject(new Error(`serving process ${slot} exited (${signal ?? code}) while starting`));
          return;
        }
        console.error(`qoima: serving process ${slot} exited (${signal ?? code}); starting it again`);
        const delay = Date.now() - startedAt < 10_000 ? 1_000 : 0;
        setTimeout(() => void start(slot).catch(() => {}), delay).unref();
      });
    });
  };

  let info: ReadyMessage['qoimaReady'];
  try {
    // the first process creates the service on a fresh database, then the others join it
    info = await start(0);
    await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(i + 1)));
  } catch (e) {
    stopping = true;
    for (const w of slots.values()) w.process.kill('SIGKILL');
    console.error(`qoima: failed to start: ${(e as Error).message}`);
    process.exit(1);
  }
  ready = true;

  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const exits = [...slots.values()].map(
      (w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))),
    );
    for (const w of slots.values()) w.process.kill(signal);
    const killer = setTimeout(() => {
      for (const w of slots.values()) if (!w.isDead()) w.process.kill('SIGKILL');
    }, cfg.shutdownGraceMs + 10_000);
    await Promise.all(exits);
    clearTimeout(killer);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const tls = info.httpsPort !== null ? `, https on port ${info.httpsPort}` : '';
  console.log(
    `qoima: ready on ${info.endpoint} (region ${cfg.region}, data in ${cfg.dataDir}, ${count} processes${tls})`,
  );
}
