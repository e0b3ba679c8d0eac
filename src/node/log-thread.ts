/**
 * A LogWriter that hands each batch to a worker thread with its own connection to the database file,
 * so SQLite's insert work never runs on the thread that serves requests. A worker that dies is started
 * again on the next batch; until then batches fail and wait in the request log's queue.
 */
import { Worker } from 'node:worker_threads';
import type { Db } from '../core/db/index.ts';
import { dbLogWriter, type LogWriter } from '../core/log/request-log.ts';
import type { Config } from '../local/config.ts';

export interface LogThreadData {
  path: string;
  nodeId: string;
}

type Reply = { id: number; error?: string };

export function threadLogWriter(data: LogThreadData): LogWriter {
  // the same extension as this module: .ts under tsx (tests), .js once built
  const url = new URL(
    `./log-worker${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`,
    import.meta.url,
  );
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let worker: Worker | null = null;
  let seq = 0;
  let closed = false;

  const failAll = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const start = (): Worker => {
    // Node 20 does not hand --import hooks to workers, so under tsx the worker registers tsx itself
    const w = url.pathname.endsWith('.ts')
      ? new Worker(
          `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`,
          { eval: true, workerData: data },
        )
      : new Worker(url, { workerData: data });
    w.unref();
    w.on('message', (m: Reply) => {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error === undefined) p?.resolve();
      else p?.reject(new Error(m.error));
    });
    w.on('error', (e) => failAll(e));
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(new Error(`request log thread exited (code ${code})`));
    });
    return w;
  };

  worker = start(); // now, not on the first batch: loading it takes a moment
  return {
    write(rows, drops) {
      if (closed) return Promise.reject(new Error('request log is closed'));
      worker ??= start();
      const id = ++seq;
      const done = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }));
      worker.postMessage({ id, rows, drops });
      return done;
    },
    async close() {
      closed = true;
      const w = worker;
      worker = null;
      if (!w) return;
      const exited = new Promise((r) => w.once('exit', r));
      w.ref(); // keep the process alive until the last batch is written
      w.postMessage({ close: true });
      // a thread stuck in the database must not hold the shutdown forever
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stuck = new Promise((r) => (timer = setTimeout(r, 15_000)));
      await Promise.race([exited, stuck]);
      clearTimeout(timer);
      await w.terminate();
    },
  };
}

/**
 * Where the request log writes: on a local file, a thread of its own with its own connection; on a
 * libSQL server, the shared client, whose calls are network round trips anyway.
 */
export function requestLogWriter(cfg: Config, db: Db, nodeId: string): LogWriter {
  return cfg.dbUrl.startsWith('file:')
    ? threadLogWriter({ path: cfg.dbUrl.slice('file:'.length), nodeId })
    : dbLogWriter(db, nodeId);
}
