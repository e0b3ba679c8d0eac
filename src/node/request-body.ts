/**
 * A request's body as the pieces Node's HTTP parser hands over, for the S3 handlers: no web stream
 * between them (the adapter's copies every piece into its queue, and keeps a few promises per piece
 * alive through every young-generation collection of a long upload).
 *
 * A client that stops sending part-way is refused with S3's `400 RequestTimeout` once the handler has
 * waited `idleMs` for its next piece (time the reader itself paused the request does not count), so
 * a stalled upload does not hold its quota reservation and chunk buffer for good.
 *
 * Invariant: at most HIGH_WATER bytes wait here unread; past that this reader stops listening (and
 * pauses the request, unless the adapter is draining it), so a body its reader has left behind (a
 * refusal part-way, whether or not the loop was closed) is drained or cut off by the adapter once the
 * response is sent, and no more than HIGH_WATER of it is ever gathered here.
 */
import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream';
import { S3Error } from '../core/errors.ts';

/** Bytes read ahead of the handler before the request is paused (the socket's buffers hold more). */
const HIGH_WATER = 1024 * 1024;

class Pieces implements AsyncIterator<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private listening = false;
  private ended = false;
  private failed: Error | null = null;
  private wake: (() => void) | null = null;
  /** When the handler began waiting for a piece; the idle timer, while one is set. */
  private waitingSince = 0;
  private idle: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly incoming: IncomingMessage,
    private readonly idleMs: number,
  ) {
    finished(incoming, { writable: false }, (err) => {
      if (err) this.failed = err;
      else this.ended = true;
      this.stopTimer();
      this.wake?.();
    });
  }

  private readonly onData = (piece: Uint8Array): void => {
    this.queue.push(piece);
    this.queued += piece.length;
    if (this.queued >= HIGH_WATER) this.listen(false);
    this.wake?.();
  };

  private listen(on: boolean): void {
    if (on === this.listening) return;
    this.listening = on;
    if (on) {
      this.incoming.on('data', this.onData);
      this.incoming.resume();
    } else {
      // paused first, so no piece goes by unheard, unless another reader is there to take them (the
      // adapter draining a body its handler left behind: pausing would stall that drain)
      if (this.incoming.listenerCount('data') === 1) this.incoming.pause();
      this.incoming.off('data', this.onData);
    }
  }

  /** One timer a request, set when a wait begins and moved on when it fires early. */
  private readonly onIdle = (): void => {
    this.idle = null;
    if (!this.wake) return; // not waiting: the next wait sets it again
    const quiet = Date.now() - this.waitingSince;
    if (quiet < this.idleMs) {
      this.idle = setTimeout(this.onIdle, this.idleMs - quiet).unref();
      return;
    }
    this.failed = new S3Error(
      'RequestTimeout',
      'Your socket connection to the server was not read from or written to within the timeout period.',
    );
    this.listen(false);
    this.wake();
  };

  private stopTimer(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    const piece = this.queue.shift();
    if (piece) {
      this.queued -= piece.length;
      if (!this.ended && this.queued < HIGH_WATER) this.listen(true);
      return Promise.resolve({ done: false, value: piece });
    }
    // (a failure after the last piece still fails the body: it may have been cut short)
    if (this.failed) return Promise.reject(this.failed);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    this.listen(true);
    this.waitingSince = Date.now();
    this.idle ??= setTimeout(this.onIdle, this.idleMs).unref();
    return new Promise<void>((resolve) => (this.wake = resolve)).then(() => {
      this.wake = null;
      return this.next();
    });
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.listen(false);
    this.stopTimer();
    this.queue.length = 0;
    this.queued = 0;
    return Promise.resolve({ done: true, value: undefined });
  }
}

/**
 * The body of `incoming`; `onRead` is called when the handler first reads it (100-continue), and
 * a client that sends nothing for `idleMs` while the handler waits is refused.
 */
export function requestBody(
  incoming: IncomingMessage,
  onRead: () => void,
  idleMs: number,
): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => {
      onRead();
      return new Pieces(incoming, idleMs);
    },
  };
}
