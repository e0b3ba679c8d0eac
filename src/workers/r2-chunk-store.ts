/**
 * The chunk store on Workers: an R2 bucket, one object per chunk under `chunks/<sha256>`.
 *
 * The contract's invariants (block/store.ts) hold by R2's own: a put is atomic and durable once it
 * resolves (so `sync` has nothing left to do), a get returns exactly what was put, and deleting a
 * missing key is not an error. The bucket is Qoima's alone; customers never see it.
 */
import type { ChunkStore } from '../core/block/store.ts';

const PREFIX = 'chunks/';

export class R2ChunkStore implements ChunkStore {
  constructor(private readonly bucket: R2Bucket) {}

  async has(hash: string): Promise<boolean> {
    return (await this.bucket.head(PREFIX + hash)) !== null;
  }

  async put(hash: string, bytes: Uint8Array): Promise<void> {
    // R2 checks the bytes against their SHA-256 (the chunk's name) and refuses them if they were damaged on
    // the way
    await this.bucket.put(PREFIX + hash, bytes, { sha256: hash });
  }

  async sync(): Promise<void> {}

  async get(hash: string): Promise<Uint8Array | null> {
    const object = await this.bucket.get(PREFIX + hash);
    return object ? new Uint8Array(await object.arrayBuffer()) : null;
  }

  async delete(hash: string): Promise<void> {
    await this.bucket.delete(PREFIX + hash);
  }

  async *list(): AsyncIterable<string> {
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({ prefix: PREFIX, cursor, limit: 1000 });
      for (const o of page.objects) yield o.key.slice(PREFIX.length);
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  }
}
