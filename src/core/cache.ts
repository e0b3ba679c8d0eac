/**
 * The one cache of the service: values kept for `ttlMs` by the given clock, then loaded again. Used
 * where a lookup on every request would cost a query each (buckets by name, credentials, custom
 * domains, quotas, signing keys, the revocation list). With a `generation` (freshness.ts, checked by
 * every request before it reads a cache) an entry is served only while the settings generation it was
 * loaded under is still the newest: a change made anywhere (another process or node, the admin CLI)
 * is seen by the next request, and `ttlMs` only bounds memory of what is no longer asked for. Without
 * one, a change made elsewhere shows within `ttlMs`. Past `maxEntries` it starts afresh (a flood of
 * distinct keys costs queries, never memory).
 */
import { type Clock, systemClock } from './clock.ts';
import type { Generation } from './freshness.ts';

export interface TtlCacheOptions {
  ttlMs: number;
  clock?: Clock;
  maxEntries?: number;
  generation?: Generation;
}

const NO_GENERATION: Generation = { current: 0 };

export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; until: number; gen: number }>();
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private readonly generation: Generation;

  constructor(opts: TtlCacheOptions) {
    this.ttlMs = opts.ttlMs;
    this.clock = opts.clock ?? systemClock;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.generation = opts.generation ?? NO_GENERATION;
  }

  /** The value while it is fresh, else undefined. */
  get(key: K): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.gen === this.generation.current && hit.until > this.clock.now()) return hit.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Keeps `value`, as of generation `gen` (default: the newest seen; a load passes the one before it). */
  set(key: K, value: V, gen = this.generation.current): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, { value, until: this.clock.now() + this.ttlMs, gen });
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
    const gen = this.generation.current;
    const value = await load(key);
    if (keep(value)) this.set(key, value, gen);
    else this.delete(key);
    return value;
  }
}
