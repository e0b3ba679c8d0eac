/**
 * A response whose client stops taking it is cut off once the socket has taken nothing of it for the
 * send timeout (nginx's `send_timeout`, 60 s there too). Otherwise a client that stops reading — a
 * paused download, a phone gone out of coverage without closing — holds its connection, the chunks
 * read ahead for it and the pooled buffers lent to them for good: about 12 MB a connection on a large
 * GET, so a few hundred such clients would take the machine's memory.
 *
 * A slow client that still reads is not cut off: when the timer fires, a socket whose kernel has
 * taken bytes since the timer was set gets the time again (measured a turn after the write that
 * filled it, once Node has handed that write to libuv and libuv has counted what it queued). Nothing
 * is timed while the response is not held up. On TLS the bytes the kernel takes inside one queued
 * write cannot be seen, so a slow client there would look stalled: HTTPS responses are not timed.
 */
import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Bytes of a connection the kernel has taken. Node counts a write in `bytesWritten` as soon as it is
 * queued, so the queues are taken off: its own, and libuv's (`writeQueueSize` of the socket's handle).
 */
function kernelTook(socket: Socket | null): number {
  if (!socket) return 0;
  const handle = (socket as Socket & { _handle?: { writeQueueSize?: number } | null })._handle;
  return socket.bytesWritten - socket.writableLength - (handle?.writeQueueSize ?? 0);
}

/** A ServerResponse class (node:http's `ServerResponse` option) that cuts off stalled clients. */
export function sendTimeout(Base: typeof ServerResponse, ms: number): typeof ServerResponse {
  class SendTimeout extends (Base as typeof ServerResponse<IncomingMessage>) {
    private stall: ReturnType<typeof setTimeout> | null = null;

    override write(...args: unknown[]): boolean {
      const taken = (super.write as (...a: unknown[]) => boolean)(...args);
      if (!taken && !this.stall && !(this.socket as { encrypted?: boolean } | null)?.encrypted) {
        this.once('drain', this.unwatch);
        this.once('close', this.unwatch);
        // (sampled a turn later: the write is still corked in Node's buffer now)
        this.stall = setTimeout(() => this.arm(kernelTook(this.socket)), 0).unref();
      }
      return taken;
    }

    /** Held up with `sent` bytes taken by the socket: cut off if none more are taken in time. */
    private arm(sent: number): void {
      this.stall = setTimeout(() => {
        const now = kernelTook(this.socket);
        if (now > sent) return this.arm(now);
        this.unwatch();
        this.destroy();
      }, ms).unref();
    }

    private readonly unwatch = (): void => {
      if (this.stall) clearTimeout(this.stall);
      this.stall = null;
      this.off('drain', this.unwatch);
      this.off('close', this.unwatch);
    };
  }
  return SendTimeout as typeof ServerResponse; // (Node makes it for any IncomingMessage)
}
