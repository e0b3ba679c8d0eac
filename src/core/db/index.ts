/** The metadata database: a drizzle handle over whatever libSQL client the runtime opened. */
import type { Client } from '@libsql/client';
import type { LibSQLDatabase } from 'drizzle-orm/libsql/driver-core';
// The web entry of drizzle's libSQL driver is plain JavaScript (fetch-based), so it loads on every
// runtime; it wraps the client it is given and opens no connection of its own.
import { drizzle } from 'drizzle-orm/libsql/web';
import * as schema from './schema.ts';

/** `$client`: the libSQL client underneath, for a hot statement sent as plain SQL. */
export type Db = LibSQLDatabase<typeof schema> & { $client: Client };

/**
 * A runtime's promise about a database it can watch cheaply (a local SQLite file): the stamp it returns
 * is the same on two calls only if nothing was committed to the database in between by any connection,
 * whichever process it belongs to. A runtime that cannot promise this (a libSQL server) supplies none.
 */
export type ChangeStamp = () => string;

export function openDb(client: Client): Db {
  return drizzle({ client, schema });
}

const preparedCache = new WeakMap<Db, Map<string, unknown>>();

/**
 * A statement built and prepared once per database handle (hot paths: drizzle's query building costs
 * more than SQLite's lookup). `build` must not depend on anything but `db` and placeholders.
 */
export function prepared<T>(db: Db, name: string, build: (db: Db) => T): T {
  let cache = preparedCache.get(db);
  if (!cache) preparedCache.set(db, (cache = new Map()));
  let stmt = cache.get(name) as T | undefined;
  if (stmt === undefined) cache.set(name, (stmt = build(db)));
  return stmt;
}

/**
 * When a batch was aborted by a `guards` precondition (see schema.ts): the failing statement's index in
 * the batch (-1 when the driver does not say), else null.
 */
export function guardIndex(e: unknown): number | null {
  let index: number | null = null;
  for (let cur: unknown = e; cur; cur = (cur as { cause?: unknown }).cause) {
    const at = (cur as { statementIndex?: unknown }).statementIndex;
    if (typeof at === 'number') index = at;
    if (cur instanceof Error && /guards_never_hold_a_row|CHECK constraint failed: .*reason/.test(cur.message))
      return index ?? -1;
  }
  return null;
}
