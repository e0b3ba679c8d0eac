/**
 * Fewer writes to a client's socket, since each write that lands wakes the client's thread, and waking
 * a thread asleep on another core costs the writer more than the write itself (4 KiB GETs on this
 * project's 2-core machine: ~13 µs of each request on a serving thread).
 *
 * A streamed body's header block leaves with the body's first piece (one write), not on its own
 * (`flushHeaders` is left to that first write; @hono/node-server flushes before it streams).
 *
 * Responses finished in one turn of the event loop go out together, at the end of that turn (the
 * check phase, after every ready socket was read and every request it carried was answered): the way
 * Redis writes its replies just before it waits for events again. A response's `end` (its last
 * piece, or all of a small one) is kept until then; the bytes, their order on a connection and the
 * callbacks are those of the `end` as called. Writes of a turn back to back wake a client once for
 * all of them.
 * Invariant: every `end` kept is called in the turn it was kept in, in the order they were kept;
 * one that throws (a response already destroyed) is destroyed with its error and the rest still go.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

type End = () => void;

let kept: { res: ServerResponse; end: End }[] = [];

function endKept(): void {
  const turn = kept;
  kept = [];
  for (const { res, end } of turn) {
    try {
      end();
    } catch (e) {
      res.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

/** A ServerResponse class (node:http's `ServerResponse` option) that writes as said above. */
export function fewerWrites(Base: typeof ServerResponse): typeof ServerResponse {
  class FewerWrites extends (Base as typeof ServerResponse<IncomingMessage>) {
    override flushHeaders(): void {}

    override end(...args: unknown[]): this {
      if (kept.length === 0) setImmediate(endKept);
      kept.push({ res: this, end: () => (super.end as (...a: unknown[]) => void)(...args) });
      return this;
    }
  }
  return FewerWrites as typeof ServerResponse; // (Node makes it for any IncomingMessage)
}
