/**
 * Handlers of contract/object-tools.ts: bulk deletes (each object deleted as DeleteObject deletes it,
 * so usage and quotas follow), one object's details, and the bucket's access log. The log is read
 * newest first by a keyset cursor (time, id) on the index request_log(account_id, bucket, time), so a
 * page costs the same on the millionth row as on the first.
 */
import { and, desc, eq, gte, lt, lte, or } from 'drizzle-orm';
import { accounts, requestLog } from '../db/schema.ts';
import { S3Error } from '../errors.ts';
import { listObjects, prefixEnd } from '../model/listing.ts';
import { findObject } from '../model/object-reads.ts';
import { deleteObject, headersOf } from '../model/objects.ts';
import { requireScope } from '../auth/grants.ts';
import { monthSeries } from '../billing/series.ts';
import { csv, monthParam } from './billing.ts';
import { ownBucket } from './buckets.ts';
import { type ApiDeps, endpointOf, principalOf } from './context.ts';
import { type AccessLogEntry, DELETE_BATCH, type objectToolRoutes } from './contract/object-tools.ts';
import type { Handlers } from './router.ts';

const invalid = (message: string) => new S3Error('InvalidArgument', message);

function timeParam(text: string | undefined, name: string): number | null {
  if (!text) return null;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw invalid(`${name} is a time such as 2026-12-01T10:00:00Z, not "${text}".`);
  return t;
}

function statusRange(text: string | undefined): [number, number] | null {
  if (!text) return null;
  const m = /^([1-5])(xx|\d\d)$/i.exec(text);
  if (!m) throw invalid(`status is a code such as 404 or a class such as 4xx, not "${text}".`);
  if (m[2]!.toLowerCase() === 'xx') return [Number(m[1]) * 100, Number(m[1]) * 100 + 99];
  return [Number(text), Number(text)];
}

function cursorOf(text: string | undefined): { time: number; id: number } | null {
  if (!text) return null;
  const m = /^(\d{1,16})\.(\d{1,16})$/.exec(text);
  if (!m) throw invalid('before is the nextBefore of a previous page.');
  return { time: Number(m[1]), id: Number(m[2]) };
}

const CSV_COLUMNS: (keyof AccessLogEntry)[] = [
  'time',
  'operation',
  'key',
  'status',
  'errorCode',
  'bytesIn',
  'bytesOut',
  'durationMs',
  'auth',
  'keyId',
  'clientIp',
  'userAgent',
  'requestId',
];

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  // a cell starting with = + - @ would be a formula in a spreadsheet
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function objectToolHandlers(
  deps: Pick<ApiDeps, 'db' | 'region' | 'billing' | 'websiteDomains'>,
): Handlers<typeof objectToolRoutes> {
  return {
    getEndpoint: async ({ c }) => {
      const [account] = await deps.db
        .select({ createdAt: accounts.createdAt })
        .from(accounts)
        .where(eq(accounts.id, principalOf(c).accountId));
      const p = deps.billing.prices;
      return {
        endpoint: endpointOf(c),
        region: deps.region,
        websiteDomains: [...deps.websiteDomains],
        accountCreatedAt: new Date(account?.createdAt ?? Date.now()).toISOString(),
        prices: {
          currency: p.currency,
          storagePerGiBMonth: p.storagePerGiBMonth,
          classAPerMillion: p.classAPerMillion,
          classBPerMillion: p.classBPerMillion,
          retrievalPerGiB: p.retrievalPerGiB,
          egressPerGiB: p.egressPerGiB,
        },
      };
    },

    deleteObjects: async ({ c, params, body }) => {
      const p = principalOf(c);
      if (body.keys) {
        const b = await ownBucket(deps.db, p, params.name, null);
        // every key is checked before any is deleted: a scope refusal deletes nothing
        for (const key of body.keys) requireScope(p, 'delete', b.name, key);
        let deleted = 0;
        for (const key of new Set(body.keys)) if (await deleteObject(deps.db, b.id, key)) deleted++;
        return { deleted, truncated: false };
      }
      const prefix = body.prefix ?? '';
      const b = await ownBucket(deps.db, p, params.name, 'delete', prefix);
      const page = await listObjects(deps.db, {
        bucketId: b.id,
        prefix,
        delimiter: '',
        after: '',
        afterIsResumePoint: false,
        maxKeys: DELETE_BATCH,
      });
      let deleted = 0;
      for (const o of page.contents) if (await deleteObject(deps.db, b.id, o.key)) deleted++;
      return { deleted, truncated: page.isTruncated };
    },

    getObjectDetails: async ({ c, params, query }) => {
      const key = query.key;
      if (!key) throw invalid('Name the object: ?key=...');
      const b = await ownBucket(deps.db, principalOf(c), params.name, 'read', key);
      const o = await findObject(deps.db, b.id, key);
      if (!o) throw new S3Error('NoSuchKey', undefined, { fields: { Key: key } });
      const h = headersOf(o);
      return {
        key: o.key,
        size: o.size,
        etag: o.etag,
        lastModified: new Date(o.lastModified).toISOString(),
        contentType: h.contentType,
        cacheControl: h.cacheControl ?? b.defaultCacheControl,
        contentDisposition: h.contentDisposition,
        contentEncoding: h.contentEncoding,
        storageClass: b.storageClass,
        metadata: h.userMeta,
      };
    },

    getBucketDailyUsage: async ({ c, params }) => {
      const p = principalOf(c);
      const b = await ownBucket(deps.db, p, params.name, 'admin');
      return monthSeries(deps.db, p.accountId, monthParam(params.month), Date.now(), b.name);
    },

    getAccessLog: async ({ c, params, query }) => {
      const p = principalOf(c);
      const b = await ownBucket(deps.db, p, params.name, 'admin');
      const limit = Number(query.limit ?? 100);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw invalid('limit is a whole number from 1 to 500.');
      const from = timeParam(query.from, 'from');
      const to = timeParam(query.to, 'to');
      const status = statusRange(query.status);
      const cursor = cursorOf(query.before);
      const prefix = query.prefix ?? '';
      const upper = prefix ? prefixEnd(prefix) : null;
      const t = requestLog;
      const rows = await deps.db
        .select()
        .from(t)
        .where(
          and(
            eq(t.accountId, p.accountId),
            eq(t.bucket, b.name),
            from !== null ? gte(t.time, from) : undefined,
            to !== null ? lt(t.time, to) : undefined,
            cursor
              ? or(lt(t.time, cursor.time), and(eq(t.time, cursor.time), lt(t.id, cursor.id)))
              : undefined,
            status ? and(gte(t.status, status[0]), lte(t.status, status[1])) : undefined,
            query.operation ? eq(t.operation, query.operation) : undefined,
            prefix ? gte(t.key, prefix) : undefined,
            upper !== null ? lt(t.key, upper) : undefined,
          ),
        )
        .orderBy(desc(t.time), desc(t.id))
        .limit(query.format === 'csv' ? 50_000 : limit + 1);
      const more = query.format !== 'csv' && rows.length > limit;
      const page = more ? rows.slice(0, limit) : rows;
      const entries: AccessLogEntry[] = page.map((r) => ({
        time: new Date(r.time).toISOString(),
        requestId: r.requestId,
        operation: r.operation,
        key: r.key,
        status: r.status,
        errorCode: r.errorCode,
        bytesIn: r.bytesIn,
        bytesOut: r.bytesOut,
        durationMs: r.durationMs,
        auth: r.auth,
        keyId: r.keyId,
        clientIp: r.clientIp,
        userAgent: r.userAgent,
      }));
      if (query.format === 'csv') {
        const lines = [
          CSV_COLUMNS.join(','),
          ...entries.map((e) => CSV_COLUMNS.map((k) => csvCell(e[k])).join(',')),
        ];
        return csv(`${lines.join('\r\n')}\r\n`, `access-log-${b.name}.csv`);
      }
      const last = page[page.length - 1];
      return { entries, nextBefore: more && last ? `${last.time}.${last.id}` : null };
    },
  };
}
