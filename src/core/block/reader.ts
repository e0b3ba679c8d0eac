/**
 * Reading a byte range of a chunk list as a stream. Every chunk is checked against its hash before any
 * of its bytes leave: a corrupt or missing chunk errors the stream (ChunkCorruptError /
 * ChunkMissingError), it is never served as good data. The first chunk is fetched before the stream is
 * handed out, so a failure there still becomes a clean error response instead of a cut-off body.
 */
import { ChunkCorruptError, ChunkMissingError, chunkHash, type ChunkStore } from './store.ts';

export interface ChunkSpan {
  hash: string;
  /** Where this chunk starts within the object. */
  offset: number;
  size: number;
}

export async function readVerifiedChunk(store: ChunkStore, hash: string): Promise<Uint8Array> {
  const bytes = await store.get(hash);
  if (!bytes) throw new ChunkMissingError(hash);
  if ((await chunkHash(bytes)) !== hash) throw new ChunkCorruptError(hash);
  return bytes;
}

/**
 * The bytes [start, end) of the object made of `spans` (sorted by offset, contiguous).
 * At most `readAhead` chunks beyond the one being sent are held in memory.
 */
export async function openRange(
  store: ChunkStore,
  spans: ChunkSpan[],
  start: number,
  end: number,
  readAhead = 2,
): Promise<ReadableStream<Uint8Array>> {
  const wanted = spans.filter((s) => s.offset < end && s.offset + s.size > start);
  let next = 0;
  const fetchSlice = async (): Promise<Uint8Array | null> => {
    const span = wanted[next++];
    if (!span) return null;
    const bytes = await readVerifiedChunk(store, span.hash);
    const from = Math.max(0, start - span.offset);
    const to = Math.min(span.size, end - span.offset);
    return from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to);
  };
  const first = await fetchSlice();
  let primed: Uint8Array | null = first;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const slice = primed ?? (await fetchSlice());
        primed = null;
        if (slice) controller.enqueue(slice);
        else controller.close();
      },
    },
    { highWaterMark: readAhead },
  );
}
