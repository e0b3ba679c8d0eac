/**
 * Support requests and the response times the terms promise: a first response within 10 working
 * minutes for chat and phone (working hours: Monday to Friday, 09:00–18:00 Almaty time, UTC+5), within
 * 24 hours for everything else (e-mail, console, API); resolution within 24 hours, 24/7. An outage
 * report is one kind of request: a request of kind `outage` files the report too (`outage_id`), and a
 * report filed on its own (POST /admin/outages) is listed as a request, answered and resolved when the
 * operator decides it.
 */
import { eq } from 'drizzle-orm';
import { reportOutage } from '../billing/reports.ts';
import type { Db } from '../db/index.ts';
import { outageReports, supportRequests } from '../db/schema.ts';
import { randomBase32 } from '../digests.ts';
import { S3Error } from '../errors.ts';

export type SupportRow = typeof supportRequests.$inferSelect;
export type Channel = SupportRow['channel'];
export type Kind = SupportRow['kind'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Almaty time is UTC+5 all year. */
const TZ_OFFSET = 5 * HOUR;
const WORK_FROM = 9 * HOUR;
const WORK_TO = 18 * HOUR;

/** The moment `minutes` working minutes after `t` (working hours as above). */
export function addWorkingMinutes(t: number, minutes: number): number {
  let left = minutes * MINUTE;
  let at = t;
  for (;;) {
    const local = at + TZ_OFFSET;
    const day = Math.floor(local / 86_400_000) * 86_400_000;
    const weekday = new Date(day).getUTCDay(); // 0 Sunday, 6 Saturday
    const into = local - day;
    if (weekday === 0 || weekday === 6 || into >= WORK_TO) {
      at = day + 86_400_000 + WORK_FROM - TZ_OFFSET; // the next day's opening (a weekend is skipped above)
      continue;
    }
    if (into < WORK_FROM) at = day + WORK_FROM - TZ_OFFSET;
    const closes = day + WORK_TO - TZ_OFFSET;
    if (at + left <= closes) return at + left;
    left -= closes - at;
    at = closes;
  }
}

/** When the first response is due: 10 working minutes for chat and phone, else 24 hours. */
export function responseDue(channel: Channel, receivedAt: number): number {
  return channel === 'chat' || channel === 'phone'
    ? addWorkingMinutes(receivedAt, 10)
    : receivedAt + 24 * HOUR;
}
/** When the resolution is due: 24 hours, whatever the day. */
export const resolutionDue = (receivedAt: number) => receivedAt + 24 * HOUR;

export interface RequestView {
  id: string;
  accountId: string;
  kind: Kind;
  channel: Channel;
  subject: string;
  body: string;
  receivedAt: string;
  status: 'open' | 'answered' | 'resolved';
  firstResponseAt: string | null;
  firstResponse: string | null;
  resolvedAt: string | null;
  resolution: string | null;
  outageId: string | null;
  responseDueAt: string;
  resolutionDueAt: string;
  /** Minutes from arrival to the first response / the resolution (null: not yet). */
  responseMinutes: number | null;
  resolutionMinutes: number | null;
  /** Whether each promise was kept; null while it is still open and not yet late. */
  responseOnTime: boolean | null;
  resolutionOnTime: boolean | null;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const minutes = (from: number, to: number | null) => (to === null ? null : Math.round((to - from) / MINUTE));
const onTime = (done: number | null, due: number, now: number) =>
  done !== null ? done <= due : now > due ? false : null;

function view(r: SupportRow, now: number): RequestView {
  const rDue = responseDue(r.channel, r.receivedAt);
  const fDue = resolutionDue(r.receivedAt);
  return {
    id: r.id,
    accountId: r.accountId,
    kind: r.kind,
    channel: r.channel,
    subject: r.subject,
    body: r.body,
    receivedAt: iso(r.receivedAt)!,
    status: r.resolvedAt !== null ? 'resolved' : r.firstResponseAt !== null ? 'answered' : 'open',
    firstResponseAt: iso(r.firstResponseAt),
    firstResponse: r.firstResponse,
    resolvedAt: iso(r.resolvedAt),
    resolution: r.resolution,
    outageId: r.outageId,
    responseDueAt: iso(rDue)!,
    resolutionDueAt: iso(fDue)!,
    responseMinutes: minutes(r.receivedAt, r.firstResponseAt),
    resolutionMinutes: minutes(r.receivedAt, r.resolvedAt),
    responseOnTime: onTime(r.firstResponseAt, rDue, now),
    resolutionOnTime: onTime(r.resolvedAt, fDue, now),
  };
}

export async function openRequest(
  db: Db,
  r: {
    accountId: string;
    kind: Kind;
    channel: Channel;
    subject: string;
    body: string;
    receivedAt?: number;
  },
  now = Date.now(),
): Promise<RequestView> {
  const receivedAt = r.receivedAt ?? now;
  if (receivedAt > now + MINUTE)
    throw new S3Error('InvalidArgument', 'A request cannot arrive in the future.');
  const outage =
    r.kind === 'outage' ? await reportOutage(db, r.accountId, `${r.subject}\n${r.body}`, receivedAt) : null;
  const row: SupportRow = {
    id: `req_${randomBase32(16)}`,
    accountId: r.accountId,
    kind: r.kind,
    channel: r.channel,
    subject: r.subject,
    body: r.body,
    receivedAt,
    recordedAt: now,
    firstResponseAt: null,
    firstResponse: null,
    resolvedAt: null,
    resolution: null,
    outageId: outage?.id ?? null,
  };
  await db.insert(supportRequests).values(row);
  return view(row, now);
}

/** The request an outage report filed on its own stands for: answered when the report was decided. */
function outageRequest(o: typeof outageReports.$inferSelect, id: string, recordedAt: number): SupportRow {
  return {
    id,
    accountId: o.accountId,
    kind: 'outage',
    channel: 'api',
    subject: 'Outage report',
    body: o.description,
    receivedAt: o.reportedAt,
    recordedAt,
    firstResponseAt: o.decidedAt,
    firstResponse: o.decidedAt ? (o.note ?? `Outage report ${o.status}.`) : null,
    resolvedAt: null,
    resolution: null,
    outageId: o.id,
  };
}

/** Requests (an account's, or everyone's), outage reports filed on their own among them, newest first. */
export async function listRequests(db: Db, accountId?: string, now = Date.now()): Promise<RequestView[]> {
  const rows = await (accountId
    ? db.select().from(supportRequests).where(eq(supportRequests.accountId, accountId))
    : db.select().from(supportRequests));
  const reports = await (accountId
    ? db.select().from(outageReports).where(eq(outageReports.accountId, accountId))
    : db.select().from(outageReports));
  const byId = new Map(reports.map((o) => [o.id, o]));
  const linked = new Set(rows.map((r) => r.outageId).filter((x) => x !== null));
  const all: SupportRow[] = rows.map((r) => {
    const o = r.outageId ? byId.get(r.outageId) : undefined;
    // deciding the report answers and resolves its request, unless support did so before
    return o?.decidedAt
      ? {
          ...r,
          firstResponseAt: r.firstResponseAt ?? o.decidedAt,
          firstResponse: r.firstResponse ?? o.note ?? `Outage report ${o.status}.`,
          resolvedAt: r.resolvedAt ?? o.decidedAt,
          resolution: r.resolution ?? `Outage report ${o.status}.`,
        }
      : r;
  });
  for (const o of reports) {
    if (linked.has(o.id)) continue;
    all.push({
      ...outageRequest(o, o.id, o.reportedAt),
      resolvedAt: o.decidedAt,
      resolution: o.decidedAt ? `Outage report ${o.status}.` : null,
    });
  }
  return all.sort((a, b) => b.receivedAt - a.receivedAt).map((r) => view(r, now));
}

/**
 * Operator: answer a request and/or resolve it (the first answer's time is kept). An outage report
 * filed on its own gets its request row here, linked to it.
 */
export async function answerRequest(
  db: Db,
  id: string,
  a: { response?: string; resolution?: string },
  now = Date.now(),
): Promise<RequestView> {
  if (!a.response && !a.resolution) throw new S3Error('InvalidArgument', 'Send a response or a resolution.');
  let [row] = await db.select().from(supportRequests).where(eq(supportRequests.id, id));
  if (!row) {
    const [o] = await db.select().from(outageReports).where(eq(outageReports.id, id));
    if (!o) throw new S3Error('InvalidArgument', `No support request ${id}.`);
    [row] = await db.select().from(supportRequests).where(eq(supportRequests.outageId, o.id)).limit(1);
    if (!row) {
      row = outageRequest(o, `req_${randomBase32(16)}`, now);
      await db.insert(supportRequests).values(row);
    }
  }
  const set: Partial<SupportRow> = {};
  if (row.firstResponseAt === null) {
    set.firstResponseAt = now;
    set.firstResponse = a.response ?? a.resolution!;
  }
  if (a.resolution && row.resolvedAt === null) {
    set.resolvedAt = now;
    set.resolution = a.resolution;
  }
  const [updated] = await db
    .update(supportRequests)
    .set(set)
    .where(eq(supportRequests.id, row.id))
    .returning();
  return (await listRequests(db, updated!.accountId, now)).find((r) => r.id === updated!.id)!;
}

export interface DueItem {
  request: RequestView;
  /** Which promise: the first response or the resolution. */
  due: 'response' | 'resolution';
  dueAt: string;
  /** Already late (true) or due within the window (false). */
  breached: boolean;
}

/** Open promises already broken or due within `withinMs`, the most urgent first. */
export async function dueRequests(db: Db, withinMs: number, now = Date.now()): Promise<DueItem[]> {
  const out: DueItem[] = [];
  for (const r of await listRequests(db, undefined, now)) {
    const check = (due: DueItem['due'], doneAt: string | null, dueAt: string) => {
      const t = Date.parse(dueAt);
      if (doneAt === null && t <= now + withinMs) out.push({ request: r, due, dueAt, breached: t < now });
    };
    check('response', r.firstResponseAt, r.responseDueAt);
    check('resolution', r.resolvedAt, r.resolutionDueAt);
  }
  return out.sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
}
