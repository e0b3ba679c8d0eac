/**
 * The responses of Qoima's Node servers give each piece of a body that the chunk store lent from its pool
 * back to the pool once the socket has taken it (core/block/buffer-pool.ts), so the next chunk read
 * reuses that buffer. A write's callback is Node's word that the piece was handed to the kernel (or, on
 * TLS, encrypted): nothing reads the buffer after it. A write that fails (the client went away) gives
 * nothing back, as the pool would rather allocate than lend a buffer something may still hold.
 */
import { type IncomingMessage, ServerResponse } from 'node:http';
import type { BufferPool } from '../core/block/buffer-pool.ts';

type Done = (error?: Error | null) => void;

/** A ServerResponse class (node:http's `ServerResponse` option) that gives pooled pieces back. */
export function givingBack(pool: BufferPool): typeof ServerResponse {
  class GivingBackResponse extends ServerResponse<IncomingMessage> {
    override write(chunk: unknown, encoding?: BufferEncoding | Done, done?: Done): boolean {
      const cb = typeof encoding === 'function' ? encoding : done;
      if (!(chunk instanceof Uint8Array) || !pool.isLent(chunk)) {
        return typeof encoding === 'function' || encoding === undefined
          ? super.write(chunk, cb)
          : super.write(chunk, encoding, cb);
      }
      return super.write(chunk, (error?: Error | null) => {
        if (!error) pool.giveBack(chunk);
        cb?.(error);
      });
    }
  }
  return GivingBackResponse as typeof ServerResponse; // (Node makes it for any IncomingMessage)
}
