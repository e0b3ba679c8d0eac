/**
 * The time the service reads for its caches and expiry checks, injectable so tests need not sleep.
 * `systemClock` is the wall clock. A `TestClock` runs with it, plus whatever it was moved forward by: it
 * only ever moves forward, so nothing that reads it sees time go back. A server gets one only when
 * QOIMA_TEST_CLOCK=1 (never in production), and then the operator can move it (core/service.ts).
 */
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class TestClock implements Clock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves the clock forward by `ms` (not back: a negative or non-finite amount is refused). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot move the clock by ${ms} ms`);
    this.offsetMs += ms;
  }
}
