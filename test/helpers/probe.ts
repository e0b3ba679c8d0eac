/**
 * Event-loop stalls seen from outside: while a request is in flight, another client's request (a
 * "probe") must still be answered within PROBE_DEADLINE_MS. One slow probe may be the machine (tests
 * share two cores); the same input stalling three times in a row is the server.
 */
export const PROBE_DEADLINE_MS = 100;

/** A cheap request any server answers at once: an anonymous GET of an object in a bucket nobody has. */
async function probeOnce(endpoint: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${endpoint}/qoima-probe-nobody/probe`);
  await res.arrayBuffer();
  return performance.now() - started;
}

/** Runs `send` while probing the server back to back; resolves with its result and the slowest probe. */
async function probed<T>(endpoint: string, send: () => Promise<T>): Promise<{ result: T; slowest: number }> {
  let finished = false;
  const work = send().finally(() => (finished = true));
  let slowest = 0;
  // at least one probe, made while `send` is in flight (or right after it, for the fastest requests)
  do slowest = Math.max(slowest, await probeOnce(endpoint));
  while (!finished);
  return { result: await work, slowest };
}

/**
 * `send`'s result, after checking that probes made meanwhile were answered in time. A stall is
 * measured again before it counts (up to three times): a super-linear input stalls every time, a
 * busy machine does not.
 */
export async function withoutStall<T>(
  endpoint: string,
  send: () => Promise<T>,
  what = 'the request',
): Promise<T> {
  const seen: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const { result, slowest } = await probed(endpoint, send);
    if (slowest <= PROBE_DEADLINE_MS) return result;
    seen.push(Math.round(slowest));
  }
  const waited = `${seen.join(', then ')} ms (limit ${PROBE_DEADLINE_MS} ms)`;
  throw new Error(`while ${what} was served, another request waited ${waited}`);
}
