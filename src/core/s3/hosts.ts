/**
 * Which bucket a Host header names, if any:
 *  - `<bucket>.<base domain>`: virtual-hosted-style S3 API (QOIMA_DOMAINS);
 *  - `<bucket>.<website domain>`: the bucket as a static website (QOIMA_WEBSITE_DOMAINS);
 *  - a custom domain attached to a bucket (and verified): S3 API, or the website when configured.
 * Anything else (an IP address, a base domain itself) is the service endpoint: path-style requests.
 */
import { TtlCache } from '../cache.ts';
import type { Clock } from '../clock.ts';
import type { Generation } from '../freshness.ts';
import { hostName, virtualHostBucket } from './target.ts';

export type HostRoute =
  | { kind: 'service' }
  | { kind: 'bucket'; bucket: string; via: 'virtual' | 'website' | 'custom' };

export interface HostConfig {
  baseDomains: readonly string[];
  websiteDomains: readonly string[];
  /** The bucket a verified custom domain serves, or null. */
  customDomain: (hostname: string) => Promise<string | null>;
  /** Drops what is remembered about a domain (it was attached, verified or detached). */
  forgetDomain?: (hostname: string) => void;
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/i;

export async function routeHost(hostHeader: string | null, cfg: HostConfig): Promise<HostRoute> {
  const host = hostName(hostHeader);
  if (!host || IP.test(host) || cfg.baseDomains.includes(host) || cfg.websiteDomains.includes(host))
    return { kind: 'service' };
  const website = virtualHostBucket(host, cfg.websiteDomains);
  if (website !== null) return { kind: 'bucket', bucket: website, via: 'website' };
  const virtual = virtualHostBucket(host, cfg.baseDomains);
  if (virtual !== null) return { kind: 'bucket', bucket: virtual, via: 'virtual' };
  const custom = await cfg.customDomain(host);
  return custom ? { kind: 'bucket', bucket: custom, via: 'custom' } : { kind: 'service' };
}

/**
 * Whether a request to a bucket's website host or custom domain is the website's (else it is the
 * bucket's S3 API, as on its virtual host). A website answers anonymous reads; preflights, and on a
 * custom domain also signed requests and uploads (presigned PUTs, POST forms), are the S3 API's. A
 * custom domain is a website only when the bucket has a website configuration.
 */
export function websiteAnswers(
  via: 'website' | 'custom',
  hasWebsite: boolean,
  method: string,
  signed: () => boolean,
): boolean {
  if (method === 'OPTIONS') return false;
  if (via === 'website') return true;
  return hasWebsite && (method === 'GET' || method === 'HEAD') && !signed();
}

/**
 * Remembers custom-domain lookups (while the settings generation stands, else for a few seconds) so
 * unknown hosts do not cost a query each.
 */
export function cachedLookup(
  lookup: (host: string) => Promise<string | null>,
  opts: { ttlMs?: number; clock?: Clock; generation?: Generation } = {},
) {
  const cache = new TtlCache<string, string | null>({
    ttlMs: opts.ttlMs ?? 5_000,
    clock: opts.clock,
    generation: opts.generation,
  });
  const fn = (host: string): Promise<string | null> => cache.getOrLoad(host, lookup);
  fn.forget = (host: string) => cache.delete(host);
  return fn;
}
