/** The request log's thread (see log-thread.ts): writes the batches it is sent, in order. */
import { parentPort, workerData } from 'node:worker_threads';
import { openDb } from '../core/db/index.ts';
import { dbLogWriter } from '../core/log/request-log.ts';
import { LocalClient } from '../local/libsql-client.ts';
import type { LogThreadData } from './log-thread.ts';

const { path, nodeId } = workerData as LogThreadData;
const client = new LocalClient(path, { timeout: 10_000 });
// commits are not fsynced: a process crash loses no committed row, a power cut may lose the last ones
await client.execute('PRAGMA synchronous = NORMAL');
const writer = dbLogWriter(openDb(client), nodeId);

let chain = Promise.resolve();
parentPort!.on('message', (m: { id: number; rows: string; drops: number } | { close: true }) => {
  if ('close' in m) {
    void chain.then(() => {
      client.close();
      parentPort!.close(); // nothing left to wait for: the thread ends
    });
    return;
  }
  chain = chain.then(() =>
    writer.write(m.rows, m.drops).then(
      () => parentPort!.postMessage({ id: m.id }),
      (e: unknown) =>
        parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) }),
    ),
  );
});
