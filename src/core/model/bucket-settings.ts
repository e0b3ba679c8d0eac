/**
 * A bucket's settings as the model keeps them (JSON in the bucket row), whichever way they arrive (S3's
 * XML, parsed in s3/, or the JSON API): its CORS rules and its website configuration, with the rules
 * every one of them is held to, and how a website maps a key through its routing rules.
 */
import { S3Error } from '../errors.ts';
import { isFieldName } from '../http-fields.ts';

export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);

/** The rules S3 holds a CORS configuration to, however it arrived (XML through S3, JSON through the API). */
export function checkCorsRules(rules: CorsRule[]): CorsRule[] {
  for (const rule of rules) {
    if (!rule.allowedOrigins.length || !rule.allowedMethods.length) {
      throw new S3Error(
        'MalformedXML',
        'Every CORSRule needs at least one AllowedOrigin and one AllowedMethod.',
      );
    }
    for (const m of rule.allowedMethods) {
      if (!METHODS.has(m))
        throw new S3Error(
          'InvalidRequest',
          `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`,
        );
    }
    for (const o of [...rule.allowedOrigins, ...rule.allowedHeaders]) {
      if ((o.match(/\*/g) ?? []).length > 1)
        throw new S3Error(
          'InvalidRequest',
          `AllowedOrigin/AllowedHeader "${o}" can not have more than one wildcard.`,
        );
    }
    // echoed in Access-Control-Expose-Headers: header names, or no response could carry them
    for (const h of rule.exposeHeaders) {
      if (!isFieldName(h)) {
        const why = `ExposeHeader "${h.slice(0, 100)}" is not a header name.`;
        throw new S3Error('InvalidArgument', why, { fields: { ArgumentName: 'ExposeHeader' } });
      }
    }
  }
  if (rules.length === 0 || rules.length > 100)
    throw new S3Error('MalformedXML', 'A CORS configuration has 1 to 100 rules.');
  return rules;
}

/** A bucket's stored CORS rules (its `cors` column), or null. */
export function rulesOf(json: string | null): CorsRule[] | null {
  return json ? (JSON.parse(json) as CorsRule[]) : null;
}

export interface Redirect {
  protocol?: 'http' | 'https';
  hostName?: string;
  replaceKeyPrefixWith?: string;
  replaceKeyWith?: string;
  httpRedirectCode?: number;
}

export interface RoutingRule {
  condition?: { keyPrefixEquals?: string; httpErrorCodeReturnedEquals?: number };
  redirect: Redirect;
}

export interface WebsiteConfig {
  indexSuffix?: string;
  errorKey?: string;
  redirectAll?: { hostName: string; protocol?: 'http' | 'https' };
  routingRules: RoutingRule[];
}

export function protocolOf(v: string | undefined): 'http' | 'https' | undefined {
  if (v === undefined) return undefined;
  if (v !== 'http' && v !== 'https')
    throw new S3Error('InvalidArgument', `Invalid protocol "${v}"; use http or https.`);
  return v;
}

/** A HostName goes into Location headers: a host (ASCII; an IDN in its xn-- form), maybe with a port. */
export function hostNameOf(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!/^[A-Za-z0-9._~:[\]-]{1,300}$/.test(v)) {
    const why = `"${v.slice(0, 300)}" is not a host name.`;
    throw new S3Error('InvalidArgument', why, { fields: { ArgumentName: 'HostName' } });
  }
  return v;
}

/** A key the redirect's path is made of (percent-encoded as UTF-8, so it must be whole Unicode text). */
export function keyTextOf(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  try {
    encodeURIComponent(v);
  } catch {
    throw new S3Error('InvalidArgument', `${name} is not valid text.`, { fields: { ArgumentName: name } });
  }
  return v;
}

/**
 * The first rule that applies to `key` (before the lookup: `errorCode` undefined; after an error: its
 * status).
 */
export function matchRule(cfg: WebsiteConfig, key: string, errorCode?: number): RoutingRule | null {
  return (
    cfg.routingRules.find((r) => {
      const prefix = r.condition?.keyPrefixEquals;
      const code = r.condition?.httpErrorCodeReturnedEquals;
      if (prefix !== undefined && !key.startsWith(prefix)) return false;
      if (errorCode === undefined) return code === undefined;
      return code === errorCode;
    }) ?? null
  );
}

/** Where a rule sends `key`; `host` and `protocol` are the request's own, used when the rule names none. */
export function redirectLocation(rule: RoutingRule, key: string, host: string, protocol: string): string {
  const r = rule.redirect;
  let newKey = key;
  if (r.replaceKeyWith !== undefined) newKey = r.replaceKeyWith;
  else if (r.replaceKeyPrefixWith !== undefined)
    newKey = r.replaceKeyPrefixWith + key.slice(rule.condition?.keyPrefixEquals?.length ?? 0);
  const path = '/' + newKey.split('/').map(encodeURIComponent).join('/');
  return `${r.protocol ?? protocol}://${r.hostName ?? host}${path}`;
}
