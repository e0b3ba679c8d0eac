/**
 * Taking in an object body: small bodies are kept whole for an inline row, larger ones are cut into
 * fixed-size chunks and handed to the block writer while they stream in. Memory stays at a few chunks
 * whatever the object size. Nothing becomes visible here; the caller commits or aborts.
 *
 * Every body is taken in against a quota reservation: a piece is kept only once the reservation covers
 * it, so no door (PUT, form, part, copied part) can keep more than the account may store.
 */
import { type BlockWriterDeps, StagingWriter } from '../block/writer.ts';
import { S3Error } from '../errors.ts';
import type { Body } from '../model/objects.ts';
import type { Reservation } from '../model/quotas.ts';
import type { BodyDigests, ComputedChecksum, IncomingBody } from '../http/body.ts';

export interface IngestLimits {
  chunkSize: number;
  /** Bodies up to this size are stored in the database row. */
  inlineMax: number;
  /**
   * Larger bodies are refused with EntityTooLarge, as soon as the excess arrives (the server's largest
   * object, or a form's policy); the account's largest object is its reservation's to enforce.
   */
  maxSize: number;
}

export interface Ingested {
  body: Body;
  size: number;
  md5Hex: string;
  checksum: ComputedChecksum | null;
  /** Drops the staged chunks if the commit does not happen. */
  abort(): Promise<void>;
}

/**
 * Runs `step`; if it fails, `undo` gives back what was taken before it (a quota reservation, staged chunks).
 */
export async function orUndo<T>(undo: () => Promise<unknown>, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    await undo();
    throw e;
  }
}

export async function ingest(
  deps: BlockWriterDeps,
  incoming: IncomingBody,
  digests: BodyDigests,
  limits: IngestLimits,
  reservation: Pick<Reservation, 'bytes' | 'cover'>,
): Promise<Ingested> {
  if (incoming.length !== null && incoming.length > limits.maxSize) {
    throw new S3Error('EntityTooLarge', undefined, {
      fields: { ProposedSize: String(incoming.length), MaxSizeAllowed: String(limits.maxSize) },
    });
  }
  let writer: StagingWriter | null = null;
  // chunk buffers come back from the writer once stored and are filled again: a body of any size
  // cycles through a handful of them instead of allocating one per chunk
  const free: Uint8Array[] = [];
  const release = (b: Uint8Array) => {
    if (b.byteLength === limits.chunkSize) free.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  };
  let buf: Uint8Array = new Uint8Array(Math.min(limits.chunkSize, incoming.length ?? limits.chunkSize));
  let fill = 0;
  let size = 0;
  const flush = async () => {
    writer ??= await StagingWriter.begin(deps, { release });
    await writer.write(fill === buf.length ? buf : buf.subarray(0, fill));
    buf = free.pop() ?? new Uint8Array(limits.chunkSize);
    fill = 0;
  };
  try {
    for await (let piece of incoming.chunks) {
      size += piece.length;
      if (size > limits.maxSize)
        throw new S3Error('EntityTooLarge', undefined, {
          fields: { MaxSizeAllowed: String(limits.maxSize) },
        });
      if (size > reservation.bytes) await reservation.cover(size);
      digests.update(piece);
      while (piece.length) {
        if (fill === buf.length) {
          if (buf.length < limits.chunkSize) {
            // the declared length was smaller than what arrives; counted() will refuse it, but keep going
            // safely
            const bigger = new Uint8Array(limits.chunkSize);
            bigger.set(buf);
            buf = bigger;
          } else await flush();
        }
        const n = Math.min(piece.length, buf.length - fill);
        buf.set(piece.subarray(0, n), fill);
        fill += n;
        piece = piece.subarray(n);
      }
    }
    const { md5Hex, checksum } = digests.verify(incoming.trailers);
    let body: Body;
    if (!writer && size <= limits.inlineMax) {
      body = { kind: 'inline', data: buf.slice(0, fill) };
    } else {
      // an empty body that may not be inline (a part) still gets a staging, with no chunk in it
      if (fill > 0) await flush();
      else writer ??= await StagingWriter.begin(deps, { release });
      await writer!.finish();
      body = { kind: 'staged', stagingId: writer!.stagingId, chunkCount: writer!.chunkCount };
    }
    const staged = writer as StagingWriter | null;
    return {
      body,
      size,
      md5Hex,
      checksum,
      abort: async () => {
        await staged?.abort();
      },
    };
  } catch (e) {
    await (writer as StagingWriter | null)?.abort();
    throw e;
  }
}
