/**
 * Reading a byte range of a chunk list as a stream, or, when small, as one buffer. Every chunk is checked
 * against its hash before any of its bytes leave: a corrupt or missing chunk errors the stream
 * (ChunkCorruptError / ChunkMissingError), it is never served as good data. The first chunk is fetched before
 * the stream is handed out, so a failure there still becomes a clean error response instead of a cut-off
 * body.
 */
import type { Digests } from '../digests.ts';
import { ChunkCorruptError, ChunkMissingError, chunkHash, type ChunkStore } from './store.ts';

export interface ChunkSpan {
  hash: string;
  /** Where this chunk starts within the object. */
  offset: number;
  size: number;
  /** The chunk's recorded xxHash64, if any (see Digests.xxh64). */
  xxh64?: string | null;
}

/**
 * The chunk's bytes, checked: against its recorded xxHash64 when there is one and the runtime can
 * compute it, else against its SHA-256 (`full` forces SHA-256, as scrub does). Bytes that fail are read
 * once more after the store forgets what it kept open (the file may have been replaced since).
 */
export async function readVerifiedChunk(
  store: ChunkStore,
  hash: string,
  check?: { size?: number; xxh64?: string | null; digests?: Digests; full?: boolean },
): Promise<Uint8Array> {
  const fast = !check?.full && check?.xxh64 && check.digests?.xxh64;
  for (let again = !!store.forget; ; again = false) {
    const bytes = await store.get(hash, check?.size);
    if (!bytes) throw new ChunkMissingError(hash);
    const ok = fast ? check.digests!.xxh64!(bytes) === check.xxh64 : (await chunkHash(bytes)) === hash;
    if (ok) return bytes;
    if (!again) throw new ChunkCorruptError(hash);
    store.forget!(hash);
  }
}

/** Bytes fetched and verified ahead of what is being sent, per reader. */
export const READ_AHEAD_BYTES = 8 * 1024 * 1024;

/** A range up to this size is read whole and sent as one buffer (no stream for a small file). */
export const SMALL_RANGE_BYTES = 64 * 1024;

/** The bytes [start, end) of the object made of `spans`, every chunk verified, as one buffer. */
export async function readRange(
  store: ChunkStore,
  digests: Digests | undefined,
  spans: ChunkSpan[],
  start: number,
  end: number,
): Promise<Uint8Array> {
  const wanted = spans.filter((s) => s.offset < end && s.offset + s.size > start);
  const slices = await Promise.all(
    wanted.map(async (span) => {
      const bytes = await readVerifiedChunk(store, span.hash, {
        size: span.size,
        xxh64: span.xxh64,
        digests,
      });
      return bytes.subarray(Math.max(0, start - span.offset), Math.min(span.size, end - span.offset));
    }),
  );
  if (slices.length === 1) return slices[0]!;
  const out = new Uint8Array(end - start);
  let at = 0;
  for (const s of slices) {
    out.set(s, at);
    at += s.length;
  }
  return out;
}

/**
 * The bytes [start, end) of the object made of `spans` (sorted by offset, contiguous).
 * Chunks are fetched and verified concurrently ahead of the one being sent (about READ_AHEAD_BYTES
 * worth), so the store's latency and the checking overlap with the network, in bounded memory.
 */
export async function openRange(
  store: ChunkStore,
  digests: Digests | undefined,
  spans: ChunkSpan[],
  start: number,
  end: number,
): Promise<ReadableStream<Uint8Array>> {
  const wanted = spans.filter((s) => s.offset < end && s.offset + s.size > start);
  const readAhead = Math.max(2, Math.ceil(READ_AHEAD_BYTES / Math.max(1, wanted[0]?.size ?? 1)));
  let next = 0;
  const inFlight: Promise<Uint8Array>[] = [];
  const fetchSlice = async (span: ChunkSpan): Promise<Uint8Array> => {
    const bytes = await readVerifiedChunk(store, span.hash, { size: span.size, xxh64: span.xxh64, digests });
    const from = Math.max(0, start - span.offset);
    const to = Math.min(span.size, end - span.offset);
    return from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to);
  };
  const refill = () => {
    while (inFlight.length < readAhead && next < wanted.length) {
      const p = fetchSlice(wanted[next++]!);
      p.catch(() => {}); // surfaced when its turn comes
      inFlight.push(p);
    }
  };
  refill();
  if (inFlight.length) await inFlight[0]; // the first chunk's failure is still a clean error response
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const p = inFlight.shift();
        if (!p) return controller.close();
        const slice = await p;
        refill();
        controller.enqueue(slice);
        if (!inFlight.length) controller.close();
      },
      cancel() {
        next = wanted.length;
        inFlight.length = 0;
      },
    },
    { highWaterMark: 0 },
  );
}
