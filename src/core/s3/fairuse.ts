/**
 * Per-account limits at request time: the account's quotas (cached a few seconds) and fair use — a
 * request-rate and a bandwidth token bucket per account, so one customer's scripts cannot starve the
 * others. Over the limit a request gets 503 SlowDown with Retry-After, as S3 answers. Buckets live in
 * this process's memory: with several nodes each enforces the limits on what it serves.
 */
import type { Db } from '../db/index.ts';
import { S3Error } from '../errors.ts';
import { type QuotaLimits, quotaOf } from '../model/quotas.ts';

/** A token bucket: `rate` per second, holding up to `burstSeconds` worth. May go into debt. */
class TokenBucket {
  private tokens: number;
  private at = Date.now();
  constructor(private rate: number, private readonly burstSeconds: number) {
    this.tokens = rate * burstSeconds;
  }
  setRate(rate: number) {
    this.rate = rate;
  }
  private refill() {
    const now = Date.now();
    this.tokens = Math.min(this.rate * this.burstSeconds, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }
  /** Seconds until `cost` tokens are there (0: there now, and taken). */
  take(cost: number): number {
    this.refill();
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return 0;
    }
    return (cost - this.tokens) / this.rate;
  }
  /** Spends `cost` whatever the balance (bytes already transferred). */
  spend(cost: number) {
    this.refill();
    this.tokens -= cost;
  }
  /** Seconds until the bucket is out of debt. */
  debtSeconds(): number {
    this.refill();
    return this.tokens < 0 ? -this.tokens / this.rate : 0;
  }
}

export class AccountLimits {
  private readonly cache = new Map<string, { limits: QuotaLimits; until: number }>();
  private readonly requests = new Map<string, TokenBucket>();
  private readonly bandwidth = new Map<string, TokenBucket>();

  constructor(
    private readonly db: Db,
    readonly defaults: QuotaLimits,
    private readonly cacheMs = 5_000,
  ) {}

  async limits(accountId: string): Promise<QuotaLimits> {
    const hit = this.cache.get(accountId);
    if (hit && hit.until > Date.now()) return hit.limits;
    const limits = await quotaOf(this.db, accountId, this.defaults);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(accountId, { limits, until: Date.now() + this.cacheMs });
    return limits;
  }

  /** Forget cached quotas (the operator changed them). */
  forget(accountId: string): void {
    this.cache.delete(accountId);
  }

  /** Lets a request in, or refuses it with SlowDown when the account is over its rate or bandwidth. */
  async admit(accountId: string): Promise<void> {
    const l = await this.limits(accountId);
    const req = this.bucket(this.requests, accountId, l.requestsPerSecond, 2);
    const bw = this.bucket(this.bandwidth, accountId, l.bytesPerSecond, 2);
    const wait = Math.max(bw.debtSeconds(), req.take(1));
    if (wait > 0) {
      throw new S3Error('SlowDown', `Please reduce your request rate: this account is limited to ${l.requestsPerSecond} requests and ${l.bytesPerSecond} bytes per second.`, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(wait))) },
      });
    }
  }

  /** Counts bytes an account moved (in and out) against its bandwidth. */
  charge(accountId: string, bytes: number): void {
    if (bytes > 0) this.bandwidth.get(accountId)?.spend(bytes);
  }

  private bucket(map: Map<string, TokenBucket>, accountId: string, rate: number, burst: number): TokenBucket {
    let b = map.get(accountId);
    if (!b) map.set(accountId, (b = new TokenBucket(rate, burst)));
    else b.setRate(rate);
    return b;
  }
}
