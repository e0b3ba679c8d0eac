/**
 * Every request becomes one row of request_log, written off the hot path: rows wait in a queue that is
 * flushed every `flushMs` or as soon as `batchRows` are waiting. If the database is unavailable the rows
 * stay queued (up to `maxQueue`; beyond that the oldest are dropped, counted, and the count recorded in
 * log_drops once the database is back), and requests keep being served. `close()` drains the queue, so
 * a graceful stop loses nothing; a crash loses at most what arrived since the last flush.
 */
import type { Db } from '../db/index.ts';
import { logDrops, requestLog } from '../db/schema.ts';

export type LogEntry = Omit<typeof requestLog.$inferInsert, 'id' | 'nodeId'>;

export interface RequestLog {
  record(entry: LogEntry): void;
  /** Writes what is queued now. */
  flush(): Promise<void>;
  /** Stops the timer and drains the queue (bounded by `timeoutMs`). */
  close(timeoutMs?: number): Promise<void>;
  stats(): { queued: number; written: number; dropped: number; failures: number };
}

export interface BatchingOptions {
  flushMs: number;
  batchRows: number;
  maxQueue: number;
  /** Told about failed flushes and drops (once per episode, not per row). */
  warn?: (message: string) => void;
}

/** Rows per INSERT statement (SQLite's variable limit is 32766; 18 columns a row). */
const ROWS_PER_STATEMENT = 200;

export class BatchingRequestLog implements RequestLog {
  private queue: LogEntry[] = [];
  private written = 0;
  private dropped = 0;
  private unreportedDrops = 0;
  private failures = 0;
  private failing = false;
  private flushing: Promise<void> | null = null;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly db: Db,
    private readonly nodeId: string,
    private readonly opts: BatchingOptions,
  ) {
    this.timer = setInterval(() => void this.flush(), opts.flushMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  record(entry: LogEntry): void {
    this.queue.push(entry);
    this.bound();
    if (this.queue.length >= this.opts.batchRows && !this.flushing) void this.flush();
  }

  /** Drops the oldest rows beyond maxQueue, counting them. */
  private bound(): void {
    const excess = this.queue.length - this.opts.maxQueue;
    if (excess <= 0) return;
    this.queue.splice(0, excess);
    this.dropped += excess;
    this.unreportedDrops += excess;
  }

  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async write(): Promise<void> {
    while (this.queue.length) {
      const rows = this.queue.splice(0, this.opts.batchRows * 4);
      try {
        const stmts = [];
        for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
          stmts.push(this.db.insert(requestLog).values(rows.slice(i, i + ROWS_PER_STATEMENT).map((r) => ({ ...r, nodeId: this.nodeId }))));
        }
        if (this.unreportedDrops) stmts.push(this.db.insert(logDrops).values({ time: Date.now(), nodeId: this.nodeId, dropped: this.unreportedDrops }));
        await this.db.batch(stmts as [(typeof stmts)[number], ...(typeof stmts)[number][]]);
        this.unreportedDrops = 0;
        this.written += rows.length;
        if (this.failing) this.opts.warn?.(`qoima: request log written again (${this.queue.length} rows still queued, ${this.dropped} dropped in all)`);
        this.failing = false;
      } catch (e) {
        this.queue.unshift(...rows); // back to the front, in order; the bound applies again
        this.bound();
        this.failures++;
        if (!this.failing) this.opts.warn?.(`qoima: request log cannot be written, rows wait in memory (up to ${this.opts.maxQueue}): ${(e as Error).message}`);
        this.failing = true;
        return;
      }
    }
  }

  async close(timeoutMs = 10_000): Promise<void> {
    clearInterval(this.timer);
    const until = Date.now() + timeoutMs;
    while (this.queue.length && Date.now() < until) {
      await this.flush();
      if (this.queue.length) await new Promise((r) => setTimeout(r, 100));
    }
  }

  stats() {
    return { queued: this.queue.length, written: this.written, dropped: this.dropped, failures: this.failures };
  }
}

/** For a process that logs nothing (QOIMA_REQUEST_LOG=0): the benchmark's baseline. */
export const noRequestLog: RequestLog = {
  record: () => {},
  flush: async () => {},
  close: async () => {},
  stats: () => ({ queued: 0, written: 0, dropped: 0, failures: 0 }),
};

/** What the layers that handle a request learn about it, for its log row. */
export interface RequestRecord {
  accountId?: string | null;
  bucket?: string | null;
  key?: string | null;
  operation?: string;
  errorCode?: string | null;
  auth?: string;
  keyId?: string | null;
  storageClass?: string | null;
}

/** The `auth` column for a principal: root, key, presigned, bearer or anonymous. */
export function authKind(p: { kind: string; via?: string }): string {
  if (p.kind === 'anonymous') return 'anonymous';
  if (p.via === 'bearer') return 'bearer';
  if (p.via === 'presigned') return 'presigned';
  return p.kind;
}
