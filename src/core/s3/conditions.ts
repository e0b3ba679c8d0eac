/** Range requests and conditional requests, as S3 (and RFC 9110) evaluate them. */

/** An inclusive byte range within an object. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The Range header against an object of `size` bytes: null when absent or not a single valid byte
 * range (ignored, the whole object is sent, as S3 does), 'unsatisfiable' for a 416.
 */
export function parseRange(header: string | null, size: number): ByteRange | null | 'unsatisfiable' {
  if (header === null) return null;
  // no two quantifiers may take the same spaces (`\s*(\d*)\s*` would try every split of a run of
  // them: quadratic in a 16 KB header), hence the trim and the optional groups that start with a digit
  const m = /^bytes\s*=\s*(?:(\d+)\s*)?-\s*(\d+)?$/i.exec(header.trim());
  if (!m || (m[1] === undefined && m[2] === undefined)) return null;
  if (m[1] === undefined) {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== undefined && Number(m[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: m[2] === undefined ? size - 1 : Math.min(Number(m[2]), size - 1) };
}

function etagList(value: string): string[] {
  return value.split(',').map((t) =>
    t
      .trim()
      .replace(/^W\//, '')
      .replace(/^"(.*)"$/, '$1'),
  );
}

function matches(value: string, etag: string): boolean {
  return etagList(value).some((t) => t === '*' || t === etag);
}

/** Seconds precision: HTTP dates carry no milliseconds. */
function parseHttpDate(value: string | null): number | null {
  if (value === null) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
}

export type ConditionOutcome = 'proceed' | 'not-modified' | 'precondition-failed';

export interface ConditionHeaders {
  ifMatch: string | null;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
  ifUnmodifiedSince: string | null;
}

export function conditionHeaders(h: Headers, prefix = ''): ConditionHeaders {
  // a GET's own conditions by literal names: a name built at run time is a string that every lookup
  // (validated, lower-cased) must first flatten, on the hottest path
  if (!prefix)
    return {
      ifMatch: h.get('if-match'),
      ifNoneMatch: h.get('if-none-match'),
      ifModifiedSince: h.get('if-modified-since'),
      ifUnmodifiedSince: h.get('if-unmodified-since'),
    };
  return {
    ifMatch: h.get(`${prefix}if-match`),
    ifNoneMatch: h.get(`${prefix}if-none-match`),
    ifModifiedSince: h.get(`${prefix}if-modified-since`),
    ifUnmodifiedSince: h.get(`${prefix}if-unmodified-since`),
  };
}

export function evaluateConditions(
  c: ConditionHeaders,
  etag: string,
  lastModifiedMs: number,
): ConditionOutcome {
  const modified = Math.floor(lastModifiedMs / 1000);
  if (c.ifMatch !== null) {
    if (!matches(c.ifMatch, etag)) return 'precondition-failed';
  } else {
    const since = parseHttpDate(c.ifUnmodifiedSince);
    if (since !== null && modified > since) return 'precondition-failed';
  }
  if (c.ifNoneMatch !== null) {
    if (matches(c.ifNoneMatch, etag)) return 'not-modified';
  } else {
    const since = parseHttpDate(c.ifModifiedSince);
    if (since !== null && modified <= since) return 'not-modified';
  }
  return 'proceed';
}

/**
 * The Range header to honour, given If-Range (RFC 9110 §13.1.5): a resumed download asks for the rest
 * of the version it has; if the object changed since (strong ETag or exact date differ), it gets the
 * whole new object (200), never a tail of other bytes spliced onto its start.
 */
export function rangeToHonour(h: Headers, etag: string, lastModifiedMs: number): string | null {
  const range = h.get('range');
  const ifRange = h.get('if-range')?.trim();
  if (range === null || ifRange === undefined) return range;
  if (ifRange.startsWith('W/')) return null; // a weak validator never matches here
  if (ifRange.startsWith('"')) return ifRange === `"${etag}"` ? range : null;
  return parseHttpDate(ifRange) === Math.floor(lastModifiedMs / 1000) ? range : null;
}
