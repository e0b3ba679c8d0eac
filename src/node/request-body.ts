/**
 * A request's body as the pieces Node's HTTP parser hands over, for the S3 handlers: no web stream
 * between them (the adapter's copies every piece into its queue, and keeps a few promises per piece
 * alive through every young-generation collection of a long upload).
 *
 * Invariant: at most HIGH_WATER bytes wait here unread; past that the request is paused and this
 * reader stops listening, so a body its reader has left behind (a refusal part-way, whether or not
 * the loop was closed) is drained or cut off by the adapter once the response is sent, and is never
 * gathered here.
 */
import type { IncomingMessage } from 'node:http';
import { finished } from 'node:stream';

/** Bytes read ahead of the handler before the request is paused (the socket's buffers hold more). */
const HIGH_WATER = 1024 * 1024;

class Pieces implements AsyncIterator<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private listening = false;
  private ended = false;
  private failed: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly incoming: IncomingMessage) {
    finished(incoming, { writable: false }, (err) => {
      if (err) this.failed = err;
      else this.ended = true;
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
      this.incoming.pause();
      this.incoming.off('data', this.onData);
    }
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
    return new Promise<void>((resolve) => (this.wake = resolve)).then(() => {
      this.wake = null;
      return this.next();
    });
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.listen(false);
    this.queue.length = 0;
    this.queued = 0;
    return Promise.resolve({ done: true, value: undefined });
  }
}

/** The body of `incoming`; `onRead` is called when the handler first reads it (100-continue). */
export function requestBody(incoming: IncomingMessage, onRead: () => void): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => {
      onRead();
      return new Pieces(incoming);
    },
  };
}
