/**
 * The cost of the request log: 4 KiB presigned GETs on the same data with the log on (the server of
 * the other rows) and off (a second server, QOIMA_REQUEST_LOG=0), alternated over three rounds so
 * drift on a shared machine falls on both sides alike.
 */
import { type Bench, client, type Figure, PRIVATE, type Row } from '../lib/context.ts';
import { startQoima, stop } from '../lib/procs.ts';
import { requestRate } from '../lib/wrk.ts';

const ROUNDS = 3;
const WHAT = 'GET 4 KiB presigned, 64 conns';

function average(figs: Figure[]): Figure {
  const mean = (f: (x: Figure) => number) => figs.reduce((a, x) => a + f(x), 0) / figs.length;
  return {
    value: mean((x) => x.value),
    unit: 'req/s',
    p50: mean((x) => x.p50 ?? 0),
    p99: mean((x) => x.p99 ?? 0),
    failed: figs
      .map((x) => x.failed)
      .filter(Boolean)
      .join('; '),
  };
}

const onAndOff = (b: Bench) =>
  b.once('log rounds', async () => {
    const q = await b.qoima();
    await b.stored(q, PRIVATE, '4k.bin', 4096);
    const quiet = b.track(await startQoima('node', q.dataDir, { QOIMA_REQUEST_LOG: '0' }));
    const quietS3 = client(quiet.endpoint);
    const urls = {
      on: await b.presignedGet(q.s3, PRIVATE, '4k.bin'),
      off: await b.presignedGet(quietS3, PRIVATE, '4k.bin'),
    };
    const on: Figure[] = [];
    const off: Figure[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      off.push(requestRate(urls.off, { connections: 64 }));
      on.push(requestRate(urls.on, { connections: 64 }));
    }
    await stop(quiet.proc);
    return { on: average(on), off: average(off) };
  });

export const rows: Row[] = [
  { what: WHAT, who: 'Qoima, request log off', measure: async (b) => (await onAndOff(b)).off },
  {
    what: WHAT,
    who: 'Qoima, request log on',
    compare: [{ row: `${WHAT} · Qoima, request log off`, name: 'log off', goal: 0.95 }],
    measure: async (b) => (await onAndOff(b)).on,
  },
];
