/**
 * The request log's batching (src/core/log/request-log.ts) under steady traffic: a flush writes what was
 * queued when it was asked and then ends while rows keep coming; close() still loses nothing.
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

describe('BatchingRequestLog', () => {
  it('ends a flush asked under steady traffic, and loses no row', async () => {
    let written = 0;
    const writer: LogWriter = {
      write: async (rows) => {
        written += (JSON.parse(rows) as unknown[]).length;
        await new Promise((r) => setTimeout(r, 2)); // a commit takes a while; rows keep coming
      },
      close: async () => {},
    };
    const log = new BatchingRequestLog(writer, 'node_t', { flushMs: 0, batchRows: 100, maxQueue: 1e6 });
    let recorded = 0;
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        for (let i = 0; i < 5; i++) log.record(entry(recorded++));
        await new Promise((r) => setTimeout(r, 1)); // a few thousand requests a second
      }
    })();
    await new Promise((r) => setTimeout(r, 30));
    const asked = recorded;
    await log.flush(); // (a flush that drained while any row waited would never end here)
    expect(written).toBeGreaterThanOrEqual(asked);
    stop = true;
    await traffic;
    await log.close();
    expect(written).toBe(recorded);
    expect(log.stats().dropped).toBe(0);
  });
});
