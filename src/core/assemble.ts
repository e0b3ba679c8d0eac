/**
 * The core app put together from settings and what a runtime supplies: the caches every entry needs
 * (buckets by name, credentials, custom domains, account limits) are made here, once, the same way on
 * every runtime, all kept exact by the settings generation the app checks before each request
 * (freshness.ts).
 */
import type { Context } from 'hono';
import { type AppDeps, createApp } from './app.ts';
import type { TokenService } from './auth/tokens.ts';
import type { Billing } from './billing/service.ts';
import type { ChunkStore } from './block/store.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { ChangeStamp, Db } from './db/index.ts';
import type { Digests } from './digests.ts';
import type { RequestLog } from './log/request-log.ts';
import { TtlCache } from './cache.ts';
import { CHECKED_CACHE_MS, type Freshness } from './freshness.ts';
import { CredentialCache } from './model/accounts.ts';
import { type Bucket, findBucket } from './model/buckets.ts';
import { bucketForDomain, type CertificateInspector, type TxtLookup } from './model/domains.ts';
import { AccountLimits, ClientLimits } from './model/fair-use.ts';
import { Suspensions } from './model/terms-suspension.ts';
import { cachedLookup } from './s3/hosts.ts';
import type { SecretBox } from './secretbox.ts';

export interface AppParts {
  db: Db;
  freshness: Freshness;
  box: SecretBox;
  store: ChunkStore;
  digests: Digests;
  tokens: TokenService;
  billing: Billing;
  requestLog: RequestLog;
  nodeId: string;
  operatorToken: string | null;
  txtLookup: TxtLookup;
  inspectCertificate: CertificateInspector;
  getRawTarget?: (c: Context) => string | undefined;
  getClientAddress?: (c: Context) => string | undefined;
  getHeaderNames?: AppDeps['getHeaderNames'];
  getBody?: AppDeps['getBody'];
  waitUntil?: AppDeps['waitUntil'];
  changeStamp?: ChangeStamp;
  /** The time the caches and fair-use allowances read (default: the wall clock). */
  clock?: Clock;
}

export function serviceApp(cfg: Config, parts: AppParts): ReturnType<typeof createApp> {
  const { db, box, clock, freshness } = parts;
  const cached = { clock, generation: freshness, ttlMs: CHECKED_CACHE_MS };
  const customDomain = cachedLookup((host) => bucketForDomain(db, host), cached);
  const buckets = new TtlCache<string, Bucket | null>(cached);
  return createApp({
    ...parts,
    region: cfg.region,
    consoleSignup: cfg.consoleSignup,
    sigv2: cfg.sigv2,
    consoleFailuresPerAddress: cfg.consoleFailuresPerAddress,
    hosts: {
      baseDomains: cfg.baseDomains,
      websiteDomains: cfg.websiteDomains,
      customDomain,
      forgetDomain: customDomain.forget,
    },
    limits: { chunkSize: cfg.chunkSize, inlineMax: cfg.inlineMax, maxSize: cfg.maxObjectSize },
    bucketByName: (name) => buckets.getOrLoad(name, (n) => findBucket(db, n)),
    lookupCredential: new CredentialCache({ db, box }, cached).lookup,
    // with N serving processes on one machine, each enforces 1/N of every limit (model/fair-use.ts)
    accountLimits: new AccountLimits(db, cfg.quotaDefaults, {
      ...cached,
      cacheMs: CHECKED_CACHE_MS,
      share: 1 / Math.max(1, cfg.workers),
    }),
    suspensions: new Suspensions(db, cached),
    clientLimits: new ClientLimits(cfg.clientRefusalsPerSecond / Math.max(1, cfg.workers), undefined, clock),
  });
}
