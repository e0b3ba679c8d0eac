/**
 * The request log's batching (src/core/log/request-log.ts) under steady traffic: a flush writes what was
 * queued when it was asked and then ends while rows keep coming; close() still loses nothing. Each
 * commit finishes when the test says so, and rows arrive between commits: no timer decides anything.
 */
import { describe, expect, it } from 'vitest';
import { BatchingRequestLog, type LogWriter } from '../src/core/log/request-log.ts';

const entry = (i: number) => ({
  time: i,
  requestId: `r${i}`,
  operation: 'GetObject',
  status: 200,
  bytesIn: 0,
  bytesOut: 4096,
  durationMs: 1,
  auth: 'anonymous',
});

/** Lets every callback that is ready run (a commit's completion, the writes it starts). */
const settle = () => new Promise((r) => setImmediate(r));

describe('BatchingRequestLog', () => {
  it('ends a flush asked under steady traffic, and loses no row', async () => {
    let written = 0;
    const commits: (() => void)[] = []; // commits under way, each finished by the test
    const writer: LogWriter = {
      write: async (rows) => {
        written += (JSON.parse(rows) as unknown[]).length;
        await new Promise<void>((r) => commits.push(r));
      },
      close: async () => {},
    };
    const log = new BatchingRequestLog(writer, 'node_t', { flushMs: 0, batchRows: 100, maxQueue: 1e6 });
    let recorded = 0;
    const traffic = (n: number) => {
      for (let i = 0; i < n; i++) log.record(entry(recorded++));
    };
    traffic(150); // a full batch: its commit is under way
    traffic(30);
    const asked = recorded;
    let flushed = false;
    const flush = log.flush().then(() => (flushed = true));
    // rows keep coming between commits (a flush that drained while any row waited would never end)
    for (let i = 0; i < 10 && !flushed; i++) {
      commits.shift()?.();
      await settle();
      traffic(30);
    }
    await flush;
    expect(written).toBeGreaterThanOrEqual(asked);
    const closed = log.close();
    while (commits.length || log.stats().queued) {
      commits.shift()?.();
      await settle();
    }
    await closed;
    expect(written).toBe(recorded);
    expect(log.stats().dropped).toBe(0);
  });
});
