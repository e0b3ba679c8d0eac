/**
 * The one cache of the service: values kept for `ttlMs` by the given clock, then loaded again. Used
 * where a lookup on every request would cost a query each (credentials, custom domains, quotas, signing
 * keys, the revocation list): a change made elsewhere (another node, the admin CLI) shows within
 * `ttlMs`; a change this process makes itself is `delete`d at once. Past `maxEntries` it starts afresh
 * (a flood of distinct keys costs queries, never memory).
 */
import { type Clock, systemClock } from './clock.ts';

export interface TtlCacheOptions {
  ttlMs: number;
  clock?: Clock;
  maxEntries?: number;
}

export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private readonly maxEntries: number;

  constructor(opts: TtlCacheOptions) {
    this.ttlMs = opts.ttlMs;
    this.clock = opts.clock ?? systemClock;
    this.maxEntries = opts.maxEntries ?? 10_000;
  }

  /** The value while it is fresh, else undefined. */
  get(key: K): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until > this.clock.now()) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: K, value: V): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, { value, until: this.clock.now() + this.ttlMs });
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  /**
   * The fresh value, else what `load` gives (kept unless `keep` says no: a miss may be worth asking
   * again at once, as a key created a moment ago in another process).
   */
  async getOrLoad(
    key: K,
    load: (key: K) => Promise<V>,
    keep: (value: V) => boolean = () => true,
  ): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const value = await load(key);
    if (keep(value)) this.set(key, value);
    else this.delete(key);
    return value;
  }
}
