/**
 * Exact fractions (BigInt numerator and denominator) for the figures a customer checks by hand: an
 * availability is an average of per-interval rates with any denominators, and a discount is a sum of
 * charges with different units. Sums and comparisons here are exact; rounding happens only where a
 * figure is shown or billed (floorDecimal, divRound), once.
 *
 * Invariants: `den > 0`, `num >= 0`. Sums are not reduced (a big gcd costs more than it saves);
 * their denominator stays the least common multiple of the terms' denominators.
 */
export interface Ratio {
  num: bigint;
  den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

export const ZERO: Ratio = { num: 0n, den: 1n };

/** `num / den` of two non-negative whole numbers (den > 0), reduced. */
export function ratio(num: number | bigint, den: number | bigint): Ratio {
  const n = BigInt(num);
  const d = BigInt(den);
  const g = gcd(n, d) || 1n;
  return { num: n / g, den: d / g };
}

export function add(a: Ratio, b: Ratio): Ratio {
  const g = gcd(a.den, b.den);
  return { num: a.num * (b.den / g) + b.num * (a.den / g), den: (a.den / g) * b.den };
}

export function compare(a: Ratio, b: Ratio): -1 | 0 | 1 {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** A decimal setting (a percentage such as 99.9) as the fraction it spells, to 12 decimals. */
export function fromDecimal(x: number): Ratio {
  const [whole, frac = ''] = x.toFixed(12).split('.');
  return ratio(BigInt(whole! + frac), 10n ** BigInt(frac.length));
}

/** `r` rounded down to `digits` decimals, for showing: what is shown never exceeds the exact value. */
export function floorDecimal(r: Ratio, digits: number): number {
  const scale = 10n ** BigInt(digits);
  return Number((r.num * scale) / r.den) / Number(scale);
}
