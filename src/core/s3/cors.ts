/**
 * CORS as S3 evaluates it: a bucket's rules (PutBucketCors) are tried in order; the first whose
 * origin, method and (for a preflight) requested headers all match decides. Matching is
 * case-sensitive for origins (with at most one `*` wildcard) and case-insensitive for headers.
 */
import { S3Error } from '../errors.ts';
import { type CorsRule, checkCorsRules } from '../model/bucket-settings.ts';
import { storedFieldValue } from '../http-fields.ts';
import { children, document, leaf, node, parseXml, text } from '../xml.ts';
import type { FieldWriter } from '../http/reply.ts';

export function parseCorsXml(xml: string): CorsRule[] {
  const doc = parseXml(xml)['CORSConfiguration'];
  if (doc === undefined) throw new S3Error('MalformedXML', 'The body must be a <CORSConfiguration>.');
  const rules = children(doc, 'CORSRule').map((r): CorsRule => {
    const list = (name: string) => children(r, name).map((v) => (typeof v === 'string' ? v.trim() : ''));
    const rule: CorsRule = {
      id: text(r, 'ID'),
      allowedOrigins: list('AllowedOrigin'),
      allowedMethods: list('AllowedMethod'),
      allowedHeaders: list('AllowedHeader'),
      exposeHeaders: list('ExposeHeader'),
    };
    const maxAge = text(r, 'MaxAgeSeconds');
    if (maxAge !== undefined) {
      if (!/^\d+$/.test(maxAge.trim()))
        throw new S3Error('MalformedXML', 'MaxAgeSeconds must be a whole number.');
      rule.maxAgeSeconds = Number(maxAge);
    }
    return rule;
  });
  return checkCorsRules(rules);
}

export function corsXml(rules: CorsRule[]): string {
  return document(
    'CORSConfiguration',
    ...rules.map((r) =>
      node(
        'CORSRule',
        r.id ? leaf('ID', r.id) : '',
        ...r.allowedHeaders.map((h) => leaf('AllowedHeader', h)),
        ...r.allowedMethods.map((m) => leaf('AllowedMethod', m)),
        ...r.allowedOrigins.map((o) => leaf('AllowedOrigin', o)),
        ...r.exposeHeaders.map((h) => leaf('ExposeHeader', h)),
        r.maxAgeSeconds !== undefined ? leaf('MaxAgeSeconds', r.maxAgeSeconds) : '',
      ),
    ),
  );
}

function wildcardMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  const v = caseInsensitive ? value.toLowerCase() : value;
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  return v.length >= p.length - 1 && v.startsWith(p.slice(0, star)) && v.endsWith(p.slice(star + 1));
}

export function findRule(
  rules: CorsRule[],
  origin: string,
  method: string,
  requestHeaders: string[] = [],
): CorsRule | null {
  return (
    rules.find(
      (r) =>
        r.allowedOrigins.some((o) => wildcardMatch(o, origin, false)) &&
        r.allowedMethods.includes(method) &&
        requestHeaders.every((h) => r.allowedHeaders.some((a) => wildcardMatch(a, h, true))),
    ) ?? null
  );
}

export const CORS_VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';

function allowOrigin(rule: CorsRule, origin: string): string {
  return rule.allowedOrigins.length === 1 && rule.allowedOrigins[0] === '*' ? '*' : origin;
}

/** Access-Control-Expose-Headers, if any (rules stored before names were checked may hold none). */
function exposed(rule: CorsRule): string | null {
  return rule.exposeHeaders.length ? storedFieldValue(rule.exposeHeaders.join(', ')) : null;
}

/** Answers an OPTIONS preflight (S3: 200 with the grant, 403 AccessForbidden without). */
export function preflight(rules: CorsRule[] | null, headers: Headers): Response {
  const origin = headers.get('origin');
  const method = headers.get('access-control-request-method');
  if (!origin || !method)
    throw new S3Error(
      'InvalidRequest',
      'A CORS preflight needs the Origin and Access-Control-Request-Method headers.',
    );
  if (!rules)
    throw new S3Error('AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.', {
      headers: { vary: CORS_VARY },
    });
  const requested = (headers.get('access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const rule = findRule(rules, origin, method, requested);
  if (!rule) throw new S3Error('AccessForbidden', undefined, { headers: { vary: CORS_VARY } });
  const out = new Headers({
    'access-control-allow-origin': allowOrigin(rule, origin),
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    vary: CORS_VARY,
  });
  if (requested.length) out.set('access-control-allow-headers', requested.join(', '));
  const expose = exposed(rule);
  if (expose) out.set('access-control-expose-headers', expose);
  if (rule.maxAgeSeconds !== undefined) out.set('access-control-max-age', String(rule.maxAgeSeconds));
  if (allowOrigin(rule, origin) !== '*') out.set('access-control-allow-credentials', 'true');
  return new Response(null, { status: 200, headers: out });
}

/** Adds the CORS grant to an actual (non-preflight) response, when a rule allows it. */
export function decorate<R extends { headers: FieldWriter }>(
  res: R,
  rules: CorsRule[] | null,
  origin: string | null,
  method: string,
): R {
  if (!rules) return res;
  if (!(res.headers.get('vary') ?? '').includes(CORS_VARY)) res.headers.append('vary', CORS_VARY);
  if (!origin) return res;
  const rule = findRule(rules, origin, method === 'HEAD' ? 'HEAD' : method);
  if (!rule) return res;
  res.headers.set('access-control-allow-origin', allowOrigin(rule, origin));
  res.headers.set('access-control-allow-methods', rule.allowedMethods.join(', '));
  const expose = exposed(rule);
  if (expose) res.headers.set('access-control-expose-headers', expose);
  if (rule.maxAgeSeconds !== undefined) res.headers.set('access-control-max-age', String(rule.maxAgeSeconds));
  if (allowOrigin(rule, origin) !== '*') res.headers.set('access-control-allow-credentials', 'true');
  return res;
}
