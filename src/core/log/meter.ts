/**
 * Counting the bytes a request moves as they move, whatever the headers declared: a body sent out (a
 * download cut short is counted as far as it went) and a body read in (Content-Length or chunked, raw
 * bytes as read from the connection, framing included).
 */
import { S3Error, isS3Error } from '../errors.ts';

/**
 * Passes a body through, counting its bytes: `piece` hears of each piece as it passes; `done` gets the
 * count when the body ends or is cut off, and whether it failed on our side (a damaged chunk: a server
 * error, whatever status went out first).
 */
export function counted(
  body: ReadableStream<Uint8Array>,
  on: { piece?: (bytes: number) => void; done?: (bytes: number, failed?: boolean) => void },
): ReadableStream<Uint8Array> {
  let bytes = 0;
  let reported = false;
  const report = (failed?: boolean) => {
    if (!reported) on.done?.(bytes, failed);
    reported = true;
  };
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done: end, value } = await reader.read();
          if (end) {
            report();
            controller.close();
            return;
          }
          bytes += value.length;
          on.piece?.(value.length);
          controller.enqueue(value);
        } catch (e) {
          report(true);
          controller.error(e);
        }
      },
      cancel(reason) {
        report();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * A request body's bytes as they are read: for the log row (`bytes`), and charged piece by piece to
 * whoever turns out to pay for them, so a long upload counts against its account while it arrives.
 */
export class InboundMeter {
  bytes = 0;
  private pay: ((bytes: number) => void) | null = null;

  /** The body, counted as it is read. */
  wrap(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    return counted(body, {
      piece: (n) => {
        this.bytes += n;
        this.pay?.(n);
      },
    });
  }

  /**
   * The pieces of a body, counted as they are read (no stream of its own: one step per piece). The
   * runtime failing to deliver them means the connection closed or broke part-way: IncompleteBody, as
   * S3 answers a body shorter than its Content-Length, the client's doing and not the service's (in
   * the request log and so for availability).
   */
  async *count(pieces: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    try {
      for await (const piece of pieces) {
        this.bytes += piece.length;
        this.pay?.(piece.length);
        yield piece;
      }
    } catch (e) {
      if (isS3Error(e)) throw e;
      throw new S3Error('IncompleteBody', 'The connection closed before the whole body arrived.');
    }
  }

  /** Charges `pay` with what was read so far and with every piece read from now on. */
  chargeTo(pay: (bytes: number) => void): void {
    this.pay = pay;
    if (this.bytes > 0) pay(this.bytes);
  }
}
