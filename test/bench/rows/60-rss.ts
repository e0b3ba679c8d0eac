/**
 * Peak resident set size of any one Qoima process (a server with workers is a tree of them) during a
 * 2 GiB PUT and a 2 GiB GET, each on a freshly started server so one does not inherit the other's heap.
 */
import { join } from 'node:path';
import { type Bench, MiB, PRIVATE, type Row } from '../lib/context.ts';
import { getToNull, peakRss, putFile } from '../lib/io.ts';

const below = { value: 256 * MiB, text: '< 256 MiB per process' };

async function freshQoima(b: Bench) {
  const q = await b.qoima();
  await b.restart(q);
  return q;
}

async function put2g(b: Bench) {
  return b.once('rss put', async () => {
    const path = await b.file('2g.bin', 2048 * MiB, join(b.work, 'big'));
    const q = await freshQoima(b);
    const url = await b.presignedPut(q.s3, PRIVATE, '2g.bin');
    return peakRss(q.server.proc.pid!, () => putFile(url, path));
  });
}

export const rows: Row[] = [
  {
    what: 'peak RSS, 2 GiB PUT',
    who: 'Qoima',
    below,
    measure: async (b) => ({ value: await put2g(b), unit: 'B' }),
  },
  {
    what: 'peak RSS, 2 GiB GET',
    who: 'Qoima',
    below,
    measure: async (b) => {
      await put2g(b);
      const q = await freshQoima(b);
      const url = await b.presignedGet(q.s3, PRIVATE, '2g.bin');
      return { value: await peakRss(q.server.proc.pid!, () => getToNull(url)), unit: 'B' };
    },
  },
];
