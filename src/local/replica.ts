/**
 * A node's embedded replica of the service's libSQL server (QOIMA_DB_REPLICA): a local copy of the
 * database, read locally, with every write sent on to the server (libSQL's write delegation) and visible
 * locally as soon as it returns (`readYourWrites`).
 *
 * Invariant: a request reads a replica at least as new as the server was when the request arrived.
 * Each request waits for a sync that *started* after it arrived; requests arriving while one sync is on
 * its way share the next one, so a busy node makes about one sync round trip at a time, not one per
 * request. An access change, a revoked key or a deleted bucket committed through any node is therefore
 * seen by the very next request here, exactly as when reading the server itself.
 */
import { type Client, createClient } from '@libsql/client';

export interface Replica {
  client: Client;
  /** Resolves once the replica holds everything the server had committed when this was called. */
  fresh(): Promise<void>;
}

export async function openReplica(path: string, serverUrl: string, authToken?: string): Promise<Replica> {
  const client = createClient({ url: `file:${path}`, syncUrl: serverUrl, authToken, readYourWrites: true });
  await client.sync();
  return { client, fresh: sharedSync(() => client.sync()) };
}

/** `sync` for many callers: each caller's wait covers a sync that began after its call. */
export function sharedSync(sync: () => Promise<unknown>): () => Promise<void> {
  let current: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const start = (): Promise<void> => {
    const run = Promise.resolve()
      .then(sync)
      .then(() => undefined);
    current = run;
    run
      .finally(() => {
        if (current === run) current = null;
      })
      .catch(() => {});
    return run;
  };
  return () => {
    if (!current) return start();
    queued ??= current
      .catch(() => {})
      .then(() => {
        queued = null;
        return start();
      });
    return queued;
  };
}
