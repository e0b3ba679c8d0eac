/**
 * Keyset listing of a bucket: every query is an index range scan on (bucket_id, key) starting at a
 * cursor, so a page costs the same in a bucket of ten keys or ten million. With a delimiter, each
 * common prefix costs one seek past all its keys, never a scan through them.
 *
 * Keys compare as SQLite BINARY text, i.e. by UTF-8 bytes: the order S3 lists in.
 */
import { and, asc, eq, gt, gte, lt } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { objects } from '../db/schema.ts';
import type { StoredObject } from './objects.ts';

/**
 * The least string greater than every string that starts with `prefix`, or null if there is none
 * (then the range is open-ended). Works on code points, so UTF-8 byte order is respected.
 */
export function prefixEnd(prefix: string): string | null {
  const cps = Array.from(prefix);
  while (cps.length) {
    const last = cps.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last === 0xd7ff ? 0xe000 : last + 1; // skip the surrogate block
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  return null;
}

export type ListedObject = Pick<
  StoredObject,
  'key' | 'size' | 'etag' | 'lastModified' | 'checksumAlgorithm' | 'checksumType'
>;

export interface ListRequest {
  bucketId: string;
  prefix: string;
  delimiter: string;
  /** List keys strictly after this one. */
  after: string;
  /** When `after` falls inside a common prefix (it came from a previous page), skip that whole prefix. */
  afterIsResumePoint: boolean;
  maxKeys: number;
}

export interface ListResult {
  contents: ListedObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The last key or common prefix returned: where the next page resumes. */
  last: string | null;
}

function commonPrefixOf(key: string, prefix: string, delimiter: string): string | null {
  if (!delimiter) return null;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? null : key.slice(0, at + delimiter.length);
}

export async function listObjects(db: Db, req: ListRequest): Promise<ListResult> {
  const out: ListResult = { contents: [], commonPrefixes: [], isTruncated: false, last: null };
  if (req.maxKeys <= 0) return out;
  const upper = req.prefix ? prefixEnd(req.prefix) : null;

  // The cursor: keys strictly greater than `after`, or from `from` inclusive.
  let from: { key: string; inclusive: boolean } = { key: req.prefix, inclusive: true };
  if (req.after && req.after >= req.prefix) {
    const cp = req.afterIsResumePoint ? commonPrefixOf(req.after, req.prefix, req.delimiter) : null;
    const skipTo = cp ? prefixEnd(cp) : null;
    if (cp && skipTo === null) return out;
    from = skipTo ? { key: skipTo, inclusive: true } : { key: req.after, inclusive: false };
  }

  // Rows fetched per query: a page's worth while keys are listed one by one; when a batch ended
  // inside a common prefix (rows skipped), a few rows only, since the next query seeks past it anyway.
  let limit = req.maxKeys + 1;
  for (;;) {
    const asked = limit;
    const rows = await db
      .select({
        key: objects.key,
        size: objects.size,
        etag: objects.etag,
        lastModified: objects.lastModified,
        checksumAlgorithm: objects.checksumAlgorithm,
        checksumType: objects.checksumType,
      })
      .from(objects)
      .where(
        and(
          eq(objects.bucketId, req.bucketId),
          from.inclusive ? gte(objects.key, from.key) : gt(objects.key, from.key),
          upper !== null ? lt(objects.key, upper) : undefined,
        ),
      )
      .orderBy(asc(objects.key))
      .limit(asked);
    if (rows.length === 0) return out;

    let seekPast: string | null = null;
    let used = 0;
    for (const row of rows) {
      const cp = commonPrefixOf(row.key, req.prefix, req.delimiter);
      if (cp !== null && cp === out.commonPrefixes[out.commonPrefixes.length - 1]) continue;
      if (out.contents.length + out.commonPrefixes.length === req.maxKeys) {
        out.isTruncated = true;
        return out;
      }
      used++;
      if (cp !== null) {
        out.commonPrefixes.push(cp);
        out.last = cp;
        seekPast = cp;
      } else {
        out.contents.push(row);
        out.last = row.key;
        seekPast = null;
      }
    }
    const remaining = req.maxKeys - out.contents.length - out.commonPrefixes.length;
    limit = used < rows.length ? Math.min(remaining + 1, Math.max(8, used * 2)) : remaining + 1;
    const lastRow = rows[rows.length - 1]!;
    if (seekPast !== null) {
      // the batch ended inside a common prefix: jump over the rest of it in one seek
      const next = prefixEnd(seekPast);
      if (next === null) return out;
      from = { key: next, inclusive: true };
    } else {
      if (rows.length < asked) return out;
      from = { key: lastRow.key, inclusive: false };
    }
  }
}
