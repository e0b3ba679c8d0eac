/**
 * Limits at request time. Per account: its quotas (cached a few seconds) and fair use — a request-rate
 * and a bandwidth token bucket, so one customer's scripts cannot starve the others; an account pays
 * only for requests it was asked for and allowed (its own, and anonymous reads it made public). Per
 * client address: the requests refused before or at authorization (bad signatures, anonymous or
 * foreign requests for a private bucket), so strangers cannot use up a customer's rate and a flood of
 * them is slowed where it comes from. Over a limit a request gets 503 SlowDown with Retry-After, as S3
 * answers. Buckets live in this process's memory. With N serving processes on one machine
 * (QOIMA_WORKERS) each enforces its `share` (1/N) of every limit on what it serves, so the machine as
 * a whole admits no more than the limit; with several nodes each enforces the limits on what it serves.
 */
import { TtlCache } from '../cache.ts';
import type { Generation } from '../freshness.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { Db } from '../db/index.ts';
import { S3Error } from '../errors.ts';
import { type QuotaLimits, quotaOf } from './quotas.ts';

/** A token bucket: `rate` per second, holding up to `burstSeconds` worth. May go into debt. */
class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    private rate: number,
    private readonly burstSeconds: number,
    private readonly clock: Clock,
  ) {
    this.tokens = rate * burstSeconds;
    this.at = clock.now();
  }
  setRate(rate: number) {
    this.rate = rate;
  }
  private refill() {
    const now = this.clock.now();
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
  /** Spends `cost` whatever the balance (bytes already transferred), owing at most `maxDebt`. */
  spend(cost: number, maxDebt = Infinity) {
    this.refill();
    this.tokens = Math.max(-maxDebt, this.tokens - cost);
  }
  /** Whether the bucket is as good as new (forgetting it loses nothing). */
  full(): boolean {
    this.refill();
    return this.tokens >= this.rate * this.burstSeconds;
  }
  /** Seconds until the bucket is out of debt. */
  debtSeconds(): number {
    this.refill();
    return this.tokens < 0 ? -this.tokens / this.rate : 0;
  }
}

export class AccountLimits {
  private readonly cache: TtlCache<string, QuotaLimits>;
  private readonly clock: Clock;
  private readonly requests = new Map<string, TokenBucket>();
  private readonly bandwidth = new Map<string, TokenBucket>();
  /** The part of each limit this process enforces (1/N of N serving processes on one machine). */
  private readonly share: number;

  constructor(
    private readonly db: Db,
    readonly defaults: QuotaLimits,
    opts: { cacheMs?: number; clock?: Clock; generation?: Generation; share?: number } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.share = opts.share ?? 1;
    this.cache = new TtlCache({
      ttlMs: opts.cacheMs ?? 5_000,
      clock: this.clock,
      generation: opts.generation,
    });
  }

  limits(accountId: string): Promise<QuotaLimits> {
    return this.cache.getOrLoad(accountId, (id) => quotaOf(this.db, id, this.defaults));
  }

  /** Forget cached quotas (the operator changed them). */
  forget(accountId: string): void {
    this.cache.delete(accountId);
  }

  /** Lets a request in, or refuses it with SlowDown when the account is over its rate or bandwidth. */
  async admit(accountId: string): Promise<void> {
    const l = await this.limits(accountId);
    const req = this.bucket(this.requests, accountId, l.requestsPerSecond * this.share, 2);
    const bw = this.bucket(this.bandwidth, accountId, l.bytesPerSecond * this.share, 2);
    const wait = Math.max(bw.debtSeconds(), req.take(1));
    if (wait > 0) {
      throw new S3Error(
        'SlowDown',
        `Please reduce your request rate: this account is limited to ${l.requestsPerSecond} requests and ${l.bytesPerSecond} bytes per second.`,
        {
          headers: { 'retry-after': String(Math.max(1, Math.ceil(wait))) },
        },
      );
    }
  }

  /** Counts bytes an account moved (in and out) against its bandwidth. */
  charge(accountId: string, bytes: number): void {
    if (bytes > 0) this.bandwidth.get(accountId)?.spend(bytes);
  }

  private bucket(map: Map<string, TokenBucket>, accountId: string, rate: number, burst: number): TokenBucket {
    let b = map.get(accountId);
    if (!b) map.set(accountId, (b = new TokenBucket(rate, burst, this.clock)));
    else b.setRate(rate);
    return b;
  }
}

/**
 * The key a client address is counted under: IPv4 as is, IPv6 by its /64 (the block one site gets, in
 * which a client may pick any address), IPv4-mapped IPv6 as IPv4, and "unknown" when the runtime
 * cannot say (all such clients then share one allowance).
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const a = address.toLowerCase().split('%')[0]!;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1]!;
  if (!a.includes(':')) return a;
  const [left = '', right] = a.split('::');
  const head = left ? left.split(':') : [];
  const tail = right ? right.split(':') : [];
  const zeros = Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0');
  const groups = right === undefined ? head : [...head, ...zeros, ...tail];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * Refused requests per client address: `perSecond`, with a burst of two seconds' worth. An address
 * past it is answered SlowDown before its requests are even authenticated, and those answers count
 * too, so a flood stays slowed until it slows down; the debt is capped at one burst, so an address
 * that stops is let in again within seconds.
 */
export class ClientLimits {
  private readonly buckets = new Map<string, TokenBucket>();
  private static readonly BURST_SECONDS = 2;

  constructor(
    private readonly perSecond: number,
    private readonly maxTracked = 100_000,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Refuses a request from an address that is over its allowance of refusals. */
  admit(address: string | undefined): void {
    const wait = this.buckets.get(clientKey(address))?.debtSeconds() ?? 0;
    if (wait > 0) {
      const message = `Too many refused requests from your address (at most ${this.perSecond} a second); slow down.`;
      throw new S3Error('SlowDown', message, {
        headers: { 'retry-after': String(Math.max(1, Math.ceil(wait))) },
      });
    }
  }

  /** Counts a request refused before or at authorization against its address. */
  refused(address: string | undefined): void {
    const key = clientKey(address);
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxTracked) this.forgetSome();
      this.buckets.set(key, (b = new TokenBucket(this.perSecond, ClientLimits.BURST_SECONDS, this.clock)));
    }
    b.spend(1, this.perSecond * ClientLimits.BURST_SECONDS);
  }

  /** Past maxTracked addresses: drop those back to a full allowance, then the oldest, down to half. */
  private forgetSome(): void {
    for (const [key, b] of this.buckets) if (b.full()) this.buckets.delete(key);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxTracked / 2) break;
      this.buckets.delete(key);
    }
  }
}
